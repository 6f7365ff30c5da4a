"""Route declarations and the per-request context handed to handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request

from .errors import bad_request
from .state import DssState, Handler, Principal


@dataclass(frozen=True)
class Route:
    """One public-API route: verb, werkzeug rule, handler, client methods using it."""

    method: str
    rule: str
    handler: Handler
    client_methods: tuple[str, ...]

    @property
    def route_id(self) -> str:
        """Return ``"<VERB> <rule>"``, the key used by the log and fault injection."""
        return f"{self.method} {self.rule}"


@dataclass(frozen=True)
class Text:
    """A plain-text answer (``_perform_text`` callers)."""

    body: str


@dataclass(frozen=True)
class Binary:
    """A binary answer (``_perform_raw`` callers: archives, documents)."""

    body: bytes
    mimetype: str = "application/octet-stream"


@dataclass
class RequestContext:
    """What a handler sees of the request: state, raw request and caller."""

    state: DssState
    request: Request
    principal: Principal

    def json_body(self) -> Any:
        """Return the parsed JSON body, or raise the DSS 400 when absent or invalid."""
        raw = self.request.get_data(as_text=True)
        if not raw:
            raise bad_request("Request body is required and must be JSON")
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise bad_request(f"Request body is not valid JSON: {exc}") from exc

    def json_object(self) -> dict[str, Any]:
        """Return the JSON body, which must be an object."""
        body = self.json_body()
        if not isinstance(body, dict):
            raise bad_request(f"Request body must be a JSON object, got {type(body).__name__}")
        return body

    def param(self, name: str, default: str | None = None) -> str | None:
        """Return a query parameter as sent (requests drops parameters set to None)."""
        return self.request.args.get(name, default)

    def bool_param(self, name: str, *, default: bool = False) -> bool:
        """Return a boolean query parameter (requests sends True/False)."""
        value = self.request.args.get(name)
        if value is None:
            return default
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad_request(f"Query parameter {name} must be true or false, got {value!r}")

    def int_param(self, name: str, *, default: int) -> int:
        """Return an integer query parameter."""
        value = self.request.args.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError as exc:
            raise bad_request(f"Query parameter {name} must be an integer, got {value!r}") from exc


def require_fields(body: dict[str, Any], *names: str) -> None:
    """Raise the DSS 400 naming the first field that is missing or null."""
    for name in names:
        if body.get(name) is None:
            raise bad_request(f"Missing required field '{name}' in request body")


def require_text(body: dict[str, Any], name: str) -> str:
    """Return a required non-empty string field of the body."""
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise bad_request(f"Field '{name}' must be a non-empty string, got {value!r}")
    return value
