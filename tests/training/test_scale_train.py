"""Training the compound-scaled variants: each phi trained for the same budget, its FLOPs from
inference, a larger input fed resized images; and the command line around it."""

import subprocess
import sys
from pathlib import Path

from cnn_explorer.model.scaling import Scaling, scale_design
from cnn_explorer.training.scale_train import resized, train_variants


def test_variants_train_with_their_own_input_size(sample, tiny_design, tiny_settings):
    design = tiny_design()
    seen = []
    rows = train_variants(design, tiny_settings(subset=96, validation_split=0.34),
                          (0.0, 1.0), data=sample, on_variant=seen.append)
    assert [r["phi"] for r in rows] == [0.0, 1.0] and seen == rows
    assert rows[0]["flops"] == design.graph.report().flops
    assert rows[1]["flops"] == scale_design(design, Scaling(1.0)).graph.report().flops
    assert rows[1]["flops"] > rows[0]["flops"]
    assert all(r["status"] == "finished" and 0 <= r["accuracy"] <= 1 for r in rows)


def test_resized_keeps_labels_and_dtype(sample):
    bigger = resized(sample, 37, 37)
    assert bigger.x_train.shape[1:] == (37, 37, 3) and bigger.x_train.dtype == sample.x_train.dtype
    assert (bigger.y_train == sample.y_train).all() and resized(sample, 32, 32) is sample


def test_cli_refuses_bad_phi(tmp_path):
    env_path = str(Path(__file__).resolve().parents[2])
    done = subprocess.run([sys.executable, "-m", "cnn_explorer", "train-variants", "--preset",
                           "resnet20", "--phis", "0,99"], capture_output=True, text=True,
                          env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, timeout=300)
    assert done.returncode == 2 and "phi" in done.stderr and "Traceback" not in done.stderr
