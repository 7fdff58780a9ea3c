"""A chat server for tests: records every webhook POST it receives and answers as the platform
would (or as a test tells it). Used by the webhook tests and the flow tests (``chat_server``
fixture in tests/conftest.py)."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# --------------------------------------------------------------------------------------------
# a chat server that records what it receives
# --------------------------------------------------------------------------------------------

@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes
    body: object  # the parsed JSON (None when it is not JSON)


@dataclass
class Reply:
    status: int = 200
    body: object = None  # a dict (sent as JSON) or text; None: the platform's "ok"
    close: bool = False  # drop the connection without answering
    delay: float = 0.0  # wait this long before answering
    headers: dict[str, str] = field(default_factory=dict)


def _ok_for(path: str) -> tuple[str, str]:
    if path.startswith("/services/"):
        return "text/html", "ok"
    if path.startswith("/open-apis/"):
        return "application/json", json.dumps({"code": 0, "msg": "success", "data": {}})
    return "application/json", json.dumps({"errcode": 0, "errmsg": "ok"})


class ChatServer:
    """A ThreadingHTTPServer on 127.0.0.1 (random port). ``replies`` are used in order, one per
    request; when they run out every request gets the platform's success answer."""

    def __init__(self):
        self.received: list[Received] = []
        self.replies: list[Reply] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urllib.parse.urlsplit(self.path)
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    body = None
                server.received.append(Received("POST", parts.path, urllib.parse.parse_qs(parts.query),
                                                dict(self.headers.items()), raw, body))
                reply = server.replies.pop(0) if server.replies else Reply()
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.close:
                    self.close_connection = True
                    return
                if reply.body is None:
                    content_type, text = _ok_for(parts.path)
                elif isinstance(reply.body, dict):
                    content_type, text = "application/json", json.dumps(reply.body, ensure_ascii=False)
                else:
                    content_type, text = "text/plain", str(reply.body)
                data = text.encode("utf-8")
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.handle_error = lambda request, address: None  # a client that gave up (timeout test)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reply(self, *replies: Reply) -> None:
        self.replies.extend(replies)
