"""CNN Explorer: design, inspect and train convolutional networks on a canvas."""

from pathlib import Path

__version__ = "0.1.0"

# The app runs from a checkout (`pip install -e .`), so resources live beside the package.
RESOURCES = Path(__file__).resolve().parent.parent / "resources"
