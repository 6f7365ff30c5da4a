"""Request protection: CSRF tokens, security headers, relative links and error answers.

- **CSRF.** A synchronizer token lives in the signed session cookie and goes into every
  page (``<meta name="csrf-token">`` and hidden form fields). Every POST, PUT, PATCH
  and DELETE must send it back in ``X-CSRF-Token`` or the ``csrf_token`` field; a
  request without it (as a cross-site form or script would send) gets a 403.
- **Headers.** A content-security policy that allows only the webapp's own scripts,
  styles and images (inline SVG charts need no exception), no framing outside the
  DSS origin, and no caching of pages that show governance data.
- **Errors.** :class:`GovernanceError` becomes JSON with its message and a status (400,
  401, 403, 404, 409); anything unexpected becomes a generic 500 whose traceback goes
  to the log at ERROR with a reference the user can quote. A browser navigating to a
  page gets the same message as a small HTML page; scripts always get JSON.
- **Links.** DSS serves a backend under a path prefix Flask cannot see, so every link,
  form action and redirect is relative to the current page.
"""

from __future__ import annotations

import hmac
import logging
import posixpath
import secrets
from typing import Any

from flask import Flask, Response, jsonify, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from model_governance.core.errors import (
    AuthorizationError,
    ConflictError,
    ExternalSystemError,
    GateClosedError,
    GovernanceError,
    InvalidTransitionError,
    LedgerError,
    NotFoundError,
    ValidationError,
)
from model_governance.webapp.identity import AuthenticationError

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'self'; object-src 'none'"
)
DOCUMENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
    "form-action 'none'; base-uri 'none'; sandbox"
)
"""For stored documents: self-contained pages with inline CSS, no scripts at all."""

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_CSRF_SESSION_KEY = "csrf_token"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_STATUS_BY_ERROR: tuple[tuple[type[GovernanceError], int], ...] = (
    (AuthenticationError, 401),
    (AuthorizationError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InvalidTransitionError, 409),
    (GateClosedError, 409),
    (ValidationError, 400),
    (ExternalSystemError, 502),
    (LedgerError, 500),
)


class CsrfError(AuthorizationError):
    """A state-changing request without the page's CSRF token."""


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(_CSRF_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_CSRF_SESSION_KEY] = token
    return token


def check_csrf() -> None:
    """Refuse a state-changing request whose token does not match the session's."""
    if request.method not in _UNSAFE_METHODS:
        return
    expected = session.get(_CSRF_SESSION_KEY)
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        log.info("request refused: missing or wrong CSRF token")
        raise CsrfError(
            "this request carries no valid CSRF token, as happens when another site sends "
            "it or the page is stale; reload the review board page and try again."
        )


def relative_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint)`` as a path relative to the current request's page."""
    return relative_to_current(url_for(endpoint, **values))


def relative_to_current(target: str) -> str:
    """An absolute path (with optional query) rewritten relative to the current page."""
    path, mark, query = target.partition("?")
    directory, name = path.rsplit("/", 1)
    base = request.path.rsplit("/", 1)[0] or "/"
    up = posixpath.relpath(directory or "/", base)
    # "./" keeps a first segment holding a colon from reading as a URL scheme.
    prefix = "./" if up == "." else up + "/"
    return prefix + name + mark + query


def is_local_path(target: str) -> bool:
    """True for a path on this application (``/...``), never another host or scheme."""
    return (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and all(ord(ch) >= 32 for ch in target)
    )


def prefers_html() -> bool:
    """True when the client ranks HTML above JSON (a browser, not a script)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def wants_html() -> bool:
    """True for a browser navigating to a page (a GET preferring HTML over JSON)."""
    return request.method == "GET" and prefers_html()


def install(app: Flask) -> None:
    """Add the security headers and error handlers to ``app``."""
    app.after_request(_security_headers)
    app.register_error_handler(GovernanceError, _governance_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def status_for(exc: GovernanceError) -> int:
    """The HTTP status of a governance error."""
    return next((status for kind, status in _STATUS_BY_ERROR if isinstance(exc, kind)), 400)


def error_response(status: int, message: str) -> Response:
    """JSON ``{"error": {"status", "message"}}``, or an HTML page for a navigation."""
    if wants_html():
        html = render_template("review/error.html", status=status, message=message)
        return Response(html, status=status, mimetype="text/html")
    response = jsonify({"error": {"status": status, "message": message}})
    response.status_code = status
    return response


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/assets/"):
        headers["Cache-Control"] = "no-store"
    return response


def _governance_error(exc: GovernanceError) -> Response:
    status = status_for(exc)
    if status >= 500:
        log.error("ledger failure while serving %s: %s", request.endpoint, exc)
    else:
        log.info("request refused (%s, %d)", type(exc).__name__, status)
    return error_response(status, str(exc))


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    return error_response(status, exc.description or exc.name)


def _unexpected_error(exc: Exception) -> Response:
    reference = secrets.token_hex(4)
    log.error("unexpected error %s while serving %s", reference, request.endpoint, exc_info=exc)
    return error_response(
        500,
        f"the review board hit an unexpected error (reference {reference}); reload the page "
        "to see what was recorded, and give the reference to the administrator if it recurs.",
    )
