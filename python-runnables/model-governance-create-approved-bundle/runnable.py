"""Macro: Create approved bundle."""

from __future__ import annotations

from model_governance.dss.macros import create_approved_bundle
from model_governance.dss.runnable import GovernanceMacro


class MyRunnable(GovernanceMacro):
    """The macro as DSS runs it; ``macros.create_approved_bundle`` does the work."""

    macro = staticmethod(create_approved_bundle)
