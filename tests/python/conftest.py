"""Shared fixtures: the package path, a fixed clock, a policy factory and an in-memory ledger."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "python-lib") not in sys.path:
    sys.path.insert(0, str(ROOT / "python-lib"))
