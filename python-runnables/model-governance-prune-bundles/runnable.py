"""Macro: Prune bundles."""

from __future__ import annotations

from model_governance.dss.macros import prune_bundles
from model_governance.dss.runnable import GovernanceMacro


class MyRunnable(GovernanceMacro):
    """The macro as DSS runs it; ``macros.prune_bundles`` does the work."""

    macro = staticmethod(prune_bundles)
