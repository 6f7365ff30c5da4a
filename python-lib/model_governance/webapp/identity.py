"""Who is calling the review board, and which sign-off roles they hold.

- Inside DSS, :class:`DSSIdentity` asks DSS who owns the browser session
  (``get_auth_info_from_browser_headers``: login and groups); the policy's
  ``role_groups`` turn DSS groups into roles. Nothing the browser sends is taken as an
  identity claim: without a DSS session DSS refuses, and so does the webapp.
- Locally, :class:`LocalIdentity` checks a user name and password against the
  governance home's ``users.json`` (scrypt hashes) and keeps the login in a signed
  session cookie; roles come from the same file.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from flask import Request, session

from model_governance.core.errors import AuthorizationError, GovernanceError
from model_governance.core.policy import Policy
from model_governance.core.workflow import Principal
from model_governance.local import LocalHome, hash_password, verify_password

log = logging.getLogger(__name__)

AuthInfoFunction = Callable[[dict[str, str]], Mapping[str, Any]]
"""Takes the browser's request headers; returns ``authIdentifier`` and ``groups``."""

_SESSION_USER = "user"
_SESSION_STAMP = "credential_stamp"
# Compared with a real hash when the user is unknown, so that a login answers in the
# same time whether or not the name exists.
_DECOY_HASH = hash_password("decoy-password-never-valid")


class AuthenticationError(GovernanceError):
    """The caller could not be identified (no DSS session, or not logged in)."""


class IdentityProvider(Protocol):
    """Tells the webapp who the caller is."""

    has_login_page: bool
    """True when the webapp itself asks for a name and password (local mode)."""

    def principal(self, request: Request, policy: Policy) -> Principal:
        """The caller with their roles, or :class:`AuthenticationError`."""


class DSSIdentity:
    """The caller as DSS knows them from the browser's session headers."""

    has_login_page = False

    def __init__(
        self,
        auth_info: AuthInfoFunction,
        *,
        refusals: tuple[type[BaseException], ...] = (),
    ) -> None:
        """Build the provider.

        Args:
            auth_info: Calls DSS with the request headers (in a webapp backend:
                ``dataiku.api_client().get_auth_info_from_browser_headers``).
            refusals: Exception types ``auth_info`` raises when DSS refuses the
                headers (``dataikuapi``'s ``DataikuException``); they become a 401.
        """
        self._auth_info = auth_info
        self._refusals = refusals

    def principal(self, request: Request, policy: Policy) -> Principal:
        """Ask DSS who sent ``request``; the policy's ``role_groups`` give the roles."""
        headers = dict(request.headers.items())
        try:
            info = self._auth_info(headers)
        except self._refusals as exc:
            log.info("DSS refused the browser headers (%s)", type(exc).__name__)
            raise AuthenticationError(
                "DSS did not recognise your session; open the review board from DSS while "
                "logged in."
            ) from exc
        user = info.get("authIdentifier") if isinstance(info, Mapping) else None
        if not isinstance(user, str) or not user:
            raise AuthenticationError(
                "DSS returned no user for this session; open the review board from DSS "
                "while logged in."
            )
        groups = info.get("groups") or []
        names = [str(g) for g in groups] if isinstance(groups, list) else []
        return Principal(user, policy.roles_for_groups(names))


class LocalIdentity:
    """Reviewers of a governance home, logged in with the password in ``users.json``."""

    has_login_page = True

    def __init__(self, home: LocalHome) -> None:
        """Build the provider on the home whose ``users.json`` lists the reviewers."""
        self._home = home

    def principal(self, request: Request, policy: Policy) -> Principal:
        """The logged-in user of the session, re-checked against ``users.json``."""
        user = session.get(_SESSION_USER)
        if not isinstance(user, str):
            raise AuthenticationError("log in to use the review board.")
        stored = self._home.password_hash(user)
        if stored is None or session.get(_SESSION_STAMP) != _stamp(stored):
            # The user was removed or their password changed since this login.
            session.clear()
            raise AuthenticationError("your login has expired; log in again.")
        try:
            return self._home.principal(user)
        except AuthorizationError as exc:
            session.clear()
            raise AuthenticationError("your login has expired; log in again.") from exc

    def log_in(self, user: str, password: str) -> str:
        """Check the credentials and start a fresh session; returns the user name.

        Raises:
            AuthenticationError: unknown user, no password set, or a wrong password
                (one message for all three, so names cannot be probed).
        """
        stored = self._home.password_hash(user) if user else None
        matches = verify_password(password, stored or _DECOY_HASH)
        if stored is None or not matches:
            log.info("local login refused")
            raise AuthenticationError(
                "user name or password not recognised; an administrator sets passwords "
                "with `model-governance users passwd NAME`."
            )
        session.clear()
        session.permanent = True
        session[_SESSION_USER] = user
        session[_SESSION_STAMP] = _stamp(stored)
        log.info("local login accepted")
        return user

    @staticmethod
    def log_out() -> None:
        """End the session."""
        session.clear()


def _stamp(stored_hash: str) -> str:
    # Binds a session to the password it was opened with, without storing the hash.
    return hashlib.sha256(stored_hash.encode("utf-8")).hexdigest()[:24]
