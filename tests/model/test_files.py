import json
import os

import pytest

from cnn_explorer.model import DesignFileError
from cnn_explorer.model.files import (
    SCHEMA_VERSION,
    Design,
    design_to_dict,
    load_design,
    save_design,
)
from cnn_explorer.model.presets import build_preset
from cnn_explorer.model.settings import RunSettings


def write(tmp_path, data, name="d.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_round_trip_keeps_blocks_connections_positions_and_settings(tmp_path):
    design = build_preset("resnet20")
    g = design.graph
    g.move(g.block_ids()[3], (120.5, -40))
    design.settings = RunSettings(optimizer="sgd", learning_rate=0.1, epochs=3)
    path = tmp_path / "r.json"
    save_design(design, path)
    again = load_design(path)
    assert design_to_dict(again) == design_to_dict(design)
    assert again.graph.report().total_params == g.report().total_params


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "keep.json"
    save_design(build_preset("plain-cnn"), path)
    before = path.read_bytes()

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        save_design(build_preset("resnet20"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]  # no temp file left


@pytest.mark.parametrize("content, reason", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ({"blocks": []}, "no schema_version"),
    ({"schema_version": SCHEMA_VERSION + 1, "blocks": []}, "newer CNN Explorer"),
    ({"schema_version": 1, "blocks": [{"id": "b1", "kind": "transformer"}]},
     "unknown block kind 'transformer'"),
    ({"schema_version": 1, "blocks": [{"id": "b1", "kind": "conv2d",
                                       "params": {"filters": -3}}]}, "filters must be"),
    ({"schema_version": 1, "blocks": [{"id": "b1", "kind": "input"}],
      "connections": [{"src": "b1", "dst": "b9"}]}, "does not exist: dst = 'b9'"),
    ({"schema_version": 1, "blocks": [], "run_settings": {"optimizer": "lbfgs"}},
     "optimizer must be one of"),
])
def test_malformed_files_give_a_clear_reason(tmp_path, content, reason):
    with pytest.raises(DesignFileError, match=reason):
        load_design(write(tmp_path, content))


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(DesignFileError, match="does not exist"):
        load_design(tmp_path / "nope.json")
    binary = tmp_path / "m.keras"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00")
    with pytest.raises(DesignFileError, match="not a text file"):
        load_design(binary)


def test_a_design_file_cannot_execute_code(tmp_path):
    marker = tmp_path / "pwned"
    evil = {"schema_version": 1, "blocks": [
        {"id": "b1", "kind": "__import__('os').system('touch %s')" % marker},
    ]}
    with pytest.raises(DesignFileError):
        load_design(write(tmp_path, evil))
    evil["blocks"] = [{"id": "b1", "kind": "dense",
                       "params": {"units": "__import__('os').system('touch x')"}}]
    with pytest.raises(DesignFileError):
        load_design(write(tmp_path, evil))
    assert not marker.exists()


def test_snapshot_is_independent():
    design = build_preset("plain-cnn")
    snap = design.snapshot()
    design.graph.set_param(design.graph.find("fc1").id, "units", 8)
    assert snap.graph.report().total_params == 325_956
    assert isinstance(snap, Design)
