"""The review-board webapp: Flask blueprint and app factory, outside the pure core.

One app serves inside DSS (``webapps/<id>/backend.py`` registers it on the Flask app
DSS injects, with :class:`DSSIdentity`) and locally (``model-governance serve`` on a
governance home's SQLite ledger, with :class:`LocalIdentity`). Only this package
imports Flask.
"""

from model_governance.webapp.app import (
    DocumentRenderer,
    ReviewBoard,
    create_app,
    register_review_board,
)
from model_governance.webapp.identity import (
    AuthenticationError,
    DSSIdentity,
    IdentityProvider,
    LocalIdentity,
)

__all__ = [
    "AuthenticationError",
    "DSSIdentity",
    "DocumentRenderer",
    "IdentityProvider",
    "LocalIdentity",
    "ReviewBoard",
    "create_app",
    "register_review_board",
]
