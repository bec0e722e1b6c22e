"""`run_app(path)`: start Qt, show the window, run the event loop.

Before Qt is created it checks, on Linux with the xcb platform, that a display and the system
libraries Qt's xcb plugin needs are there; otherwise Qt aborts with a bare "could not load the
Qt platform plugin" and a core dump, and the user learns nothing. Here they learn what to
install, or to use QT_QPA_PLATFORM=offscreen.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from typing import Callable

XCB_LIBS = {  # soname -> Debian/Ubuntu package
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-xkb.so.1": "libxcb-xkb1", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-sync.so.1": "libxcb-sync1",
}
SHOWN_ENV = "CNN_EXPLORER_EXIT_WHEN_SHOWN"  # benchmarks: print the time and quit once shown


def platform_problem(environ: dict | None = None, platform: str | None = None,
                     load: Callable[[str], object] = ctypes.CDLL) -> str | None:
    """Why Qt's window cannot open here, in words a user can act on; None if it looks fine."""
    env = os.environ if environ is None else environ
    platform = platform or sys.platform
    qpa = env.get("QT_QPA_PLATFORM", "")
    if not platform.startswith("linux") or (qpa and not qpa.startswith("xcb")):
        return None
    if not qpa and env.get("WAYLAND_DISPLAY"):
        return None  # Qt picks its Wayland plugin
    if not env.get("DISPLAY"):
        return ("cnn-explorer: no display found (DISPLAY is not set).\n"
                "  On a machine without a screen run it under a virtual one:\n"
                "    xvfb-run -a cnn-explorer\n"
                "  or without any window system: QT_QPA_PLATFORM=offscreen cnn-explorer")
    missing = []
    for soname, package in XCB_LIBS.items():
        try:
            load(soname)
        except OSError:
            missing.append(package)
    if not missing:
        return None
    return ("cnn-explorer: Qt's xcb platform plugin cannot load: system libraries are missing.\n"
            f"  Missing: {', '.join(missing)}\n"
            "  Install them (Debian/Ubuntu):\n"
            f"    sudo apt-get install {' '.join(XCB_LIBS.values())}\n"
            "  (shared/tools/xvfb-deps.sh installs these plus Xvfb), or run without a window "
            "system: QT_QPA_PLATFORM=offscreen")


def run_app(path: str | None = None, argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    problem = platform_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 3
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from cnn_explorer.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("CNN Explorer")
    app.setOrganizationName("cnn-explorer")
    if app.platformName() == "offscreen":  # it crashes at exit holding Python's QMimeData
        app.aboutToQuit.connect(lambda: app.clipboard().clear())
    window = MainWindow(path)
    window.show()
    if os.environ.get(SHOWN_ENV):
        def shown() -> None:
            print(f"window shown after {time.perf_counter() - started:.3f} s "
                  f"(tensorflow imported: {'tensorflow' in sys.modules})", flush=True)
            QTimer.singleShot(0, finished)

        def finished() -> None:
            window.add_training_panel()
            print(f"training panel ready after {time.perf_counter() - started:.3f} s", flush=True)
            window.recovery.discard()
            window.document.undo_stack.setClean()
            window.close()
            app.quit()
        QTimer.singleShot(0, shown)
    return app.exec()
