"""Importing the bridge must not import TensorFlow: the window shows before it loads."""

import subprocess
import sys

MODULES = ("build", "export", "importer", "mapping", "checkpoint", "cli", "templates")


def test_bridge_modules_import_without_tensorflow():
    code = ("import sys\n"
            + "".join(f"import cnn_explorer.keras.{m}\n" for m in MODULES)
            + "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
