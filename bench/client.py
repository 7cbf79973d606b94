"""A small JSON client for the API over loopback HTTP, one connection per request (gunicorn's
sync workers close each connection after answering anyway)."""

import http.client
import time
from typing import Any

import orjson


class Api:
    def __init__(self, port: int, key: str, *, timeout: float = 120.0) -> None:
        self.port = port
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """`body` as JSON, or bytes already encoded (so that a timed loop times the server, not
        this client's encoding). orjson both ways: the client shares the machine's cores with
        the server, and its own time is not the product's."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            payload = body if body is None or isinstance(body, bytes) else orjson.dumps(body)
            conn.request(method, path, body=payload, headers=self.headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        try:
            return response.status, orjson.loads(raw)
        except ValueError:
            return response.status, raw.decode(errors="replace")[:500]

    def get(self, path: str) -> tuple[int, Any]:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        return self.request("POST", path, body)

    def ok(self, method: str, path: str, body: Any = None, *, expect: int = 200) -> Any:
        """The answer's `data`; anything but `expect` is an error that quotes the answer."""
        status, answer = self.request(method, path, body)
        if status != expect:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {str(answer)[:500]}")
        return answer["data"]

    def wait_ready(self, *, timeout: float = 60.0) -> None:
        """Until the workers have loaded the app and answer GET /api/me."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.get("/api/me")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {self.port} never answered /api/me")
            time.sleep(0.2)
