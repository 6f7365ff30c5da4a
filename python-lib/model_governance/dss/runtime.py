"""What every DSS entry point needs: settings, ledger, caller, and the DSS audit trail.

:func:`macro_context` parses the plugin settings, opens the ledger they name, asks DSS
who runs the macro, and, when the macro ends (in success or failure), copies the audit
events not yet copied (the macro's own, and any appended meanwhile by the webapp or the
command line) to the DSS audit trail. Copying is best effort: a failure is logged and
recorded as ``dss_audit.forward_failed``, the events stay pending for the next run,
and the ledger record itself is never lost.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dataiku

from model_governance.core.errors import ConfigError, LedgerError
from model_governance.core.workflow import Principal
from model_governance.dss.gateway import AuditForwardReport, DssAuditSink, caller_principal
from model_governance.dss.params import PluginSettings, parse_plugin_settings
from model_governance.ledger import Ledger
from model_governance.ledger.monitoring import ensure_monitoring_tables
from model_governance.ledger.outbox import FORWARDED_ACTION, FORWARDING_ENTITY, last_forwarded_seq
from model_governance.monitoring import CanaryDeployer, MonitoringService, Retrainer
from model_governance.notify import NotificationConfig, WebhookNotifier
from model_governance.services import GovernanceService

log = logging.getLogger(__name__)

MAX_FORWARDED = 2000
"""Events copied per run at most; the rest follow with the next runs."""

__all__ = ["MacroContext", "forward_audit", "macro_context", "monitoring_service", "open_ledger"]


@dataclass
class MacroContext:
    """The running macro's DSS client, settings, ledger, service and caller."""

    project_key: str
    settings: PluginSettings
    client: Any
    ledger: Ledger
    governance: GovernanceService
    principal: Principal
    audit: AuditForwardReport | None = field(default=None)

    @property
    def actor(self) -> str:
        """The caller's DSS login (or API key id)."""
        return self.principal.user


def open_ledger(settings: PluginSettings) -> Ledger:
    """Open (and create on first use) the ledger the plugin settings name."""
    url = settings.ledger_url
    if url.startswith("sqlite:///"):
        folder = Path(url[len("sqlite:///") :]).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"SQLite ledger file: its folder {folder} cannot be created ({exc.strerror}); "
                "choose a path writable by DSS in Plugins > Model Governance > Settings."
            ) from exc
    return Ledger.open(url, create=True)


@contextmanager
def macro_context(
    project_key: str, plugin_config: Mapping[str, Any] | None, *, component: str = "macro"
) -> Iterator[MacroContext]:
    """Set up a run of a macro, recipe or scenario step; forward its audit events.

    ``component`` names what runs, in the log lines only.
    """
    started = time.monotonic()
    settings = parse_plugin_settings(plugin_config)
    ledger = open_ledger(settings)
    try:
        client = dataiku.api_client()
        principal = caller_principal(client, settings.policy)
        context = MacroContext(
            project_key=project_key,
            settings=settings,
            client=client,
            ledger=ledger,
            governance=GovernanceService(ledger, settings.policy),
            principal=principal,
        )
        log.info("%s started in project %s", component, project_key)
        try:
            yield context
        finally:
            if settings.send_dss_audit:
                context.audit = forward_audit(context)
            log.info("%s ended after %.1f s", component, time.monotonic() - started)
    finally:
        ledger.engine.dispose()


def monitoring_service(
    context: MacroContext,
    notifications: NotificationConfig | None = None,
    *,
    retrainer: Retrainer | None = None,
    deployer: CanaryDeployer | None = None,
) -> MonitoringService:
    """The monitoring engine on the run's ledger, with the given outside systems."""
    ensure_monitoring_tables(context.ledger)
    notifier = WebhookNotifier(notifications) if notifications and notifications.channels else None
    return MonitoringService(context.governance, notifier, retrainer, deployer=deployer)


def forward_audit(context: MacroContext) -> AuditForwardReport:
    """Copy the events after the last copied one to the DSS audit trail, in order."""
    start = last_forwarded_seq(context.ledger)
    events = [
        e
        for e in itertools.islice(context.ledger.iter_events(after_seq=start), MAX_FORWARDED)
        if e.action != FORWARDED_ACTION
    ]
    report = DssAuditSink(context.client).forward(events)
    if report.last_sent_seq is not None:
        _append(context, FORWARDED_ACTION, {"up_to_seq": report.last_sent_seq, "sent": report.sent})
    if report.failed:
        seq, error = report.failed[0]
        log.warning(
            "%d audit event(s) did not reach the DSS audit trail yet (from event %d)",
            len(report.pending),
            seq,
        )
        _append(
            context,
            "dss_audit.forward_failed",
            {"pending_seqs": list(report.pending), "error": error},
        )
    return report


def _append(context: MacroContext, action: str, payload: dict[str, Any]) -> None:
    try:
        with context.ledger.transaction() as tx:
            tx.append_event(
                actor=context.actor,
                action=action,
                entity=FORWARDING_ENTITY,
                payload={**payload, "policy_hash": context.settings.policy.content_hash},
                at=context.governance.clock(),
            )
    except LedgerError:
        # The macro's own outcome is already committed; do not mask it.
        log.exception("could not record the DSS audit forwarding")
