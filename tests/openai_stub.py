"""A threaded OpenAI-compatible stub server on 127.0.0.1 that plays scripted replies (real sockets).

For the clients of remote hosted APIs, which cannot run here: tests drive the real client against it.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def completion(text: str, usage: dict[str, int] | None = None, model: str = "stub-model") -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }
    if usage is not None:
        body["usage"] = usage
    return body


@dataclass
class Reply:
    """One scripted answer of the stub server."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    sse: list[Any] | None = None
    """Stream events (dicts become `data: {json}`, strings are sent as `data: <string>`)."""
    pause: float = 0.0
    """Seconds to wait before each stream event."""
    hang: bool = False
    """Never answer (until the test ends)."""
    raw: bytes | None = None


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class Stub:
    """A threaded OpenAI-compatible server that plays scripted replies and records what it received."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.default = Reply(body=completion("ok"))
        self.received: list[Received] = []
        self.release = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                stub.received.append(Received(self.command, self.path, dict(self.headers.items()), body))
                reply = stub.replies.pop(0) if stub.replies else stub.default
                if reply.hang:
                    stub.release.wait(30)
                    return
                if reply.sse is not None:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for event in reply.sse:
                        if reply.pause and stub.release.wait(reply.pause):
                            return
                        data = event if isinstance(event, str) else json.dumps(event)
                        try:
                            self.wfile.write(f"data: {data}\n\n".encode())
                            self.wfile.flush()
                        except OSError:
                            return
                    return
                if reply.raw is not None:
                    payload = reply.raw
                else:
                    payload = json.dumps(reply.body).encode()
                    # The 401 echo: a careless server quoting the Authorization header back.
                    payload = payload.replace(b"$AUTH", self.headers.get("Authorization", "").encode())
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
