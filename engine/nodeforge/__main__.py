"""``python -m nodeforge``: the `nodeforge` command."""

from nodeforge.cli.main import main

raise SystemExit(main())
