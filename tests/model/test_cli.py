import json

from cnn_explorer.cli import main
from cnn_explorer.model.presets import PRESETS


def test_presets_lists_every_preset(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in PRESETS)


def test_summary_table_and_json(capsys):
    assert main(["summary", "--preset", "plain-cnn"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 325,956" in out and "(N, 13, 13, 32)" in out
    assert main(["summary", "--preset", "resnet20", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"total_params", "trainable_params", "flops", "layers", "problems"} <= set(data)
    assert data["total_params"] == sum(layer["params"] for layer in data["layers"])


def test_summary_exit_codes(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    assert main(["summary", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"schema_version": 1, "blocks": [
        {"id": "b1", "kind": "input"}, {"id": "b2", "kind": "dense"}],
        "connections": [{"src": "b1", "dst": "b2"}]}))
    assert main(["summary", str(broken), "--json"]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert problems[0]["block"] == "dense_1" and "Flatten" in problems[0]["message"]


def test_preset_knobs_from_the_command_line(capsys):
    assert main(["summary", "--preset", "resnet56", "--json"]) == 0
    r56 = json.loads(capsys.readouterr().out)["total_params"]
    assert main(["summary", "--preset", "resnet20", "--param", "depth=56", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total_params"] == r56
