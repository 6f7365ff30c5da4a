"""Slack and PagerDuty notifications against a local HTTP receiver on 127.0.0.1.

The receiver checks each request against the services' documented formats: a Slack
incoming webhook takes JSON with ``text`` and optional ``blocks``; the PagerDuty Events
API v2 takes ``POST /v2/enqueue`` with ``routing_key``, ``event_action``, ``dedup_key``
and a ``payload`` of summary, source, severity, timestamp, component, group, class and
custom_details.
"""

from __future__ import annotations

import logging
import socket
from datetime import datetime, timezone
from typing import Any

import pytest
from webhook_receiver import ROUTING_KEY, SLACK_PATH, WebhookReceiver

from model_governance.core.errors import ConfigError, ValidationError
from model_governance.notify import (
    PAGERDUTY,
    SLACK,
    Alert,
    WebhookNotifier,
    notification_config_from_env,
    pagerduty_payload,
    parse_notification_config,
    slack_payload,
)

SEVERITIES = {"critical", "error", "warning", "info"}
SLACK_BLOCK_TYPES = {"header", "section", "context", "divider", "actions", "image"}


@pytest.fixture
def sleeps() -> list[float]:
    return []


def _notifier(receiver: WebhookReceiver, sleeps: list[float], **overrides: Any) -> WebhookNotifier:
    return WebhookNotifier(
        parse_notification_config(receiver.settings(**overrides)), sleep=sleeps.append
    )


def _alert(**overrides: Any) -> Alert:
    values: dict[str, Any] = {
        "summary": "claims-fraud v1: AUC alert: AUC 0.8712 is below the alert threshold 0.88",
        "severity": "critical",
        "dedup_key": "model-governance:claims-fraud:auc_alert:-:7",
        "source": "CLAIMS/claims-fraud",
        "component": "claims-fraud",
        "group": "CLAIMS",
        "alert_class": "auc_alert",
        "occurred_at": datetime(2024, 3, 2, 2, 0, tzinfo=timezone.utc),
        "details": {"measured": {"auc": 0.8712}, "thresholds": {"auc_alert_threshold": 0.88}},
        "channels": (SLACK, PAGERDUTY),
    }
    values.update(overrides)
    return Alert(**values)


def _check_slack_format(request: dict[str, Any]) -> None:
    assert request["path"] == SLACK_PATH
    assert request["headers"]["Content-Type"] == "application/json"
    body = request["body"]
    assert isinstance(body["text"], str)
    assert body["text"]
    assert set(body) <= {"text", "blocks"}
    for block in body.get("blocks", []):
        assert block["type"] in SLACK_BLOCK_TYPES
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert block["text"]["type"] in ("mrkdwn", "plain_text")
            assert len(block["text"]["text"]) <= 3000


def _check_pagerduty_format(request: dict[str, Any]) -> None:
    assert request["path"] == "/v2/enqueue"
    assert request["headers"]["Content-Type"] == "application/json"
    body = request["body"]
    assert set(body) == {"routing_key", "event_action", "dedup_key", "payload"}
    assert body["routing_key"] == ROUTING_KEY
    assert body["event_action"] == "trigger"
    assert 0 < len(body["dedup_key"]) <= 255
    payload = body["payload"]
    required = {"summary", "source", "severity", "timestamp", "component", "group", "class"}
    assert required <= set(payload) <= required | {"custom_details"}
    assert 0 < len(payload["summary"]) <= 1024
    assert payload["severity"] in SEVERITIES
    assert datetime.fromisoformat(payload["timestamp"]).tzinfo is not None
    assert isinstance(payload["custom_details"], dict)


# Formats


def test_slack_delivery_matches_incoming_webhook_format(receiver, sleeps):
    result = _notifier(receiver, sleeps).deliver(SLACK, _alert())

    assert result.is_delivered
    assert result.attempts == 1
    assert result.status_code == 200
    assert len(receiver.requests) == 1
    _check_slack_format(receiver.requests[0])
    assert receiver.requests[0]["body"]["text"].startswith("[CRITICAL] claims-fraud v1")


def test_pagerduty_delivery_matches_events_v2_format(receiver, sleeps):
    result = _notifier(receiver, sleeps).deliver(PAGERDUTY, _alert())

    assert result.is_delivered
    assert result.status_code == 202
    _check_pagerduty_format(receiver.requests[0])
    body = receiver.requests[0]["body"]
    assert body["dedup_key"] == "model-governance:claims-fraud:auc_alert:-:7"
    assert body["payload"]["class"] == "auc_alert"
    assert body["payload"]["custom_details"]["measured"] == {"auc": 0.8712}
    assert body["payload"]["timestamp"] == "2024-03-02T02:00:00.000000+00:00"


def test_pagerduty_summary_clipped_to_1024_characters():
    payload = pagerduty_payload(_alert(summary="x" * 5000), routing_key=ROUTING_KEY)

    assert len(payload["payload"]["summary"]) == 1024


def test_slack_payload_escapes_markup():
    payload = slack_payload(_alert(summary="AUC <0.88 & falling"))

    section = payload["blocks"][1]["text"]["text"]
    assert "AUC &lt;0.88 &amp; falling" in section


def test_alert_refuses_unknown_severity():
    with pytest.raises(ValidationError, match="alert severity: 'fatal' is not one of critical"):
        _alert(severity="fatal")


def test_alert_refuses_dedup_key_longer_than_255():
    with pytest.raises(ValidationError, match="needs 1 to 255 characters, got 256"):
        _alert(dedup_key="k" * 256)


# Retries and backoff


def test_server_errors_retried_with_exponential_backoff(receiver, sleeps):
    receiver.statuses = [500, 503]

    result = _notifier(receiver, sleeps, backoff_seconds=2.0).deliver(PAGERDUTY, _alert())

    assert result.is_delivered
    assert result.attempts == 3
    assert sleeps == [2.0, 4.0]
    assert all(r["body"]["dedup_key"] == _alert().dedup_key for r in receiver.requests)


def test_retry_after_header_lengthens_the_wait(receiver, sleeps):
    receiver.statuses = [429]
    receiver.retry_after = "7"

    result = _notifier(receiver, sleeps, backoff_seconds=1.0).deliver(SLACK, _alert())

    assert result.is_delivered
    assert sleeps == [7.0]


def test_backoff_capped_by_max_backoff(receiver, sleeps):
    receiver.statuses = [500, 500]

    _notifier(receiver, sleeps, backoff_seconds=20.0, max_backoff_seconds=30.0).deliver(
        SLACK, _alert()
    )

    assert sleeps == [20.0, 30.0]


def test_attempts_are_bounded_and_failure_reported(receiver, sleeps):
    receiver.statuses = [503] * 10

    result = _notifier(receiver, sleeps, max_attempts=4).deliver(SLACK, _alert())

    assert result.is_delivered is False
    assert result.attempts == 4
    assert len(receiver.requests) == 4
    assert len(sleeps) == 3
    assert result.status_code == 503
    assert result.error.startswith("HTTP 503")


def test_client_error_not_retried(receiver, sleeps):
    receiver.statuses = [400]

    result = _notifier(receiver, sleeps).deliver(PAGERDUTY, _alert())

    assert result.is_delivered is False
    assert result.attempts == 1
    assert sleeps == []


def test_unreachable_receiver_retried_then_reported(sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = parse_notification_config(
        {"slack_webhook_url": f"http://127.0.0.1:{port}/services/x", "max_attempts": 2}
    )

    result = WebhookNotifier(config, sleep=sleeps.append).deliver(SLACK, _alert())

    assert result.is_delivered is False
    assert result.attempts == 2
    assert result.status_code is None
    assert result.error.startswith("network error")
    assert sleeps == [1.0]


# Secrets


def test_config_repr_hides_webhook_url_and_routing_key(receiver):
    text = repr(parse_notification_config(receiver.settings()))

    assert SLACK_PATH not in text
    assert ROUTING_KEY not in text
    assert "pagerduty_url" in text


def test_target_names_scheme_and_host_only(receiver, sleeps):
    notifier = _notifier(receiver, sleeps)

    assert notifier.target(SLACK) == receiver.url
    assert notifier.deliver(SLACK, _alert()).target == receiver.url


def test_failed_delivery_never_logs_or_keeps_secrets(receiver, sleeps, caplog):
    receiver.statuses = [500, 500, 500]
    receiver.echo_secret = True
    caplog.set_level(logging.DEBUG)

    results = [_notifier(receiver, sleeps).deliver(c, _alert()) for c in (SLACK, PAGERDUTY)]

    kept = " ".join(r.error + r.target for r in results) + caplog.text
    assert "bad key ***" in kept
    assert ROUTING_KEY not in kept
    assert "s3cr3t-webhook-token" not in kept
    assert caplog.records, "failures are logged"


# Configuration


def test_config_channels_only_those_with_secrets():
    assert parse_notification_config({}).channels == ()
    assert parse_notification_config({"pagerduty_routing_key": "k"}).channels == (PAGERDUTY,)


def test_notifier_skips_channels_not_configured(receiver, sleeps):
    notifier = WebhookNotifier(parse_notification_config({"pagerduty_routing_key": "k"}))

    assert notifier.channels_for(_alert()) == (PAGERDUTY,)
    assert notifier.channels_for(_alert(channels=(SLACK,))) == ()


def test_config_from_environment():
    config = notification_config_from_env(
        {
            "MODEL_GOVERNANCE_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/a/b/c",
            "MODEL_GOVERNANCE_PAGERDUTY_ROUTING_KEY": "key",
        }
    )

    assert config.channels == (SLACK, PAGERDUTY)
    assert config.pagerduty_url == "https://events.pagerduty.com/v2/enqueue"


def test_config_refuses_unknown_key():
    with pytest.raises(ConfigError, match=r"unknown key\(s\) webhook; accepted keys are"):
        parse_notification_config({"webhook": "x"})


def test_config_refuses_non_http_url_without_quoting_it():
    with pytest.raises(ConfigError, match="slack_webhook_url: expected an http") as raised:
        parse_notification_config({"slack_webhook_url": "ftp://secret-host/secret-path"})

    assert "secret-path" not in str(raised.value)


def test_config_refuses_too_many_attempts():
    with pytest.raises(ConfigError, match="max_attempts: expected a whole number from 1 to 10"):
        parse_notification_config({"max_attempts": 50})
