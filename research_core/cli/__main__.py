"""``python -m research_core.cli``: the ``workbench`` command."""

import sys

from research_core.cli._app import main

sys.exit(main())
