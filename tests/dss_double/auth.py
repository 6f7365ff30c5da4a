"""Credential checks, as DSS applies them to public-API calls.

``dataikuapi`` sends an API key as HTTP basic auth (the key as user name, empty
password); code running inside DSS sends an API ticket in ``X-DKU-APITicket``.
Browser identities (webapp backends) come from session cookies forwarded to
``POST /auth/info-from-browser-headers``.
"""

from __future__ import annotations

import base64
import binascii
from http.cookies import CookieError, SimpleCookie
from typing import Any

from werkzeug.wrappers import Request

from .errors import UNAUTHORIZED, DssApiError
from .state import DssState, Principal, principal_for_user

TICKET_HEADER = "X-DKU-APITicket"


def authenticate(state: DssState, node: str, request: Request) -> Principal:
    """Return the caller of a request or raise the DSS 401."""
    api_key = _basic_auth_user(request)
    ticket = request.headers.get(TICKET_HEADER)
    credentials = state.credentials
    if node == "govern":
        if api_key is None or api_key not in credentials.govern_keys:
            raise _refused("Govern API key")
        return _principal_for_key(state, credentials.govern_keys[api_key])
    if api_key is not None:
        if api_key not in credentials.api_keys:
            raise _refused("API key")
        return _principal_for_key(state, credentials.api_keys[api_key])
    if ticket is not None:
        if ticket not in credentials.tickets:
            raise _refused("API ticket")
        return principal_for_user(credentials, credentials.tickets[ticket]["user"], "ticket")
    raise DssApiError(401, UNAUTHORIZED, "No API key or ticket in the request")


def principal_from_browser_headers(state: DssState, headers: dict[str, Any]) -> Principal | None:
    """Return the user whose DSS session cookie is in ``headers``, or None."""
    cookie_header = None
    for name, value in headers.items():
        if name.lower() == "cookie":
            cookie_header = value
    if not isinstance(cookie_header, str):
        return None
    cookies = SimpleCookie()
    try:
        cookies.load(cookie_header)
    except CookieError:
        return None
    for session in state.credentials.sessions:
        morsel = cookies.get(session["cookie"])
        if morsel is not None and morsel.value == session["value"]:
            return principal_for_user(state.credentials, session["user"], "browser")
    return None


def _basic_auth_user(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[len("Basic ") :]).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.split(":", 1)[0]


def _principal_for_key(state: DssState, key: dict[str, Any]) -> Principal:
    if key.get("user") is not None:
        return principal_for_user(state.credentials, key["user"], "apiKey")
    groups = tuple(key.get("groups", []))
    return Principal(key["id"], None, groups, bool(key.get("admin", False)), "apiKey")


def _refused(kind: str) -> DssApiError:
    # DSS does not echo the rejected secret; neither does the double.
    return DssApiError(401, UNAUTHORIZED, f"Failed to authenticate: unknown {kind}")
