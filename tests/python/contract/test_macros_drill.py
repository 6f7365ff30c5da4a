"""Contract: 'Record rollback drill', run as DSS runs it."""

from __future__ import annotations

from typing import Any

import pytest
from plugin_harness import ALICE_TICKET, MARIA_TICKET, MODEL_ID, SAVED_MODEL

from model_governance.core.errors import AuthorizationError, ConfigError

DRILL = {
    "saved_model_id": SAVED_MODEL,
    "version_id": "v1",
    "outcome": "passed",
    "note": "rolled back to undeploy on STAGING-ML-01; scoring checked",
}


def _rollback_check(plugin: Any, qualification_id: str) -> str:
    q = plugin.governance().ledger.get_qualification(qualification_id)
    return next(c.status.value for c in q.checks if c.check_id == "rollback")


def test_drill_by_ml_engineer_is_recorded_and_the_checks_rerun(plugin: Any) -> None:
    qualification_id = plugin.submit("v1")
    assert _rollback_check(plugin, qualification_id) == "fail"
    plugin.as_user(MARIA_TICKET)

    html = plugin.run("record-rollback-drill", DRILL)

    drilled = plugin.events("rollback.drilled")[-1]
    assert (drilled.actor, drilled.entity_id) == ("mle.maria", f"{MODEL_ID}/v1")
    assert drilled.payload["passed"] is True
    assert _rollback_check(plugin, qualification_id) == "pass"
    assert "recorded: passed" in html
    assert "rollback.drilled" in plugin.dss_audit_actions()


def test_drill_by_someone_without_the_ml_engineer_role_is_refused(plugin: Any) -> None:
    qualification_id = plugin.submit("v1")
    plugin.as_user(ALICE_TICKET)

    with pytest.raises(AuthorizationError, match=r"ds\.alice may not record a rollback drill"):
        plugin.run("record-rollback-drill", DRILL)

    assert plugin.events("rollback.drilled") == []
    assert plugin.events("rollback.drill_refused")[-1].actor == "ds.alice"
    assert _rollback_check(plugin, qualification_id) == "fail"


def test_failed_drill_is_recorded_and_keeps_the_check_failing(plugin: Any) -> None:
    qualification_id = plugin.submit("v1")
    plugin.as_user(MARIA_TICKET)

    plugin.run("record-rollback-drill", {**DRILL, "outcome": "failed"})

    assert plugin.events("rollback.drilled")[-1].payload["passed"] is False
    assert _rollback_check(plugin, qualification_id) == "fail"


def test_drill_without_note_names_the_field(plugin: Any) -> None:
    plugin.as_user(MARIA_TICKET)

    with pytest.raises(ConfigError, match="What was rehearsed: is required"):
        plugin.run("record-rollback-drill", {**DRILL, "note": ""})
