"""The exported script scales out: two local CPU workers named in TF_CONFIG train one model
(MultiWorkerMirroredStrategy) and end with the same weights."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

import cnn_explorer
from cnn_explorer.keras.export import export_python
from cnn_explorer.model.presets import build_preset

SAMPLE = Path(cnn_explorer.__file__).parent.parent / "resources" / "sample" / "cifar10_sample.npz"


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def read_weights(path: Path) -> list[np.ndarray]:
    import h5py

    arrays: list[np.ndarray] = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: arrays.append(np.asarray(item))
                     if isinstance(item, h5py.Dataset) else None)
    return arrays


def test_two_local_workers_train_one_model_and_agree_on_its_weights(tmp_path):
    design = build_preset("plain-deep", depth=8, width=4)  # convolutions with batch norm
    script = tmp_path / "model.py"
    script.write_text(export_python(design, "model.py"), encoding="utf-8")
    workers = [f"localhost:{port}" for port in free_ports(2)]
    weights = tmp_path / "final.weights.h5"
    runs = []
    for index in range(2):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="",
                   TF_CONFIG=json.dumps({"cluster": {"worker": workers},
                                         "task": {"type": "worker", "index": index}}))
        runs.append(subprocess.Popen(
            [sys.executable, str(script), "--dataset", str(SAMPLE), "--epochs", "1",
             "--steps", "3", "--batch-size", "16", "--save-weights", str(weights)],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = []
    for run in runs:
        try:
            out, _ = run.communicate(timeout=240)
        finally:
            for other in runs:
                if other.poll() is None and run.returncode is None:
                    other.kill()
        outputs.append(out)
        assert run.returncode == 0, out[-3000:]
    for out in outputs:
        assert "MultiWorkerMirroredStrategy, 2 replica(s)" in out, out[-3000:]
        assert "test accuracy" in out and "epoch 1/1: loss" in out
    digests = [line for out in outputs for line in out.splitlines()
               if line.startswith("weights sha256")]
    assert len(digests) == 2 and digests[0] == digests[1]
    chief, other = read_weights(weights), read_weights(tmp_path / "final.worker1.weights.h5")
    assert len(chief) == len(other) > 0
    for a, b in zip(chief, other):
        np.testing.assert_array_equal(a, b)
