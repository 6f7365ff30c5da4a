"""Macro: Deploy to an infrastructure."""

from __future__ import annotations

from model_governance.dss.macros import deploy_bundle
from model_governance.dss.runnable import GovernanceMacro


class MyRunnable(GovernanceMacro):
    """The macro as DSS runs it; ``macros.deploy_bundle`` does the work."""

    macro = staticmethod(deploy_bundle)
