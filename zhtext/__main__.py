"""``python -m zhtext``: the same program as the ``zhtext`` console script."""

import sys

from zhtext_cli.main import main

sys.exit(main())
