"""Saving never surprises: permissions kept, symlinks followed, long names, stale temporaries."""

import os
import stat

from cnn_explorer.model.files import TEMP_SUFFIX, _temp_stem, load_design, save_design
from cnn_explorer.model.presets import build_preset


def test_save_keeps_the_files_permissions(tmp_path):
    path = tmp_path / "mine.json"
    save_design(build_preset("plain-cnn"), path)
    os.chmod(path, 0o644)
    save_design(build_preset("resnet20"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    os.chmod(path, 0o640)
    save_design(build_preset("plain-cnn"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_new_file_gets_the_umask_permissions_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        save_design(build_preset("plain-cnn"), tmp_path / "new.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644


def test_save_writes_through_a_symlink_and_keeps_the_link(tmp_path):
    real = tmp_path / "designs" / "real.json"
    real.parent.mkdir()
    save_design(build_preset("plain-cnn"), real)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    save_design(build_preset("resnet20"), link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert load_design(real).title == "resnet20"
    assert not [p for p in real.parent.iterdir() if p.name.endswith(TEMP_SUFFIX)]


def test_a_250_character_name_saves(tmp_path):
    path = tmp_path / ("n" * 245 + ".json")
    assert len(path.name) == 250
    save_design(build_preset("plain-cnn"), path)
    assert load_design(path).graph.block_ids()


def test_a_temporary_left_by_a_killed_save_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "mine.json"
    dead_pid = 999_999_999  # beyond pid_max: no such process
    left = tmp_path / f"{_temp_stem(path.name)}{dead_pid}.abc123{TEMP_SUFFIX}"
    left.write_text('{"half": ')
    other = tmp_path / f"{_temp_stem('other.json')}{dead_pid}.abc123{TEMP_SUFFIX}"
    other.write_text("another file's temporary")
    save_design(build_preset("plain-cnn"), path)
    assert not left.exists()
    assert other.exists()  # only this file's leftovers are touched
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["mine.json", other.name])
