"""The model layer imports neither Qt nor TensorFlow (napari's rule, enforced by a test)."""

import subprocess
import sys


def test_model_and_cli_import_without_qt_or_tensorflow():
    code = (
        "import sys\n"
        "import cnn_explorer.model, cnn_explorer.model.presets, cnn_explorer.model.cli\n"
        "from cnn_explorer.model.presets import build_preset\n"
        "build_preset('resnet50').graph.report()\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'tensorflow', 'keras', 'pyqtgraph', 'shiboken6'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
