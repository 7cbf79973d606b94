"""A real HTTP receiver on 127.0.0.1: in the process that starts it (the tests), or in a
process of its own (`python -m tests.receiver`, the webhook benchmark's). It records every
POST, with the TCP connection it came on, and answers as it is told. It speaks HTTP/1.1 and
keeps connections alive, as the web servers behind real receivers do."""

import argparse
import itertools
import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int, str, float]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    connection: int = 0  # which TCP connection brought it: 1 for the first one, and so on

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next programmed (status, body, delay), then `otherwise`."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    otherwise: Answer = (200, "ok", 0.0)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *answers: int | tuple[int, str] | tuple[int, str, float]) -> None:
        for item in answers:
            status, body, delay = (item, "", 0.0) if isinstance(item, int) else (*item, 0.0)[:3]
            self.answers.append((status, body, delay))

    def events(self) -> list[dict]:
        return [message.json for message in self.received]

    def in_change_order(self) -> list[Received]:
        """The messages in the order of their events (event ids are time-ordered). Arrival
        order is not promised: a worker sends several at once."""
        return sorted(self.received, key=lambda message: message.headers["webhook-id"])

    def summary(self) -> dict:
        """How often each webhook-id arrived, and over how many connections."""
        with self.lock:
            ids = Counter(message.headers.get("webhook-id", "") for message in self.received)
            connections = {message.connection for message in self.received}
            return {"requests": len(self.received), "connections": len(connections), "ids": ids}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A sender opening many connections at once must not find the listen queue full (the
    # default is 5; a dropped SYN is retried only a second later). Web servers use hundreds.
    request_queue_size = 512

    def handle_error(self, request, client_address):
        # A client that drops a kept-alive connection (a sender's deadline, a worker killed)
        # is part of what the tests do, not an error worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver_holder: dict[str, Receiver] = {}
    connection_numbers = itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The headers and the body go out in two writes: without this, Nagle's algorithm holds
        # the body back until the client's delayed ACK of the headers, ~40 ms per kept-alive
        # request. Production web servers set it too.
        disable_nagle_algorithm = True

        def setup(self):
            super().setup()
            self.connection_number = next(connection_numbers)

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
                        connection=self.connection_number,
                    )
                )
                status, text, delay = (
                    receiver.answers.pop(0) if receiver.answers else receiver.otherwise
                )
            if delay:
                time.sleep(delay)
            self._send(status, text.encode())

        def do_GET(self):
            """GET /received: the summary, for a receiver in another process."""
            if self.path != "/received":
                self._send(404, b"")
                return
            self._send(200, json.dumps(receiver_holder["receiver"].summary()).encode())

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")
    receiver_holder["receiver"] = receiver
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


def main() -> None:
    """Serves until killed; prints its URL first. Every POST is answered 200 after the delay."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    receiver, _ = start_receiver()
    receiver.otherwise = (200, "ok", args.delay_ms / 1000)
    print(receiver.url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
