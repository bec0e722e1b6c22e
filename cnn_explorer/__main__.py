"""`python -m cnn_explorer` is the same as the `cnn-explorer` command."""

import sys

from cnn_explorer.cli import main

sys.exit(main())
