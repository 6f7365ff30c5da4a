"""Macro: Publish bundle to the Project Deployer."""

from __future__ import annotations

from model_governance.dss.macros import publish_bundle
from model_governance.dss.runnable import GovernanceMacro


class MyRunnable(GovernanceMacro):
    """The macro as DSS runs it; ``macros.publish_bundle`` does the work."""

    macro = staticmethod(publish_bundle)
