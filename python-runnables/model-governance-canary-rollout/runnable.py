"""Macro: Start canary rollout."""

from __future__ import annotations

from model_governance.dss.canary import start_canary_rollout
from model_governance.dss.runnable import GovernanceMacro


class MyRunnable(GovernanceMacro):
    """The macro as DSS runs it; ``canary.start_canary_rollout`` does the work."""

    macro = staticmethod(start_canary_rollout)
