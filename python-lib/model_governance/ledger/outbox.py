"""How far the audit chain has been copied to an outside audit trail (the DSS one).

The copy is itself audited: after each batch the copier appends a
``dss_audit.forwarded`` event on the ``("dss_audit", "forwarding")`` entity, naming the
last event copied. The next copier starts after it, so events appended by any entry
point (macro, webapp, command line) are copied by the next macro, and a failed copy is
retried rather than lost.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from model_governance.ledger import schema as t
from model_governance.ledger.store import Ledger

FORWARDING_ENTITY = ("dss_audit", "forwarding")
FORWARDED_ACTION = "dss_audit.forwarded"

__all__ = ["FORWARDED_ACTION", "FORWARDING_ENTITY", "last_forwarded_seq"]


def last_forwarded_seq(ledger: Ledger) -> int:
    """Sequence number of the last event copied out (0 when nothing was)."""
    e = t.audit_events.c
    stmt = (
        select(e.payload_json)
        .where(
            e.entity_type == FORWARDING_ENTITY[0],
            e.entity_id == FORWARDING_ENTITY[1],
            e.action == FORWARDED_ACTION,
        )
        .order_by(e.seq.desc())
        .limit(1)
    )
    with ledger.engine.connect() as conn:
        payload = conn.execute(stmt).scalar()
    if payload is None:
        return 0
    return int(json.loads(str(payload)).get("up_to_seq", 0))
