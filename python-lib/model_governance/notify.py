"""Alert notifications: Slack incoming webhooks and the PagerDuty Events API v2.

The payload builders are pure. :class:`WebhookNotifier` posts them with
``urllib.request`` and retries a failed post with exponential backoff (network errors,
HTTP 408, 429 and 5xx; at most ``max_attempts`` tries), then reports the outcome; it
never raises for a failed delivery, so the caller records it.

Formats, as the services document them:

- Slack incoming webhook: ``POST`` of JSON with ``text`` (the notification and
  fallback text) and optional ``blocks`` (Block Kit layout); Slack answers 200 ``ok``.
- PagerDuty Events API v2: ``POST /v2/enqueue`` of JSON with ``routing_key``,
  ``event_action`` ``trigger``, ``dedup_key`` (at most 255 characters) and ``payload``
  with ``summary`` (at most 1024 characters), ``source``, ``severity`` (``critical``,
  ``error``, ``warning`` or ``info``), ``timestamp``, ``component``, ``group``,
  ``class`` and ``custom_details``; PagerDuty answers 202. Events sharing a
  ``dedup_key`` belong to one PagerDuty alert.

Secrets: the Slack webhook URL (its path is the credential) and the PagerDuty routing
key are configuration fields with ``repr=False``. Logs, errors and delivery records
name only the scheme and host they were sent to, and any text coming back from a
service is scrubbed of both secrets before it is kept.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional
from urllib.parse import urlsplit

from model_governance.core.errors import ConfigError, ValidationError
from model_governance.core.hashing import canonical_value, to_utc_iso

log = logging.getLogger(__name__)

SLACK = "slack"
PAGERDUTY = "pagerduty"
CHANNELS = (SLACK, PAGERDUTY)
SEVERITIES = ("critical", "error", "warning", "info")
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"

SLACK_URL_ENV = "MODEL_GOVERNANCE_SLACK_WEBHOOK_URL"
PAGERDUTY_KEY_ENV = "MODEL_GOVERNANCE_PAGERDUTY_ROUTING_KEY"
PAGERDUTY_URL_ENV = "MODEL_GOVERNANCE_PAGERDUTY_URL"

MAX_SUMMARY_CHARS = 1024
MAX_DEDUP_KEY_CHARS = 255
_SLACK_HEADER_CHARS = 150
_SLACK_SECTION_CHARS = 3000
_KEPT_RESPONSE_CHARS = 200

__all__ = [
    "CHANNELS",
    "PAGERDUTY",
    "PAGERDUTY_EVENTS_URL",
    "SEVERITIES",
    "SLACK",
    "Alert",
    "DeliveryResult",
    "NotificationConfig",
    "Transport",
    "WebhookNotifier",
    "notification_config_from_env",
    "pagerduty_payload",
    "parse_notification_config",
    "post_json",
    "slack_payload",
]


@dataclass(frozen=True)
class Alert:
    """One notification: what happened, how bad, and where it goes.

    ``dedup_key`` identifies the episode, so a re-sent trigger lands on the same
    PagerDuty alert, and the resolution (``is_resolution``) closes it; ``details``
    carries the measured values and thresholds.
    """

    summary: str
    severity: str
    dedup_key: str
    source: str
    component: str
    group: str
    alert_class: str
    occurred_at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)
    channels: tuple[str, ...] = (SLACK,)
    is_resolution: bool = False

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValidationError(
                f"alert severity: {self.severity!r} is not one of {', '.join(SEVERITIES)}."
            )
        unknown = sorted(set(self.channels) - set(CHANNELS))
        if unknown:
            raise ValidationError(
                f"alert channels: {', '.join(unknown)} unknown; use {', '.join(CHANNELS)}."
            )
        if not self.dedup_key or len(self.dedup_key) > MAX_DEDUP_KEY_CHARS:
            raise ValidationError(
                f"alert dedup_key: needs 1 to {MAX_DEDUP_KEY_CHARS} characters, got "
                f"{len(self.dedup_key)}."
            )


@dataclass(frozen=True)
class NotificationConfig:
    """Where alerts go and how hard to try; empty secrets switch a channel off."""

    slack_webhook_url: str = field(default="", repr=False)
    pagerduty_routing_key: str = field(default="", repr=False)
    pagerduty_url: str = PAGERDUTY_EVENTS_URL
    max_attempts: int = 4
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 30.0
    timeout_seconds: float = 10.0

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels configured with their secret."""
        configured = {SLACK: self.slack_webhook_url, PAGERDUTY: self.pagerduty_routing_key}
        return tuple(c for c in CHANNELS if configured[c])


@dataclass(frozen=True)
class DeliveryResult:
    """How one notification to one channel went."""

    channel: str
    target: str
    is_delivered: bool
    attempts: int
    status_code: Optional[int] = None
    error: str = ""


Transport = Callable[[str, bytes, float], tuple[int, bytes, Mapping[str, str]]]
"""Posts JSON bytes to a URL with a timeout; returns status, body and headers.

Any HTTP status is returned, not raised; a network failure raises :class:`OSError`
(or :class:`http.client.HTTPException`).
"""


# Configuration


_NUMBER_LIMITS: dict[str, tuple[float, float]] = {
    "backoff_seconds": (0.0, 300.0),
    "max_backoff_seconds": (0.0, 3600.0),
    "timeout_seconds": (0.1, 300.0),
}


def parse_notification_config(data: Mapping[str, Any]) -> NotificationConfig:
    """Validate a notification settings object (plugin preset or local JSON file).

    Raises:
        ConfigError: naming the key and the fix; secret values are never quoted.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"notifications: expected a JSON object, got {type(data).__name__}.")
    known = set(NotificationConfig.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"notifications: unknown key(s) {', '.join(unknown)}; accepted keys are "
            f"{', '.join(sorted(known))}."
        )
    values: dict[str, Any] = {}
    for key in ("slack_webhook_url", "pagerduty_url"):
        if data.get(key):
            values[key] = _checked_url(f"notifications.{key}", data[key])
    routing_key = data.get("pagerduty_routing_key")
    if routing_key:
        if not isinstance(routing_key, str) or not routing_key.strip():
            raise ConfigError(
                "notifications.pagerduty_routing_key: expected the integration key as text."
            )
        values["pagerduty_routing_key"] = routing_key.strip()
    if "max_attempts" in data:
        values["max_attempts"] = _checked_attempts(data["max_attempts"])
    for name, (low, high) in _NUMBER_LIMITS.items():
        if name in data:
            values[name] = _checked_number(f"notifications.{name}", data[name], low, high)
    return NotificationConfig(**values)


def notification_config_from_env(environ: Mapping[str, str]) -> NotificationConfig:
    """Settings from the environment (``SLACK_URL_ENV``, ``PAGERDUTY_KEY_ENV``...)."""
    data = {
        "slack_webhook_url": environ.get(SLACK_URL_ENV, ""),
        "pagerduty_routing_key": environ.get(PAGERDUTY_KEY_ENV, ""),
        "pagerduty_url": environ.get(PAGERDUTY_URL_ENV, ""),
    }
    return parse_notification_config({k: v for k, v in data.items() if v})


def _checked_url(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{name}: expected an http(s) URL as text, got {type(value).__name__}.")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{name}: expected an http:// or https:// URL with a host, got a value with "
            f"scheme {parts.scheme or '(none)'!r}; copy the URL the service gave you."
        )
    return value.strip()


def _checked_attempts(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
        raise ConfigError(
            f"notifications.max_attempts: expected a whole number from 1 to 10, got {value!r}."
        )
    return int(value)


def _checked_number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"{name}: expected a number from {low:g} to {high:g}, got {value!r}.")
    return float(value)


# Payloads


def slack_payload(alert: Alert) -> dict[str, Any]:
    """The incoming-webhook message: ``text`` plus a header, a section and a context."""
    label = "RESOLVED" if alert.is_resolution else alert.severity.upper()
    text = f"[{label}] {alert.summary}"
    lines = [_slack_escape(alert.summary)]
    lines += [
        f"*{_slack_escape(k)}*: {_slack_escape(_compact(v))}" for k, v in _detail_items(alert)
    ]
    context = (
        f"{alert.source} | {alert.component} | {to_utc_iso(alert.occurred_at)} | "
        f"dedup key {alert.dedup_key}"
    )
    return {
        "text": text,
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": _clip(text, _SLACK_HEADER_CHARS)},
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _clip("\n".join(lines), _SLACK_SECTION_CHARS)},
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_escape(context)}]},
        ],
    }


def pagerduty_payload(alert: Alert, *, routing_key: str) -> dict[str, Any]:
    """The Events API v2 event for ``alert``: ``trigger``, or ``resolve`` to close it.

    A resolve event carries only the routing key, the action and the dedup key.
    """
    if alert.is_resolution:
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": alert.dedup_key}
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.dedup_key,
        "payload": {
            "summary": _clip(alert.summary, MAX_SUMMARY_CHARS),
            "source": alert.source,
            "severity": alert.severity,
            "timestamp": to_utc_iso(alert.occurred_at),
            "component": alert.component,
            "group": alert.group,
            "class": alert.alert_class,
            "custom_details": canonical_value(dict(alert.details)),
        },
    }


def _detail_items(alert: Alert) -> list[tuple[str, Any]]:
    return sorted(alert.details.items())


def _compact(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):
        return value
    return json.dumps(canonical_value(value), sort_keys=True, separators=(", ", ": "))


def _slack_escape(text: str) -> str:
    # Slack reads &, < and > as markup (<!channel> would ping everyone).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Delivery


def post_json(url: str, body: bytes, timeout: float) -> tuple[int, bytes, Mapping[str, str]]:
    """POST ``body`` as JSON with urllib; an HTTP error comes back as its status."""
    request = urllib.request.Request(  # noqa: S310 - the URL's scheme is checked as http(s)
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    opener = _opener_for(url)
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status), response.read(), dict(response.headers.items())
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code), exc.read(), dict(exc.headers.items())


def _opener_for(url: str) -> urllib.request.OpenerDirector:
    # A receiver on this machine is reached directly, whatever proxy the environment
    # names for the outside world.
    host = urlsplit(url).hostname or ""
    try:
        is_local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_local = False
    if is_local:
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


class WebhookNotifier:
    """Sends alerts to the configured Slack webhook and PagerDuty integration."""

    def __init__(
        self,
        config: NotificationConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: Transport = post_json,
    ):
        self.config = config
        self._sleep = sleep
        self._transport = transport

    def channels_for(self, alert: Alert) -> tuple[str, ...]:
        """The alert's channels that are configured, in a fixed order."""
        return tuple(c for c in self.config.channels if c in alert.channels)

    def target(self, channel: str) -> str:
        """Where ``channel`` posts, without its secret: scheme and host only."""
        parts = urlsplit(self._url(channel))
        return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"

    def deliver(self, channel: str, alert: Alert) -> DeliveryResult:
        """Post ``alert`` to ``channel`` with retries; failures are returned."""
        body = json.dumps(self._payload(channel, alert), allow_nan=False).encode("utf-8")
        target = self.target(channel)
        error, status = "", None
        for attempt in range(1, self.config.max_attempts + 1):
            is_retryable, status, error, retry_after = self._attempt(channel, body)
            if not error:
                log.info("%s alert %s delivered to %s", channel, alert.alert_class, target)
                return DeliveryResult(channel, target, True, attempt, status)
            log.warning(
                "%s delivery to %s failed (attempt %d of %d): %s",
                channel,
                target,
                attempt,
                self.config.max_attempts,
                error,
            )
            if not is_retryable or attempt == self.config.max_attempts:
                return DeliveryResult(channel, target, False, attempt, status, error)
            self._sleep(self._backoff(attempt, retry_after))
        raise AssertionError(
            "unreachable: the loop returns on its last attempt"
        )  # pragma: no cover

    def _attempt(
        self, channel: str, body: bytes
    ) -> tuple[bool, Optional[int], str, Optional[float]]:
        try:
            status, answer, headers = self._transport(
                self._url(channel), body, self.config.timeout_seconds
            )
        except (OSError, http.client.HTTPException) as exc:
            return (
                True,
                None,
                f"network error ({type(exc).__name__}: {self._scrub(str(exc))})",
                None,
            )
        if 200 <= status < 300:
            return False, status, "", None
        text = self._scrub(answer.decode("utf-8", errors="replace"))[:_KEPT_RESPONSE_CHARS]
        retryable = status in (408, 429) or status >= 500
        return retryable, status, f"HTTP {status}: {text}".strip(), _retry_after(headers)

    def _backoff(self, attempt: int, retry_after: Optional[float]) -> float:
        delay = self.config.backoff_seconds * float(2 ** (attempt - 1))
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.config.max_backoff_seconds)

    def _payload(self, channel: str, alert: Alert) -> dict[str, Any]:
        if channel == SLACK:
            return slack_payload(alert)
        return pagerduty_payload(alert, routing_key=self.config.pagerduty_routing_key)

    def _url(self, channel: str) -> str:
        if channel == SLACK and self.config.slack_webhook_url:
            return self.config.slack_webhook_url
        if channel == PAGERDUTY and self.config.pagerduty_routing_key:
            return self.config.pagerduty_url
        raise ConfigError(
            f"notifications: channel {channel!r} is not configured; set "
            f"{SLACK_URL_ENV if channel == SLACK else PAGERDUTY_KEY_ENV} or the plugin's "
            "notification settings."
        )

    def _scrub(self, text: str) -> str:
        slack_path = urlsplit(self.config.slack_webhook_url).path
        secrets = (self.config.slack_webhook_url, slack_path, self.config.pagerduty_routing_key)
        for secret in secrets:
            if len(secret) > 1:
                text = text.replace(secret, "***")
        return text


def _retry_after(headers: Mapping[str, str]) -> Optional[float]:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
