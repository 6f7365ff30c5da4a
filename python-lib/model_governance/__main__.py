"""``python -m model_governance``."""

from model_governance.cli import main

raise SystemExit(main())
