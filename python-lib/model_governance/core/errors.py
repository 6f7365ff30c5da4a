"""Exceptions raised by the governance core and its adapters.

Every error the plugin raises on purpose derives from :class:`GovernanceError`, so entry
points can show its message unchanged and keep tracebacks for anything unexpected::

    GovernanceError
    ├── ValidationError (ValueError)  bad input: fix the named field
    │   ├── ConfigError               policy, plugin or CLI configuration
    │   └── UndefinedMetricError      a metric has no value for this data
    ├── NotFoundError                 an id the ledger does not hold
    ├── ConflictError                 the object exists already (duplicate)
    ├── InvalidTransitionError        a workflow move the state does not allow
    ├── AuthorizationError            the actor may not do this (roles, duties)
    ├── GateClosedError               an action refused because the gate is closed
    ├── RuleBreachedError             a monitoring rule fired where it must stop a run
    ├── NotSupportedError             a documented limitation was reached
    ├── ExternalSystemError           DSS refused or failed an operation
    └── LedgerError                   the store failed or refused a write
        └── LedgerIntegrityError      the audit chain does not verify

Failed checks are results, not exceptions: they never raise.
"""

from __future__ import annotations

from collections.abc import Sequence


class GovernanceError(Exception):
    """Base of every error the plugin raises deliberately."""


class ValidationError(GovernanceError, ValueError):
    """Input that cannot be accepted; the message names the field and the fix."""


class ConfigError(ValidationError):
    """A policy, plugin setting or command-line option is invalid."""


class UndefinedMetricError(ValidationError):
    """A metric has no defined value for the given data (for example one class only)."""


class NotFoundError(GovernanceError):
    """An object id that the ledger does not hold."""


class ConflictError(GovernanceError):
    """The object already exists, or a concurrent change was detected."""


class InvalidTransitionError(GovernanceError):
    """A workflow move that the current state does not allow.

    ``requested`` is a verb phrase ("record a sign-off", "move to approved");
    ``allowed`` lists the states reachable from ``current``.
    """

    def __init__(self, entity: str, current: str, requested: str, allowed: Sequence[str]):
        self.entity = entity
        self.current = current
        self.requested = requested
        self.allowed = tuple(allowed)
        allowed_text = ", ".join(self.allowed) if self.allowed else "none (final state)"
        super().__init__(
            f"{entity} is {current}: cannot {requested}. Allowed from {current}: {allowed_text}."
        )


class AuthorizationError(GovernanceError):
    """The actor is not allowed to perform the action (role or separation of duties)."""


class GateClosedError(GovernanceError):
    """An action that needs an open gate was refused; ``reasons`` lists every cause."""

    def __init__(self, action: str, reasons: Sequence[str]):
        self.action = action
        self.reasons = tuple(reasons)
        super().__init__(f"{action} refused: " + "; ".join(self.reasons))


class RuleBreachedError(GovernanceError):
    """A monitoring rule fired in a step configured to fail; the message says why.

    The breach is already in the ledger (decision, episode, alerts) when this is raised.
    """


class NotSupportedError(GovernanceError):
    """A known limitation was reached; the message says what is not handled."""


class ExternalSystemError(GovernanceError):
    """DSS (or another outside system) refused or failed an operation.

    The message names the operation, the answer DSS gave, what the ledger now holds
    and what to do next; ``operation`` repeats the operation for callers.
    """

    def __init__(self, message: str, *, operation: str = ""):
        self.operation = operation
        super().__init__(message)


class LedgerError(GovernanceError):
    """The ledger could not complete an operation; nothing was written."""


class LedgerIntegrityError(LedgerError):
    """The audit chain failed verification at ``event_id``."""

    def __init__(self, event_id: int | None, reason: str):
        self.event_id = event_id
        self.reason = reason
        where = f"audit event {event_id}" if event_id is not None else "audit chain"
        super().__init__(f"{where}: {reason}")
