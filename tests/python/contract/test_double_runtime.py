"""Contract: futures, scenarios, messaging, auth info and custom audit."""

from __future__ import annotations

from typing import Any

import pytest
from dataikuapi import GovernClient
from dataikuapi.dss.messaging_channel import DSSMailMessagingChannel
from dataikuapi.utils import DataikuException
from dss_double import ALICE_API_KEY

DEPLOYMENT = "FRAUD-on-STAGING-ML-01"


def _start_update(client: Any) -> Any:
    return client.get_projectdeployer().get_deployment(DEPLOYMENT).start_update()


# ---------------------------------------------------------------- futures


def test_future_wait_for_result_returns_update_report(dss_client: Any) -> None:
    assert _start_update(dss_client).wait_for_result()["success"] is True


def test_future_still_running_polls_until_done(dss_double: Any, dss_client: Any) -> None:
    dss_double.state.future_polls_before_done = 1
    future = _start_update(dss_client)

    first = future.get_state()
    result = future.wait_for_result()

    assert first["alive"] is True
    assert first["hasResult"] is False
    assert result["success"] is True


def test_future_peek_state_finished_omits_result(dss_client: Any) -> None:
    future = _start_update(dss_client)

    state = future.peek_state()

    assert state["hasResult"] is True
    assert "result" not in state


def test_future_get_state_finished_includes_result(dss_client: Any) -> None:
    state = _start_update(dss_client).get_state()

    assert state["alive"] is False
    assert state["result"]["success"] is True


def test_list_futures_running_future_is_listed(dss_double: Any, dss_client: Any) -> None:
    dss_double.state.future_polls_before_done = 5
    future = _start_update(dss_client)

    listed = [f["jobId"] for f in dss_client.list_futures()]

    assert listed == [future.job_id]


def test_future_abort_then_state_raises(dss_double: Any, dss_client: Any) -> None:
    dss_double.state.future_polls_before_done = 5
    future = _start_update(dss_client)

    future.abort()

    with pytest.raises(DataikuException, match="was aborted"):
        future.get_state()


def test_get_future_unknown_job_raises_not_found(dss_client: Any) -> None:
    with pytest.raises(DataikuException, match="Future does not exist: nope"):
        dss_client.get_future("nope").get_state()


# ---------------------------------------------------------------- scenarios


def test_list_scenarios_returns_fixture_scenarios(dss_client: Any) -> None:
    items = dss_client.get_project("FRAUD").list_scenarios()

    # DSSScenarioListItem.id answers the name in dataikuapi 15.2.0; the item has the id.
    assert [s["id"] for s in items] == ["DAILY_MONITORING", "RETRAIN_FRAUD", "GATE_TESTS"]
    assert [s.running for s in items] == [False, False, False]


def test_run_and_wait_success_returns_finished_run(dss_client: Any) -> None:
    scenario = dss_client.get_project("FRAUD").get_scenario("DAILY_MONITORING")

    run = scenario.run_and_wait(params={"reason": "contract test"})

    assert run.outcome == "SUCCESS"
    assert run.get_info()["trigger"]["params"] == {"reason": "contract test"}


def test_run_and_wait_planned_failure_raises(dss_double: Any, dss_client: Any) -> None:
    dss_double.state.set_scenario_outcome("FRAUD", "RETRAIN_FRAUD", "FAILED")
    scenario = dss_client.get_project("FRAUD").get_scenario("RETRAIN_FRAUD")

    with pytest.raises(DataikuException, match="Scenario run returned status FAILED"):
        scenario.run_and_wait()


def test_run_trigger_fire_leads_to_scenario_run(dss_client: Any) -> None:
    scenario = dss_client.get_project("FRAUD").get_scenario("DAILY_MONITORING")

    fire = scenario.run()

    assert fire.is_cancelled(refresh=True) is False
    assert fire.get_scenario_run().outcome == "SUCCESS"


def test_get_last_runs_newest_first(dss_double: Any, dss_client: Any) -> None:
    scenario = dss_client.get_project("FRAUD").get_scenario("DAILY_MONITORING")
    scenario.run()
    dss_double.state.set_scenario_outcome("FRAUD", "DAILY_MONITORING", "WARNING")
    scenario.run()

    runs = scenario.get_last_runs(limit=5)

    assert [r.outcome for r in runs] == ["WARNING", "SUCCESS"]
    assert scenario.get_last_finished_run().outcome == "WARNING"


def test_get_run_details_include_step_runs(dss_client: Any) -> None:
    scenario = dss_client.get_project("FRAUD").get_scenario("DAILY_MONITORING")
    run_id = scenario.run().get_scenario_run().id

    details = scenario.get_run(run_id).get_details()

    assert details["scenarioRun"]["runId"] == run_id
    assert details["stepRuns"][0]["result"]["outcome"] == "SUCCESS"


def test_scenario_get_status_is_not_running(dss_client: Any) -> None:
    status = dss_client.get_project("FRAUD").get_scenario("DAILY_MONITORING").get_status()

    assert status.running is False
    assert status.next_run is None


def test_run_unknown_scenario_raises_not_found(dss_client: Any) -> None:
    scenario = dss_client.get_project("FRAUD").get_scenario("NOPE")

    with pytest.raises(DataikuException, match=r"Scenario does not exist: FRAUD\.NOPE"):
        scenario.run()


# ---------------------------------------------------------------- messaging


def test_list_messaging_channels_mail_family_only(dss_client: Any) -> None:
    channels = dss_client.list_messaging_channels(channel_family="mail")

    assert [c.id for c in channels] == ["governance-mail"]


def test_get_messaging_channel_mail_channel_has_sender(dss_client: Any) -> None:
    channel = dss_client.get_messaging_channel("governance-mail")

    assert isinstance(channel, DSSMailMessagingChannel)
    assert channel.sender == "model-governance@insurer.example"


def test_send_mail_with_attachment_is_recorded(dss_double: Any, dss_client: Any) -> None:
    channel = dss_client.get_messaging_channel("governance-mail")

    channel.send(
        "FRAUD",
        ["raj.patel@insurer.example"],
        "Review requested: dental_fraud_classifier v3",
        "<p>Please review.</p>",
        attachments=[["arb_packet.html", b"<html>packet</html>", "text/html"]],
    )

    sent = dss_double.state.sent_mail[-1]
    assert sent["to"] == ["raj.patel@insurer.example"]
    assert sent["from"] == "model-governance@insurer.example"
    assert sent["subject"] == "Review requested: dental_fraud_classifier v3"
    assert sent["attachments"][0]["filename"] == "arb_packet.html"
    assert sent["attachments"][0]["content"] == b"<html>packet</html>"


def test_send_mail_invalid_recipient_raises_bad_request(dss_client: Any) -> None:
    channel = dss_client.get_messaging_channel("governance-mail")

    with pytest.raises(DataikuException, match=r"Invalid recipient address: 'raj\.patel'"):
        channel.send("FRAUD", ["raj.patel"], "Subject", "Body")


def test_send_mail_on_non_mail_channel_raises_bad_request(dss_client: Any) -> None:
    channel = DSSMailMessagingChannel(dss_client, {"id": "ml-ops-slack"})

    with pytest.raises(DataikuException, match="ml-ops-slack is not a mail channel"):
        channel.send("FRAUD", ["a@insurer.example"], "Subject", "Body")


# ------------------------------------------------------- auth, audit, Govern link


def test_get_auth_info_admin_key_is_admin_user(dss_client: Any) -> None:
    info = dss_client.get_auth_info()

    assert info["authIdentifier"] == "admin"
    assert info["groups"] == ["administrators"]


def test_get_auth_info_personal_key_is_its_user(dss_double: Any) -> None:
    info = dss_double.client(ALICE_API_KEY).get_auth_info()

    assert info["authIdentifier"] == "ds.alice"


def test_get_auth_info_from_browser_headers_known_cookie_returns_user(dss_client: Any) -> None:
    headers = {"Host": "dss.insurer.example", "Cookie": "lang=en; dss-session=sess-arb-chair-7f3a"}

    info = dss_client.get_auth_info_from_browser_headers(headers)

    assert info["authIdentifier"] == "arb.chair"
    assert info["groups"] == ["architecture_review_board"]
    assert info["email"] == "raj.patel@insurer.example"


def test_get_auth_info_from_browser_headers_unknown_cookie_is_refused(dss_client: Any) -> None:
    headers = {"Cookie": "dss-session=forged"}

    with pytest.raises(DataikuException, match="No valid DSS session in the given browser headers"):
        dss_client.get_auth_info_from_browser_headers(headers)


def test_get_auth_info_from_browser_headers_no_cookie_is_refused(dss_client: Any) -> None:
    with pytest.raises(DataikuException, match="UnauthorizedException"):
        dss_client.get_auth_info_from_browser_headers({"Host": "dss.insurer.example"})


def test_log_custom_audit_is_recorded_with_caller(dss_double: Any, dss_client: Any) -> None:
    dss_client.log_custom_audit("model-governance.transition", {"to": "IN_REVIEW", "version": "v3"})

    entry = dss_double.state.audit_log[-1]
    assert entry["customMsgType"] == "model-governance.transition"
    assert entry["customMsgParams"] == {"to": "IN_REVIEW", "version": "v3"}
    assert entry["authIdentifier"] == "admin"


def test_get_govern_client_admin_gets_client_on_govern_node(
    dss_double: Any, dss_client: Any
) -> None:
    govern = dss_client.get_govern_client()

    assert isinstance(govern, GovernClient)
    assert govern.host == dss_double.govern_url
    assert govern.get_auth_info()["authIdentifier"] == "admin"


def test_get_govern_client_non_admin_is_forbidden(dss_double: Any) -> None:
    with pytest.raises(DataikuException, match="you need admin rights"):
        dss_double.client(ALICE_API_KEY).get_govern_client()
