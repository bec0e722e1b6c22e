"""Where the app keeps its state: the state folder and the settings (recent files, window layout).

The state folder is $CNN_EXPLORER_STATE_DIR when set (tests point it at a temp dir), else Qt's
AppDataLocation. Settings live there too when the variable is set, so tests never touch the
user's own settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

STATE_ENV = "CNN_EXPLORER_STATE_DIR"


def state_dir() -> Path:
    custom = os.environ.get(STATE_ENV)
    path = Path(custom) if custom else Path(
        QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or
        Path.home() / ".cnn-explorer")
    path.mkdir(parents=True, exist_ok=True)
    return path


def app_settings() -> QSettings:
    if os.environ.get(STATE_ENV):
        return QSettings(str(state_dir() / "settings.ini"), QSettings.IniFormat)
    return QSettings("cnn-explorer", "CNN Explorer")
