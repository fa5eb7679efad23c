"""``python -m mytorch``: the ``mytorch`` command line."""

from mytorch.cli import main

raise SystemExit(main())
