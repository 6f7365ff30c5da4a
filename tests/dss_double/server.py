"""WSGI application and background HTTP server of the DSS double.

Two nodes share one port: the DSS node under ``/dip/publicapi`` and the Govern
node under ``/govern/dip/publicapi`` (its URL, ``<url>/govern``, is what
``GET /admin/get-govern-node-ref`` hands to ``DSSClient.get_govern_client``).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import traceback
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import auth
from .errors import INTERNAL, NOT_FOUND, DssApiError
from .routes import DSS_ROUTES, GOVERN_ROUTES
from .routing import Binary, RequestContext, Route, Text
from .state import DssState, Principal, RecordedRequest

logger = logging.getLogger(__name__)

DSS_PREFIX = "/dip/publicapi"
GOVERN_PREFIX = "/govern/dip/publicapi"


class DssDoubleApp:
    """The WSGI application: authenticate, route, inject faults, answer, record."""

    def __init__(self, state: DssState) -> None:
        self.state = state
        self._nodes = {
            "dss": _route_map(DSS_ROUTES),
            "govern": _route_map(GOVERN_ROUTES),
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        node, api_path = _split_node(request.path)
        route: Route | None = None
        try:
            if node is None:
                raise DssApiError(404, NOT_FOUND, f"No DSS API at path {request.path}")
            principal = auth.authenticate(self.state, node, request)
            route, url_args = self._match(node, request.method, api_path)
            response = self._call(route, url_args, request, principal)
        except DssApiError as exc:
            response = _error_response(exc)
        self.state.record(
            RecordedRequest(
                node=node or "none",
                method=request.method,
                path=api_path,
                route_id=route.route_id if route is not None else None,
                status=response.status_code,
                query=dict(request.args.items()),
            )
        )
        return response

    def _match(self, node: str, method: str, api_path: str) -> tuple[Route, dict[str, str]]:
        adapter = self._nodes[node].bind("double", path_info=api_path)
        try:
            route, url_args = adapter.match(api_path, method=method)
        except (NotFound, RequestRedirect) as exc:
            raise DssApiError(
                404, NOT_FOUND, f"No {node} public API route for {method} {api_path}"
            ) from exc
        except MethodNotAllowed as exc:
            raise DssApiError(
                405, NOT_FOUND, f"Method {method} is not allowed on {api_path}"
            ) from exc
        return route, url_args

    def _call(
        self, route: Route, url_args: dict[str, str], request: Request, principal: Principal
    ) -> Response:
        context = RequestContext(self.state, request, principal)
        try:
            with self.state.lock:
                fault = self.state.take_fault(route.route_id, route.handler.__name__)
                if fault is not None:
                    raise DssApiError(fault.status, fault.error_type, fault.message)
                result = route.handler(context, **url_args)
        except DssApiError:
            raise
        except Exception as exc:
            # A handler bug must reach the client as a DSS 500, not a dropped socket.
            logger.exception("DSS double handler %s failed", route.handler.__name__)
            raise DssApiError(
                500,
                INTERNAL,
                f"DSS double handler failed: {exc!r}",
                stack_trace=traceback.format_exc().splitlines(),
            ) from exc
        return _success_response(result)


def _route_map(routes: tuple[Route, ...]) -> Map:
    return Map(
        [Rule(r.rule, endpoint=r, methods=[r.method]) for r in routes],
        strict_slashes=True,
        redirect_defaults=False,
    )


def _split_node(path: str) -> tuple[str | None, str]:
    if path.startswith(GOVERN_PREFIX + "/"):
        return "govern", path[len(GOVERN_PREFIX) :]
    if path.startswith(DSS_PREFIX + "/"):
        return "dss", path[len(DSS_PREFIX) :]
    return None, path


def _success_response(result: Any) -> Response:
    if result is None:
        return Response(status=204)
    if isinstance(result, Text):
        return Response(result.body, status=200, mimetype="text/plain")
    if isinstance(result, Binary):
        return Response(result.body, status=200, mimetype=result.mimetype)
    return Response(json.dumps(result), status=200, mimetype="application/json")


def _error_response(exc: DssApiError) -> Response:
    return Response(json.dumps(exc.to_json()), status=exc.status, mimetype="application/json")


class _QuietHandler(WSGIRequestHandler):
    """Request handler that keeps the test output free of access-log lines."""

    def log(self, type: str, message: str, *args: Any) -> None:
        return


class DssDoubleServer:
    """The double served on 127.0.0.1 (free port) from a background thread."""

    def __init__(self, state: DssState) -> None:
        self.state = state
        self.app = DssDoubleApp(state)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Return the DSS node base URL (what ``DSSClient(host=...)`` takes)."""
        if self._server is None:
            raise RuntimeError("The DSS double is not started; call start() first")
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def govern_url(self) -> str:
        """Return the Govern node base URL (what ``GovernClient(host=...)`` takes)."""
        return self.url + "/govern"

    @property
    def port(self) -> int:
        """Return the TCP port the double listens on."""
        return int(self.url.rsplit(":", 1)[1])

    def start(self) -> DssDoubleServer:
        """Bind a free port and serve in a daemon thread."""
        self._server = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.state.base_url = self.url
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="dss-double", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None


def basic_auth_header(api_key: str) -> dict[str, str]:
    """Return the Authorization header ``dataikuapi`` sends for an API key."""
    token = base64.b64encode(f"{api_key}:".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}
