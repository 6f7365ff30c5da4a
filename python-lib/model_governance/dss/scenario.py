"""How a governance scenario step ends: variables for later steps, then pass or fail.

Every step publishes what it decided as scenario variables, so later steps, run
conditions and reporters can use them:

- ``governance_<step>``: the step's report (decision, measured values, thresholds,
  reasons, ledger ids) as a JSON object;
- ``governance_<step>_outcome``: ``ok`` or ``breached``.

A breached rule fails the step when the step's "On breach" field says *fail*; with
*warn* the step succeeds, logs a warning and leaves ``breached`` in the variable, which
a later step can test in its "Run this step" condition (a Python step cannot end in
DSS's WARNING state). Either way the ledger already holds the decision.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dataiku.scenario import Scenario

from model_governance.core.errors import RuleBreachedError
from model_governance.core.hashing import canonical_value

log = logging.getLogger(__name__)

VARIABLE_PREFIX = "governance_"
ON_BREACH_FAIL = "fail"
ON_BREACH_WARN = "warn"
ON_BREACH_CHOICES = (ON_BREACH_FAIL, ON_BREACH_WARN)
OK = "ok"
BREACHED = "breached"

__all__ = [
    "BREACHED",
    "OK",
    "ON_BREACH_CHOICES",
    "ON_BREACH_FAIL",
    "ON_BREACH_WARN",
    "VARIABLE_PREFIX",
    "StepReport",
    "finish_step",
]


@dataclass(frozen=True)
class StepReport:
    """What a step decided: its name, whether a rule fired, a summary and its values."""

    step: str
    is_breached: bool
    summary: str
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        """``breached`` when a rule fired, else ``ok``."""
        return BREACHED if self.is_breached else OK


def finish_step(report: StepReport, *, on_breach: str) -> StepReport:
    """Publish the report as scenario variables; fail the step when it must.

    Raises:
        RuleBreachedError: the report is breached and ``on_breach`` is *fail*.
    """
    body = {**report.values, "outcome": report.outcome, "summary": report.summary}
    variables = {
        f"{VARIABLE_PREFIX}{report.step}": canonical_value(body),
        f"{VARIABLE_PREFIX}{report.step}_outcome": report.outcome,
    }
    Scenario().set_scenario_variables(**variables)
    if not report.is_breached:
        log.info("%s: %s", report.step, report.summary)
        return report
    if on_breach == ON_BREACH_FAIL:
        raise RuleBreachedError(report.summary)
    log.warning("%s (step set to warn): %s", report.step, report.summary)
    return report
