"""``model-governance serve``: the review board on a local governance home."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from flask import Flask
from werkzeug.serving import make_server

from model_governance.local import LocalHome
from model_governance.webapp.app import create_app
from model_governance.webapp.identity import LocalIdentity

log = logging.getLogger(__name__)


def local_app(home: LocalHome) -> Flask:
    """The review board on ``home``'s ledger, policy and users."""
    ledger = home.open_ledger()
    # A fresh key per process: restarting the server logs everyone out, and no
    # signing key is ever written to disk.
    return create_app(
        ledger, home.load_policy(), LocalIdentity(home), secret_key=secrets.token_urlsafe(48)
    )


def serve(
    home: LocalHome,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the review board until interrupted; ``on_ready`` gets the URL once bound.

    ``port`` 0 picks a free port (the URL given to ``on_ready`` names it).
    """
    server = make_server(host, port, local_app(home), threaded=True)
    url = f"http://{host}:{server.port}/"
    log.info("review board serving %s", home.root)
    if on_ready is not None:
        on_ready(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("review board stopped")
    finally:
        server.server_close()
