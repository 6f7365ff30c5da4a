"""HTTP test double of the DSS public API, spoken to by the real ``dataikuapi`` client.

Usage::

    from dss_double import DssDouble

    double = DssDouble.start()
    client = double.client()                 # dataikuapi.DSSClient, admin API key
    client.get_project("FRAUD").get_summary()
    double.exercised_client_methods()        # from the request log
    double.stop()

See README.md next to this file for the routes and client methods served.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import DssApiError
from .fixtures import FIXTURES_DIR, full_model_id, load_fixture_data
from .routes import DSS_ROUTES, GOVERN_ROUTES
from .routing import Route
from .server import DssDoubleServer
from .state import DssState, RecordedRequest

__all__ = [
    "ADMIN_API_KEY",
    "ALICE_API_KEY",
    "API_TICKET",
    "FIXTURES_DIR",
    "GOVERN_API_KEY",
    "DssApiError",
    "DssDouble",
    "DssState",
    "RecordedRequest",
    "exercised_client_methods",
    "full_model_id",
    "load_fixture_data",
    "route_table",
]

# Credentials seeded by fixtures/identity.json and fixtures/govern.json.
ADMIN_API_KEY = "dkuaps-admin-0001"
ALICE_API_KEY = "dkuaps-alice-0002"
API_TICKET = "dku-ticket-backend-0001"
GOVERN_API_KEY = "govern-admin-0001"


def route_table() -> dict[str, Route]:
    """Return every route keyed by ``"<node> <VERB> <rule>"``."""
    table = {}
    for node, routes in (("dss", DSS_ROUTES), ("govern", GOVERN_ROUTES)):
        for route in routes:
            table[f"{node} {route.route_id}"] = route
    return table


def exercised_client_methods(
    log: list[RecordedRequest], *, successful_only: bool = True
) -> list[str]:
    """List the ``dataikuapi`` methods whose routes appear in a request log.

    A route served for several client methods credits all of them. With
    ``successful_only`` (default), only answers below 400 count.
    """
    table = route_table()
    methods: set[str] = set()
    for entry in log:
        if entry.route_id is None or (successful_only and entry.status >= 400):
            continue
        methods.update(table[f"{entry.node} {entry.route_id}"].client_methods)
    return sorted(methods)


class DssDouble:
    """A running double: server, state and the credentials to reach it."""

    def __init__(self, server: DssDoubleServer) -> None:
        self.server = server
        self.state = server.state
        self.api_key = ADMIN_API_KEY
        self.api_ticket = API_TICKET
        self.govern_api_key = GOVERN_API_KEY

    @classmethod
    def start(
        cls, fixtures_dir: Path | None = None, data: dict[str, Any] | None = None
    ) -> DssDouble:
        """Load the fixtures (or ``data``) and serve them on a free local port."""
        fixture_data = data if data is not None else load_fixture_data(fixtures_dir)
        return cls(DssDoubleServer(DssState(fixture_data)).start())

    def stop(self) -> None:
        """Stop the server."""
        self.server.stop()

    @property
    def url(self) -> str:
        """Return the DSS node URL (``DSSClient`` host)."""
        return self.server.url

    @property
    def govern_url(self) -> str:
        """Return the Govern node URL (``GovernClient`` host)."""
        return self.server.govern_url

    @property
    def port(self) -> int:
        """Return the port the double listens on."""
        return self.server.port

    @property
    def request_log(self) -> list[RecordedRequest]:
        """Return every request answered since the server started."""
        return self.state.request_log

    def reset(self) -> None:
        """Reload the world from the fixtures (the request log is kept)."""
        self.state.reset()

    def client(self, api_key: str | None = None) -> Any:
        """Return a real ``dataikuapi.DSSClient`` bound to the double."""
        from dataikuapi import DSSClient

        return DSSClient(self.url, api_key=api_key or self.api_key)

    def govern_client(self, api_key: str | None = None) -> Any:
        """Return a real ``dataikuapi.GovernClient`` bound to the Govern node."""
        from dataikuapi import GovernClient

        return GovernClient(self.govern_url, api_key=api_key or self.govern_api_key)

    def exercised_client_methods(self, *, successful_only: bool = True) -> list[str]:
        """List the client methods the request log shows."""
        return exercised_client_methods(self.request_log, successful_only=successful_only)

    def requests_to(self, route_id: str) -> list[RecordedRequest]:
        """Return the logged requests of one route id (``"<VERB> <rule>"``)."""
        return [r for r in self.request_log if r.route_id == route_id]
