"""Names and fixed values shared by core and adapters (thresholds live in policy)."""

from __future__ import annotations

SCHEMA_VERSION = 1
"""Version of the ledger schema this code writes; the ledger refuses a newer one."""

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first audit event."""

HOME_ENV = "MODEL_GOVERNANCE_HOME"
DEFAULT_HOME = ".model-governance"
USER_ENV = "MODEL_GOVERNANCE_USER"

REVIEW_BOARD = "review_board"
DATA_STEWARD = "data_steward"
SECURITY_LEAD = "security_lead"
ML_ENGINEER = "ml_engineer"

ROLE_LABELS = {
    REVIEW_BOARD: "Architecture Review Board",
    DATA_STEWARD: "Data Steward",
    SECURITY_LEAD: "Security Lead",
    ML_ENGINEER: "ML Engineer",
}

FAST_TRACK_ACTOR = "rule:fast-track"
"""Actor recorded when a sign-off is granted by the retraining fast-track rule."""

SEMANTIC_TAG_SUFFIX = "-prod-candidate"
