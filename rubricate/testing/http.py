"""The HTTP side of the loopback server: one handler thread per connection, HTTP/1.1.

Reads a request, logs it (credential headers dropped), counts it in flight, routes it, and
writes the answer. A request leaves the in-flight count just before its answer is written, and
an answer is counted in ``answered`` just before (uncounted again if it could not be sent), so a
client never sees an answer the server has not counted, nor its next request overlap this one.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from rubricate.testing import replies
from rubricate.testing.messages import (
    MODEL_PATHS,
    SECRET_HEADERS,
    Dropped,
    FakeRequest,
    FakeResponse,
    normalise_path,
)

if TYPE_CHECKING:
    from rubricate.testing.server import FakeOpenAI


class HTTPHandler(BaseHTTPRequestHandler):
    """Serves one connection for :attr:`fake` (set on a subclass per server)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    fake: FakeOpenAI

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return None

    def parse_request(self) -> bool:
        self._arrived = time.monotonic()  # the request line is in: latency counts from here
        return super().parse_request()

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        fake = self.fake
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        names = {k.lower() for k in self.headers}
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() not in SECRET_HEADERS}
        body: Any = None
        if raw and "json" in headers.get("content-type", ""):
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        path = normalise_path(self.path.split("?", 1)[0])
        request = FakeRequest(
            self.command,
            path,
            headers,
            body,
            raw,
            started=self._arrived,
            authorized=bool(names & SECRET_HEADERS),
            query=dict(parse_qsl(urlsplit(self.path).query)),
        )
        with fake._lock:
            fake.requests.append(request)
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        leaving = True
        try:
            response = self._route(request)
            # Leave the in-flight count before answering: once the client has the answer it
            # may send its next request, which must not find this one still counted.
            request.finished = time.monotonic()
            with fake._lock:
                fake.in_flight -= 1
            leaving = False
            counted = path in MODEL_PATHS and response.status == 200
            if counted:  # counted before the client can see it, uncounted if unsent
                with fake._lock:
                    fake.answered[request.identity] += 1
            try:
                self._send(response)
            except OSError:
                if counted:
                    with fake._lock:
                        fake.answered[request.identity] -= 1
                        if not fake.answered[request.identity]:
                            del fake.answered[request.identity]
                raise
            request.status = response.status
        except Dropped:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if leaving:
                request.finished = time.monotonic()
                with fake._lock:
                    fake.in_flight -= 1

    def _route(self, request: FakeRequest) -> FakeResponse:
        for method, pattern, handler in self.fake._routes:
            found = pattern.match(request.path)
            if found and method == request.method:
                request.params = found.groupdict()
                return handler(self.fake, request)
        return FakeResponse(404, replies.error_body(f"no route for {request.path}", "not_found"))

    def _send(self, response: FakeResponse) -> None:
        body = response.body
        if isinstance(body, bytes):
            data, ctype = body, response.headers.get("content-type", "application/json")
        else:
            data, ctype = json.dumps(body).encode("utf-8"), "application/json"
        self.send_response(response.status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", f"req_{time.monotonic_ns():x}")
        for name, value in response.headers.items():
            if name.lower() != "content-type":
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
