"""One HTTP POST of a signed event to an endpoint: Standard Webhooks headers, a timeout, no
redirects, the first 4 KB of the answer kept."""

import http.client
import socket
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
    try:
        destination = resolve(url)
        status, kept = _post(destination, headers, body.encode())
    except UnsafeDestinationError as exc:
        return _result(None, "", f"Refused: {exc.problem}", started)
    except TimeoutError:
        timeout = settings.WEBHOOK_TIMEOUT_SECONDS
        return _result(None, "", f"Timed out after {timeout:g} seconds.", started)
    except (OSError, http.client.HTTPException) as exc:
        return _result(None, "", f"{type(exc).__name__}: {exc}"[:1000], started)
    return _result(status, kept, "", started)


def _post(destination: Destination, headers: dict[str, str], body: bytes) -> tuple[int, str]:
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
    return SendResult(status_code=status, response_body=body, error=error, duration_ms=duration)
