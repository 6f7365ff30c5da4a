"""Macro: Record rollback drill."""

from __future__ import annotations

from model_governance.dss.macros import record_rollback_drill
from model_governance.dss.runnable import GovernanceMacro


class MyRunnable(GovernanceMacro):
    """The macro as DSS runs it; ``macros.record_rollback_drill`` does the work."""

    macro = staticmethod(record_rollback_drill)
