"""The review board's Flask application: factory, configuration and shared state.

The same blueprint serves two hosts:

- inside DSS, ``webapps/<id>/backend.py`` calls :func:`register_review_board` on the
  Flask ``app`` that DSS injects, with a :class:`DSSIdentity`;
- locally, ``model-governance serve`` calls :func:`create_app` on a governance home,
  with a :class:`LocalIdentity` (see :mod:`model_governance.webapp.local`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from flask import Flask, current_app

from model_governance.core.errors import ConfigError
from model_governance.core.evidence import Evidence
from model_governance.core.policy import Policy
from model_governance.core.workflow import Qualification, gate_decision
from model_governance.ledger import Ledger
from model_governance.ledger.queries import ChainVerifier, ensure_read_indexes
from model_governance.services import Clock, GovernanceService, utc_now
from model_governance.webapp import security
from model_governance.webapp.identity import IdentityProvider

log = logging.getLogger(__name__)

_EXTENSION = "model_governance_review_board"
MAX_REQUEST_BYTES = 64 * 1024
SESSION_COOKIE = "model_governance_review"


class RenderedPage(Protocol):
    """A rendered document as the webapp needs it."""

    kind: str
    media_type: str
    content: str


DocumentRenderer = Callable[[Evidence, Qualification, Policy], Sequence[RenderedPage]]
"""Renders a qualification's documents now (model card, experiment summary, packet)."""


@dataclass
class ReviewBoard:
    """What the routes work with: the ledger, the policy, the identity provider."""

    ledger: Ledger
    policy: Policy
    identity: IdentityProvider
    documents: DocumentRenderer
    default_project: str | None = None
    clock: Clock = utc_now
    verifier: ChainVerifier = field(default_factory=ChainVerifier)

    @property
    def service(self) -> GovernanceService:
        """The governance use cases on this board's ledger and policy."""
        return GovernanceService(self.ledger, self.policy, clock=self.clock)


def create_app(
    ledger: Ledger,
    policy: Policy,
    identity_provider: IdentityProvider,
    *,
    secret_key: str,
    documents: DocumentRenderer | None = None,
    default_project: str | None = None,
) -> Flask:
    """A Flask application serving the review board (local mode and tests)."""
    app = Flask(__name__)
    register_review_board(
        app,
        ledger,
        policy,
        identity_provider,
        secret_key=secret_key,
        documents=documents,
        default_project=default_project,
    )
    return app


def register_review_board(  # noqa: PLR0913 - the optional settings are keyword-only
    app: Flask,
    ledger: Ledger,
    policy: Policy,
    identity_provider: IdentityProvider,
    *,
    secret_key: str,
    documents: DocumentRenderer | None = None,
    default_project: str | None = None,
) -> None:
    """Configure ``app`` (DSS's injected one, or a new one) and add the review board.

    Args:
        app: The Flask application to serve from.
        ledger: The governance ledger.
        policy: The policy in force.
        identity_provider: Who is calling (DSS session or local login).
        secret_key: Signs the session cookie (CSRF token, local login); at least 32
            characters of randomness.
        documents: Renders documents on request; defaults to the model card,
            experiment summary and review packet of ``model_governance.documents``.
        default_project: Project key the queue filters on when none is chosen.
    """
    from model_governance.webapp.routes import blueprint  # routes need this module

    if not isinstance(secret_key, str) or len(secret_key) < 32:
        raise ConfigError("secret_key: give at least 32 random characters to sign sessions.")
    # A ledger made by an older plugin version gets the tables and indexes read here.
    ledger.create_schema()
    ensure_read_indexes(ledger)
    app.secret_key = secret_key
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        PROPAGATE_EXCEPTIONS=False,
        TRAP_HTTP_EXCEPTIONS=False,
    )
    board = ReviewBoard(
        ledger=ledger,
        policy=policy,
        identity=identity_provider,
        documents=documents or render_current_documents,
        default_project=default_project or None,
    )
    app.extensions[_EXTENSION] = board
    if ledger.engine.url.database not in (None, "", ":memory:"):
        # A file or server ledger: walk the audit chain now, not on the first page view.
        board.verifier.warm_up(ledger)
    security.install(app)
    app.register_blueprint(blueprint)
    log.info("review board registered (policy version %s)", policy.version)


def current_board() -> ReviewBoard:
    """The review board of the application serving the current request."""
    board: ReviewBoard = current_app.extensions[_EXTENSION]
    return board


def render_current_documents(
    evidence: Evidence, qualification: Qualification, policy: Policy
) -> Sequence[Any]:
    """The model card, experiment summary and packet as of now (not stored)."""
    # matplotlib loads only when someone opens a document.
    from model_governance.documents import render_documents

    decision = gate_decision(qualification, policy, evidence.fingerprint)
    return render_documents(evidence, qualification, policy, decision=decision)
