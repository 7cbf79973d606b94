"""One HTTP POST of a signed event to an endpoint: Standard Webhooks headers, one deadline for
the whole exchange, no redirects, the first 4 KB of the answer kept."""

import contextlib
import http.client
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from standardwebhooks import Webhook

from webhooks.destinations import Destination, UnsafeDestinationError, resolve

KEPT_RESPONSE_BYTES = 4096
USER_AGENT = f"{settings.PRODUCT_NAME}-Webhooks/1"


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    response_body: str
    error: str
    duration_ms: float

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signature_header(secrets: list[str], *, msg_id: str, timestamp: datetime, body: str) -> str:
    """`v1,<signature>` per secret, space-separated: during a rotation the old and the new
    secret both sign, and a receiver that knows either one accepts the message."""
    return " ".join(Webhook(secret).sign(msg_id, timestamp, body) for secret in secrets)


def post(*, url: str, headers: dict[str, str], body: str) -> SendResult:
    """Sends without raising: every failure is in the result's `error`."""
    started = time.perf_counter()
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    timed_out = f"Timed out after {timeout:g} seconds."
    deadline = _Deadline(timeout)
    try:
        destination = resolve(url)
        status, kept = _post(destination, headers, body.encode(), deadline)
    except UnsafeDestinationError as exc:
        return _result(None, "", f"Refused: {exc.problem}", started)
    except TimeoutError:
        return _result(None, "", timed_out, started)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if deadline.expired:
            return _result(None, "", timed_out, started)
        return _result(None, "", f"{type(exc).__name__}: {exc}", started)
    finally:
        deadline.cancel()
    if deadline.expired:  # the answer came, but too late
        return _result(None, "", timed_out, started)
    return _result(status, kept, "", started)


class _Deadline:
    """Closes the connection when the whole exchange has taken `seconds`: the socket timeout
    alone limits each read, and a receiver trickling bytes would hold the worker for ever."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self.connection: http.client.HTTPConnection | None = None
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.daemon = True
        self.timer.start()

    def _expire(self) -> None:
        self.expired = True
        sock = self.connection.sock if self.connection is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self.timer.cancel()


def _post(
    destination: Destination, headers: dict[str, str], body: bytes, deadline: _Deadline
) -> tuple[int, str]:
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    connection_class = (
        http.client.HTTPSConnection if destination.scheme == "https" else http.client.HTTPConnection
    )
    # The host name stays for the Host header and TLS (SNI, certificate check); the socket
    # goes to the address the SSRF guard checked.
    connection = connection_class(destination.host, destination.port, timeout=timeout)

    def connect_to_checked_address(address, timeout=timeout, source_address=None):
        return socket.create_connection((destination.address, address[1]), timeout)

    connection._create_connection = connect_to_checked_address
    deadline.connection = connection
    try:
        connection.request(
            "POST",
            destination.target,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "Content-Length": str(len(body)),
            },
        )
        response = connection.getresponse()
        kept = response.read(KEPT_RESPONSE_BYTES)
        return response.status, kept.decode("utf-8", "replace")
    finally:
        connection.close()


def _result(status: int | None, body: str, error: str, started: float) -> SendResult:
    duration = (time.perf_counter() - started) * 1000
    # Stored in text columns, which PostgreSQL will not take a NUL in.
    body, error = body.replace("\x00", "\ufffd"), error.replace("\x00", "\ufffd")[:1000]
    return SendResult(status_code=status, response_body=body, error=error, duration_ms=duration)
