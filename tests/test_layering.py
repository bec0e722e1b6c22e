"""The layering model <- keras <- training <- ui, and the ui parts' own rules, as import-linter
contracts (pyproject.toml, [tool.importlinter]); this test runs the tool on the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(config: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("lint-imports")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "importlinter.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([*command, "--config", str(config), "--no-cache"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_every_layering_contract_is_kept():
    out = lint_imports(ROOT / "pyproject.toml")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout
    for contract in ("model imports neither Qt nor TensorFlow", "Training and the Keras bridge",
                     "Editing (document, commands, controller)", "training panel and its session"):
        assert contract in out.stdout


def test_a_broken_contract_fails_the_check(tmp_path):
    """The same tool on a contract the code breaks (the ui imports the model): it must fail."""
    config = tmp_path / "broken.toml"
    config.write_text('[tool.importlinter]\nroot_package = "cnn_explorer"\n\n'
                      '[[tool.importlinter.contracts]]\nname = "ui without the model"\n'
                      'type = "forbidden"\nsource_modules = ["cnn_explorer.ui"]\n'
                      'forbidden_modules = ["cnn_explorer.model"]\n')
    out = lint_imports(config)
    assert out.returncode != 0 and "1 broken" in out.stdout
