"""Macro: Submit model version for review."""

from __future__ import annotations

from model_governance.dss.macros import submit_for_review
from model_governance.dss.runnable import GovernanceMacro


class MyRunnable(GovernanceMacro):
    """The macro as DSS runs it; ``macros.submit_for_review`` does the work."""

    macro = staticmethod(submit_for_review)
