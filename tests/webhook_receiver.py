"""A local stand-in for Slack's incoming webhooks and PagerDuty's Events API v2.

It listens on 127.0.0.1, keeps every request (path, headers, JSON body), and answers
with the statuses a test queues, then with each service's success answer (Slack 200
``ok``; PagerDuty 202 with ``{"status": "success"}`` on ``/v2/enqueue``).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SLACK_PATH = "/services/T000/B000/s3cr3t-webhook-token"
ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
PAGERDUTY_PATH = "/v2/enqueue"


class WebhookReceiver:
    """Records every request; answers with the queued statuses, then success."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.echo_secret = False
        self.retry_after: str | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else None
                if status is None:
                    status = 202 if self.path == PAGERDUTY_PATH else 200
                self.send_response(status)
                if receiver.retry_after and status == 429:
                    self.send_header("Retry-After", receiver.retry_after)
                self.end_headers()
                if receiver.echo_secret:
                    self.wfile.write(f"bad key {ROUTING_KEY} for {SLACK_PATH}".encode())
                elif self.path == PAGERDUTY_PATH and status == 202:
                    self.wfile.write(json.dumps({"status": "success"}).encode())
                else:
                    self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the receiver."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Notification settings pointing both channels here."""
        return {
            "slack_webhook_url": self.url + SLACK_PATH,
            "pagerduty_routing_key": ROUTING_KEY,
            "pagerduty_url": self.url + PAGERDUTY_PATH,
            "max_attempts": 3,
            "timeout_seconds": 5.0,
            **overrides,
        }

    def bodies(self, path: str) -> list[dict[str, Any]]:
        """The JSON bodies received on ``path``."""
        return [r["body"] for r in self.requests if r["path"] == path]

    def start(self) -> None:
        """Serve in a background thread."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
