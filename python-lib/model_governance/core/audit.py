"""Hash-chain maths for the audit trail.

Each audit event's hash covers its sequence number, content and the previous event's
hash, so editing, deleting, inserting or reordering any row breaks the chain at that
row. The chain head (last sequence number and hash) is stored apart from the events,
which also exposes a deletion of the newest events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from model_governance.core.constants import GENESIS_HASH
from model_governance.core.errors import ValidationError
from model_governance.core.hashing import content_hash, to_utc_iso


@dataclass(frozen=True)
class AuditEvent:
    """One ledger row per state change: who did what to which object, and when."""

    seq: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainHead:
    """The newest event's sequence number and hash (0 and the genesis hash if empty)."""

    seq: int = 0
    hash: str = GENESIS_HASH


@dataclass(frozen=True)
class ChainVerification:
    """Result of walking the chain: intact, or the first broken event and why."""

    is_intact: bool
    events_checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    head: ChainHead = field(default_factory=ChainHead)


def event_hash(  # noqa: PLR0913 - the hash covers exactly these fields
    seq: int,
    occurred_at: datetime | str,
    actor: str,
    action: str,
    entity: tuple[str, str],
    payload: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 of an event's canonical content, chained to ``prev_hash``."""
    moment = occurred_at if isinstance(occurred_at, str) else to_utc_iso(occurred_at)
    return content_hash(
        {
            "seq": seq,
            "occurred_at": moment,
            "actor": actor,
            "action": action,
            "entity_type": entity[0],
            "entity_id": entity[1],
            "payload": payload,
            "prev_hash": prev_hash,
        }
    )


def seal(
    head: ChainHead,
    *,
    occurred_at: datetime,
    actor: str,
    action: str,
    entity: tuple[str, str],
    payload: Mapping[str, Any],
) -> AuditEvent:
    """Build the next event after ``head``, with its chained hash."""
    seq = head.seq + 1
    digest = event_hash(seq, occurred_at, actor, action, entity, payload, head.hash)
    return AuditEvent(
        seq, occurred_at, actor, action, entity[0], entity[1], dict(payload), head.hash, digest
    )


def verify_chain(events: Iterable[AuditEvent], head: ChainHead) -> ChainVerification:
    """Walk ``events`` in sequence order and name the first one that breaks the chain.

    Detects an edited event (its hash no longer matches its content), a deleted or
    inserted event (a gap or repeat in sequence numbers, or a ``prev_hash`` that does
    not match), reordered events (sequence or ``prev_hash`` mismatch), and deleted
    newest events (the last event is not the recorded head).
    """
    expected = ChainHead()
    count = 0
    for event in events:
        count += 1
        problem = _event_problem(event, expected)
        if problem:
            return ChainVerification(False, count, event.seq, problem, expected)
        expected = ChainHead(event.seq, event.hash)
    if expected != head:
        first_bad, reason = _head_problem(expected, head)
        return ChainVerification(False, count, first_bad, reason, expected)
    return ChainVerification(True, count, head=expected)


def _head_problem(walked: ChainHead, head: ChainHead) -> tuple[int, str]:
    # Name an event that exists or is missing, never one past both ends of the chain.
    if walked.seq < head.seq:
        return walked.seq + 1, (
            f"the chain ends at event {walked.seq} but the recorded head is event "
            f"{head.seq}; events after {walked.seq} were deleted or the head was altered"
        )
    if walked.seq > head.seq:
        return head.seq + 1, (
            f"event {head.seq + 1} lies past the recorded head (event {head.seq}); events "
            "were added outside the ledger or the head was altered"
        )
    return walked.seq, (
        f"event {walked.seq} does not match the recorded head's hash; it was replaced "
        "or the head was altered"
    )


def _event_problem(event: AuditEvent, expected: ChainHead) -> str:
    if event.seq != expected.seq + 1:
        return (
            f"sequence number {event.seq} follows {expected.seq}; "
            "an event was deleted, inserted or moved here"
        )
    if event.prev_hash != expected.hash:
        return "its prev_hash does not match the previous event's hash"
    try:
        recomputed = event_hash(
            event.seq,
            event.occurred_at,
            event.actor,
            event.action,
            (event.entity_type, event.entity_id),
            event.payload,
            event.prev_hash,
        )
    except ValidationError as exc:
        # The ledger never writes a naive time, NaN or bytes: someone edited the row.
        return f"its content cannot be hashed ({exc}); the event was edited"
    if recomputed != event.hash:
        return "its content does not match its hash; the event was edited"
    return ""
