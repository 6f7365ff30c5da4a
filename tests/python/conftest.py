"""Shared fixtures: package path, fixed clock, policy factory, in-memory ledger."""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT / "python-lib", ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# The package lives in python-lib, which must be on the path before it is imported.
from webhook_receiver import WebhookReceiver  # noqa: E402

from model_governance.core.evidence import Evidence, parse_evidence  # noqa: E402
from model_governance.core.policy import Policy, parse_policy  # noqa: E402
from model_governance.core.workflow import Principal  # noqa: E402
from model_governance.ledger import Ledger  # noqa: E402
from model_governance.services import GovernanceService  # noqa: E402

CLOCK_START = datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
"""First reading of the ``clock`` fixture; each call advances it by one second."""


class FixedClock:
    """A UTC clock that starts at ``start`` and advances one second per reading."""

    def __init__(self, start: datetime = CLOCK_START):
        self.current = start

    def __call__(self) -> datetime:
        moment = self.current
        self.current += timedelta(seconds=1)
        return moment


def evidence_document(**overrides: Any) -> dict[str, Any]:
    """A valid evidence document (plain JSON types); top-level keys are replaced."""
    document: dict[str, Any] = {
        "model_id": "claims-fraud",
        "version": "v1",
        "semver": "1.0",
        "project_key": "CLAIMS",
        "model_name": "Claims fraud detector",
        "code_env": "python-3.11-deltadental",
        "metrics": {"auc": 0.93},
        "features": [
            {"name": "claim_amount", "role": "input", "kind": "numeric"},
            {"name": "provider_type", "role": "input", "kind": "categorical"},
            {"name": "is_fraud", "role": "target", "kind": "categorical"},
        ],
        "training_dataset": "claims_train",
        "training_schema": [
            {"name": "claim_amount", "type": "double"},
            {"name": "provider_type", "type": "string"},
            {"name": "is_fraud", "type": "int"},
        ],
        # Favourable rates 360/400 = 0.90 and 510/600 = 0.85: disparate impact 0.944.
        "fairness": [
            {
                "attribute": "age_group",
                "favourable_outcome": "not_flagged",
                "groups": [
                    {"group": "under_40", "size": 400, "favourable": 360},
                    {"group": "40_plus", "size": 600, "favourable": 510},
                ],
            }
        ],
        "description": {
            "purpose": "flag suspicious claims for manual review",
            "rollback_strategy": "undeploy the API service; claims go back to manual review",
        },
    }
    document.update(copy.deepcopy(overrides))
    return document


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    """An empty in-memory SQLite ledger with its schema created."""
    store = Ledger.open("sqlite://")
    yield store
    store.engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """A fixed UTC clock starting at 2024-03-01 09:00:00, one second per call."""
    return FixedClock()


@pytest.fixture
def policy() -> Callable[..., Policy]:
    """Factory: keyword arguments form a policy document for ``parse_policy``."""

    def build(**settings: Any) -> Policy:
        return parse_policy(settings)

    return build


@pytest.fixture
def service(ledger: Ledger, policy: Callable[..., Policy], clock: FixedClock) -> GovernanceService:
    """A governance service on the in-memory ledger, default policy and clock."""
    return GovernanceService(ledger, policy(), clock=clock)


@pytest.fixture
def evidence_factory() -> Callable[..., Evidence]:
    """Factory: valid evidence, with top-level document keys replaced by the kwargs."""

    def build(**overrides: Any) -> Evidence:
        return parse_evidence(evidence_document(**overrides))

    return build


@pytest.fixture
def principal() -> Callable[..., Principal]:
    """Factory: ``principal("ana", "data_steward", ...)`` holds exactly those roles."""

    def build(user: str, *roles: str, is_system: bool = False) -> Principal:
        return Principal(user, frozenset(roles), is_system=is_system)

    return build


@pytest.fixture
def reviewers() -> dict[str, Principal]:
    """One distinct reviewer per default sign-off role, keyed by role."""
    names = {
        "review_board": "rita.board",
        "data_steward": "dan.steward",
        "security_lead": "sam.security",
        "ml_engineer": "mia.engineer",
    }
    return {role: Principal(user, frozenset({role})) for role, user in names.items()}


@pytest.fixture
def submitter() -> Principal:
    """The data scientist who submits; holds every role, to prove roles do not help."""
    roles = {"review_board", "data_steward", "security_lead", "ml_engineer"}
    return Principal("sue.scientist", frozenset(roles))


@pytest.fixture(scope="session")
def evidence_doc() -> Callable[..., dict[str, Any]]:
    """Factory: a valid evidence document as plain JSON; kwargs replace its keys."""
    return evidence_document


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A local Slack and PagerDuty stand-in on 127.0.0.1 (see ``webhook_receiver``)."""
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()
