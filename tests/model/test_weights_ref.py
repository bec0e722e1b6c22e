"""The model side of weights and fine-tuning: a block's trainable flag (an event, kept in the
design file) and the weights a design names (path beside it, hash, block fingerprints)."""

from __future__ import annotations

import json

import pytest

from cnn_explorer.model.errors import DesignFileError
from cnn_explorer.model.files import design_from_dict, design_to_dict, load_design, save_design
from cnn_explorer.model.graph import TrainableChanged
from cnn_explorer.model.presets import build_preset
from cnn_explorer.model.weights_ref import (
    WeightsRef,
    block_fingerprint,
    file_sha256,
    record_blocks,
    weights_path_for,
)


def test_freezing_a_block_is_an_event_and_returns_the_old_flag():
    design = build_preset("resnet20")
    graph, events = design.graph, []
    graph.subscribe(events.append)
    bid = graph.find("stem").id
    assert graph.set_trainable(bid, False) is True
    assert events == [TrainableChanged(bid, False)] and not graph.block(bid).trainable
    assert not graph.copy().block(bid).trainable  # what a training run is handed
    assert graph.set_trainable(bid, True) is False


def test_design_file_keeps_frozen_blocks_and_the_weights_it_names(tmp_path):
    design = build_preset("resnet20")
    graph = design.graph
    graph.set_trainable(graph.find("stem").id, False)
    weights = tmp_path / "net.weights.h5"
    weights.write_bytes(b"arrays")
    design.weights = WeightsRef(str(weights), file_sha256(weights), record_blocks(graph))
    save_design(design, tmp_path / "net.json")
    data = json.loads((tmp_path / "net.json").read_text())
    assert data["weights"]["file"] == "net.weights.h5"  # beside it: moves with it
    assert [b["name"] for b in data["blocks"] if b.get("trainable") is False] == ["stem"]
    again = load_design(tmp_path / "net.json")
    assert again.weights == design.weights
    assert [b.name for b in again.graph.blocks() if not b.trainable] == ["stem"]
    assert weights_path_for(tmp_path / "net.json") == weights


def test_a_block_fingerprint_follows_its_parameters_not_its_name():
    graph = build_preset("resnet20").graph
    bid = graph.find("stem").id
    before = block_fingerprint(graph.block(bid))
    graph.rename(bid, "first")
    assert block_fingerprint(graph.block(bid)) == before
    graph.set_param(bid, "filters", 32)
    assert block_fingerprint(graph.block(bid)) != before
    names = record_blocks(graph)[bid][1]
    assert names == tuple(layer.name for layer in graph.report().blocks[bid].layers)


@pytest.mark.parametrize("weights, message", [
    ({"sha256": "0" * 64}, "with a file name"),
    ({"file": "w.weights.h5", "sha256": "abc"}, "sha256"),
    ({"file": "w.weights.h5", "sha256": "0" * 64, "blocks": {"b1": "x"}}, r"\[fingerprint"),
])
def test_a_bad_weights_entry_is_a_clear_message(weights, message):
    data = design_to_dict(build_preset("resnet20"))
    data["weights"] = weights
    with pytest.raises(DesignFileError, match=message):
        design_from_dict(data)


def test_a_trainable_flag_that_is_not_true_or_false_is_refused():
    data = design_to_dict(build_preset("resnet20"))
    data["blocks"][1]["trainable"] = "no"
    with pytest.raises(DesignFileError, match="trainable must be true or false"):
        design_from_dict(data)
