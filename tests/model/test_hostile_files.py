"""Hostile design files (issue 10): each gets a DesignFileError naming the problem, never a
traceback, in bounded time and memory."""

import json
import os
import time

import pytest

from cnn_explorer.model import DesignFileError
from cnn_explorer.model.cli import format_table, summary_dict
from cnn_explorer.model.files import load_design, read_text_bounded
from cnn_explorer.model.presets import build_preset

INPUT = {"id": "b1", "kind": "input", "name": "inp",
         "params": {"height": 8, "width": 8, "channels": 3}}
FLAT = {"id": "b2", "kind": "flatten", "name": "flat"}


def design(*blocks, connections=(), **extra) -> dict:
    return {"schema_version": 1, "blocks": list(blocks), "connections": list(connections),
            **extra}


def write(tmp_path, text: str):
    path = tmp_path / "d.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, reason", [
    ('{"schema_version":1,"blocks":[{"id":"b1","kind":"input","params":{"height":NaN}}]}',
     "NaN and Infinity are not allowed"),
    ('{"schema_version":1,"blocks":[{"id":"b1","kind":"conv2d","params":{"filters":Infinity}}]}',
     "NaN and Infinity"),
    ('{"schema_version":1,"blocks":[{"id":"b1","kind":"conv2d","params":{"filters":1e400}}]}',
     "too large"),
    ('{"schema_version":1,"blocks":[],"x":' + "1" * 5000 + "}", "5000 digits"),
    ('{"schema_version":1,"blocks":[],"x":' + "[" * 1000 + "]" * 1000 + "}", "nests 1001 levels"),
    ('{"schema_version":1,"blocks":[],"x":' + "[" * 100000 + "}", "nests"),
    ('{"schema_version":1,"blocks":[{"id":"b1","kind":"input","name":5}]}', "name must be text"),
    ('{"schema_version":1,"blocks":[{"id":"b1","kind":"input","params":"x"}]}',
     "params must be an object"),
    ('{"schema_version":1,"blocks":[{"id":"b1","kind":"input","params":1}]}',
     "params must be an object"),
    ('{"schema_version":1,"blocks":[{"id":{"a":1},"kind":"input"}]}', "id must be text"),
    ('{"schema_version":1,"blocks":[{"id":"b1","kind":["input"]}]}', "kind must be text"),
    ('{"schema_version":1,"blocks":[],"positions":[1]}', "'positions' must be an object"),
    ('{"schema_version":1,"blocks":[],"run_settings":[1]}', "'run_settings' must be an object"),
    ('{"schema_version":1,"blocks":[],"title":{"a":1}}', "title must be text"),
    ('{"schema_version":true,"blocks":[]}', "no schema_version"),
])
def test_hostile_json_gets_a_design_file_error(tmp_path, text, reason):
    with pytest.raises(DesignFileError, match=reason):
        load_design(write(tmp_path, text))


@pytest.mark.parametrize("port", [1e300, "0", True, -1, 5, 10**17])
def test_a_bad_port_is_refused(tmp_path, port):
    data = design(INPUT, FLAT, connections=[{"src": "b1", "dst": "b2", "port": port}])
    with pytest.raises(DesignFileError, match="port"):
        load_design(write(tmp_path, json.dumps(data)))


def test_infinite_port_is_refused(tmp_path):
    text = json.dumps(design(INPUT, FLAT)).replace(
        '"connections": []', '"connections": [{"src": "b1", "dst": "b2", "port": Infinity}]')
    with pytest.raises(DesignFileError, match="Infinity"):
        load_design(write(tmp_path, text))


@pytest.mark.parametrize("position", [{"x": 1}, [1], ["a", "b"], [1, 2, 3], [1e300, 0],
                                      [True, 0], None])
def test_a_bad_position_is_refused(tmp_path, position):
    data = design(INPUT, positions={"b1": position})
    with pytest.raises(DesignFileError, match="position of block 'b1'"):
        load_design(write(tmp_path, json.dumps(data)))


def test_a_401_digit_position_is_refused(tmp_path):
    text = json.dumps(design(INPUT)).replace('"connections"', '"positions": {"b1": [1' +
                                             "0" * 400 + ', 0]}, "connections"')
    with pytest.raises(DesignFileError, match="401 digits"):
        load_design(write(tmp_path, text))


def test_a_cycle_is_refused(tmp_path):
    act = {"id": "b3", "kind": "activation", "name": "act"}
    data = design(INPUT, FLAT, act, connections=[{"src": "b2", "dst": "b3"},
                                                 {"src": "b3", "dst": "b2"}])
    with pytest.raises(DesignFileError, match="cycle"):
        load_design(write(tmp_path, json.dumps(data)))


@pytest.mark.parametrize("shape", [5, [[1]], ["a", "b", "c"], [1e200], [10**17], [-1000], [],
                                   [0], [True], None, list(range(1, 20))])
def test_opaque_output_shape_must_be_positive_bounded_whole_numbers(tmp_path, shape):
    opaque = {"id": "b2", "kind": "opaque", "name": "odd",
              "params": {"class_name": "Identity", "output_shape": shape}}
    data = design(INPUT, opaque, connections=[{"src": "b1", "dst": "b2"}])
    with pytest.raises(DesignFileError, match="output_shape"):
        load_design(write(tmp_path, json.dumps(data)))


def test_opaque_input_shapes_and_counts_are_checked(tmp_path):
    opaque = {"id": "b2", "kind": "opaque", "name": "odd",
              "params": {"class_name": "Identity", "input_shapes": [[8, 8, -3]]}}
    with pytest.raises(DesignFileError, match="input_shapes"):
        load_design(write(tmp_path, json.dumps(design(INPUT, opaque))))
    opaque["params"] = {"class_name": "Identity", "trainable": 10**16}
    with pytest.raises(DesignFileError, match="trainable"):
        load_design(write(tmp_path, json.dumps(design(INPUT, opaque))))


def test_a_lone_surrogate_title_still_prints(tmp_path):
    text = json.dumps(design(INPUT, title="x")).replace('"x"', '"a\\ud800b"')
    loaded = load_design(write(tmp_path, text))
    assert loaded.title == "a\ufffdb"
    table = format_table(summary_dict(loaded))
    table.encode("utf-8")  # what printing needs; a lone surrogate cannot be encoded


@pytest.mark.parametrize("name", ["flat\n", "flat ", "1flat", "a" * 65, "fl-at", ""])
def test_block_names_must_match_the_whole_pattern(tmp_path, name):
    data = design(INPUT, dict(FLAT, name=name), connections=[{"src": "b1", "dst": "b2"}])
    if name == "":  # an empty name means "give it one"
        assert load_design(write(tmp_path, json.dumps(data))).graph.block("b2").name
        return
    with pytest.raises(DesignFileError, match="name must be"):
        load_design(write(tmp_path, json.dumps(data)))


def test_rename_refuses_a_trailing_newline():
    from cnn_explorer.model import DesignError

    graph = build_preset("plain-cnn").graph
    with pytest.raises(DesignError, match="name must be"):
        graph.rename(graph.block_ids()[1], "flat\n")


def test_missing_names_get_unique_ones(tmp_path):
    data = design(INPUT, {"id": "b2", "kind": "flatten"}, {"id": "b3", "kind": "flatten"},
                  {"id": "b4", "kind": "flatten", "name": "flatten_1"})
    names = [b.name for b in load_design(write(tmp_path, json.dumps(data))).graph.blocks()]
    assert len(set(names)) == 4


def test_duplicate_names_and_ids_are_refused(tmp_path):
    data = design(INPUT, dict(FLAT, name="inp"))
    with pytest.raises(DesignFileError, match="named 'inp'"):
        load_design(write(tmp_path, json.dumps(data)))
    data = design(INPUT, dict(FLAT, id="b1"))
    with pytest.raises(DesignFileError, match="already used"):
        load_design(write(tmp_path, json.dumps(data)))


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(DesignFileError, match="not a regular file"):
        load_design(fifo)


def test_a_device_is_refused_without_reading_it():
    with pytest.raises(DesignFileError, match="not a regular file"):
        load_design("/dev/zero")


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(DesignFileError, match="folder"):
        load_design(tmp_path)


def test_reading_stops_at_the_size_limit(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(" " * 2000)
    with pytest.raises(DesignFileError, match="larger than"):
        read_text_bounded(path, limit=1000)
    assert read_text_bounded(path, limit=2000) == " " * 2000


def chain(n: int) -> dict:
    blocks = [INPUT] + [{"id": f"b{i}", "kind": "activation", "name": f"act{i}"}
                        for i in range(2, n + 1)]
    connections = [{"src": f"b{i - 1}", "dst": f"b{i}"} for i in range(2, n + 1)]
    return design(*blocks, connections=connections)


def test_a_long_chain_loads_and_infers_in_order(tmp_path):
    loaded = load_design(write(tmp_path, json.dumps(chain(3000))))
    report = loaded.graph.report()
    assert len(report.order) == 3000 and report.order[-1] == "b3000"
    assert report.blocks["b3000"].output_shape == (8, 8, 3)
    assert loaded.graph.add_block("flatten") == "b3001"  # new ids continue after the file's


def test_hostile_inputs_fail_fast(tmp_path):
    """Bounded time: these used to take seconds or never return; generous limit, no ratio."""
    start = time.perf_counter()
    for text in ("[" * 200000, '{"a":' + "9" * 100000 + "}", '"' + "\\\\" * 100000):
        with pytest.raises(DesignFileError):
            load_design(write(tmp_path, text))
    assert time.perf_counter() - start < 30
