"""A real HTTP receiver on 127.0.0.1, in the process that starts it (the tests, the
webhook benchmark): it records every POST and answers as it is told."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next programmed (status, body, delay), then 200."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[tuple[int, str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *answers: int | tuple[int, str] | tuple[int, str, float]) -> None:
        for item in answers:
            status, body, delay = (item, "", 0.0) if isinstance(item, int) else (*item, 0.0)[:3]
            self.answers.append((status, body, delay))

    def events(self) -> list[dict]:
        return [message.json for message in self.received]


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver_holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            receiver = receiver_holder["receiver"]
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            with receiver.lock:
                receiver.received.append(
                    Received(
                        path=self.path,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                    )
                )
                status, text, delay = (
                    receiver.answers.pop(0) if receiver.answers else (200, "ok", 0.0)
                )
            if delay:
                time.sleep(delay)
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")
    receiver_holder["receiver"] = receiver
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
