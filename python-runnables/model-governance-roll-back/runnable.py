"""Macro: Roll back."""

from __future__ import annotations

from model_governance.dss.macros import roll_back
from model_governance.dss.runnable import GovernanceMacro


class MyRunnable(GovernanceMacro):
    """The macro as DSS runs it; ``macros.roll_back`` does the work."""

    macro = staticmethod(roll_back)
