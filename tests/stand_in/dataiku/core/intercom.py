"""How the stand-in finds the DSS backend, with the environment variables DSS uses.

Inside DSS (recipes, macros, steps, webapps) the process gets an API ticket:

- ``DKU_API_TICKET``: the ticket, sent as the ``X-DKU-APITicket`` header;
- ``DKU_BACKEND_HOST`` (default ``127.0.0.1``) and ``DKU_BACKEND_PORT``: the backend.

Outside DSS, ``DKU_DSS_URL`` and ``DKU_API_KEY`` name an instance and a key
(``DKU_NO_CHECK_CERTIFICATE`` disables TLS checks). ``set_remote_dss`` overrides
both. Unlike DSS, nothing is cached: a test may change the variables at any time.
"""

from __future__ import annotations

import os
from typing import Any

_remote: dict[str, Any] | None = None


def set_remote_dss(url: str, api_key: str, no_check_certificate: bool = False) -> None:
    """Point ``api_client()`` at a DSS instance with an API key."""
    global _remote
    _remote = {
        "auth_mode": "API_KEY",
        "backend_url": url,
        "api_key": api_key,
        "no_check_certificate": no_check_certificate,
    }


def clear_remote_dss() -> None:
    """Forget ``set_remote_dss`` (stand-in only: back to the environment)."""
    global _remote
    _remote = None


def get_location_data() -> dict[str, Any]:
    """Return the backend URL and credentials (``set_remote_dss`` or environment)."""
    if _remote is not None:
        return dict(_remote)
    ticket = os.environ.get("DKU_API_TICKET")
    if ticket:
        port = os.environ.get("DKU_BACKEND_PORT")
        if not port:
            raise RuntimeError("DKU_API_TICKET is set but DKU_BACKEND_PORT is not")
        host = os.environ.get("DKU_BACKEND_HOST", "127.0.0.1")
        return {
            "auth_mode": "TICKET",
            "api_ticket": ticket,
            "backend_url": f"http://{host}:{port}",
        }
    url = os.environ.get("DKU_DSS_URL")
    if url:
        api_key = os.environ.get("DKU_API_KEY")
        if not api_key:
            raise RuntimeError("DKU_DSS_URL is set but DKU_API_KEY is not")
        no_check = os.environ.get("DKU_NO_CHECK_CERTIFICATE", "")
        return {
            "auth_mode": "API_KEY",
            "backend_url": url,
            "api_key": api_key,
            "no_check_certificate": bool(no_check) and no_check.lower() != "false",
        }
    raise RuntimeError(
        "Cannot locate DSS: set DKU_API_TICKET with DKU_BACKEND_PORT (inside DSS) "
        "or DKU_DSS_URL with DKU_API_KEY (outside DSS)"
    )


def new_api_client() -> Any:
    """Return a ``dataikuapi.DSSClient`` for the located backend."""
    from dataikuapi import DSSClient

    location = get_location_data()
    if location["auth_mode"] == "TICKET":
        return DSSClient(location["backend_url"], internal_ticket=location["api_ticket"])
    return DSSClient(
        location["backend_url"],
        api_key=location["api_key"],
        no_check_certificate=location.get("no_check_certificate", False),
    )
