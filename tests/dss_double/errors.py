"""DSS error payloads as the double sends them.

DSS answers a failed public-API call with a status >= 400 and a JSON body
``{"errorType": ..., "message": ..., "detailedMessage": ...}``. ``dataikuapi``
(``utils.handle_http_exception``) turns that body into
``DataikuException("<errorType>: <detailedMessage or message>")``, so tests match
on both parts.

The ``errorType`` strings are the Java exception class names DSS reports; the
double uses a small fixed set of them (see the constants below).
"""

from __future__ import annotations

from typing import Any

NOT_FOUND = "com.dataiku.dip.server.controllers.NotFoundException"
BAD_REQUEST = "java.lang.IllegalArgumentException"
UNAUTHORIZED = "com.dataiku.dip.exceptions.UnauthorizedException"
FORBIDDEN = "com.dataiku.dip.exceptions.ForbiddenException"
CONFLICT = "com.dataiku.dip.exceptions.CodedException"
FUTURE_FAILED = "com.dataiku.dip.futures.FutureFailedException"
INTERNAL = "java.lang.RuntimeException"


class DssApiError(Exception):
    """An error the double answers with a DSS error JSON body."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        detailed_message: str | None = None,
        stack_trace: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.detailed_message = detailed_message if detailed_message is not None else message
        self.stack_trace = stack_trace

    def to_json(self) -> dict[str, Any]:
        """Return the body DSS sends for this error."""
        body: dict[str, Any] = {
            "errorType": self.error_type,
            "message": self.message,
            "detailedMessage": self.detailed_message,
        }
        if self.stack_trace is not None:
            body["stackTrace"] = self.stack_trace
        return body


def not_found(kind: str, identifier: str) -> DssApiError:
    """Build the 404 DSS answers for an unknown object."""
    return DssApiError(404, NOT_FOUND, f"{kind} does not exist: {identifier}")


def bad_request(message: str) -> DssApiError:
    """Build the 400 DSS answers for an invalid payload or parameter."""
    return DssApiError(400, BAD_REQUEST, message)


def conflict(message: str) -> DssApiError:
    """Build the 400 DSS answers when the object's state forbids the action."""
    return DssApiError(400, CONFLICT, message)
