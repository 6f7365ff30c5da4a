"""The ledger: an append-only SQL store of decisions and their audit chain."""

from model_governance.ledger.store import DocumentRecord, Ledger, LedgerTransaction, VersionRecord

__all__ = ["DocumentRecord", "Ledger", "LedgerTransaction", "VersionRecord"]
