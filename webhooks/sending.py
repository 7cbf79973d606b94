"""One HTTP POST of a signed event to an endpoint: Standard Webhooks headers, one deadline for
the whole exchange, no redirects, the first 4 KB of the answer kept.

Connections are kept alive and reused, per process, through `ConnectionPool`: a busy endpoint
costs one TCP (and TLS) handshake per connection, not one per event. Every send still goes
through the SSRF guard first, and a kept connection is only reused for a send to the very
address that send's own check approved (see `ConnectionPool`)."""

import contextlib
import functools
import heapq
import http.client
import itertools
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from standardwebhooks import Webhook

from webhooks.destinations import Destination, UnsafeDestinationError, resolve

KEPT_RESPONSE_BYTES = 4096
# A longer answer is read this far so its connection can carry the next request; one longer
# still costs its connection instead (reading on would spend the worker's time on junk).
DRAINED_RESPONSE_BYTES = 64 * 1024
USER_AGENT = f"{settings.PRODUCT_NAME}-Webhooks/1"
# Below the 5 s keep-alive timeout of common servers (Node, Apache): a connection idle longer
# is likely being closed by the other side, and a request sent as it closes would be lost.
KEEP_IDLE_SECONDS = 4.0
# Idle connections kept in all: a bound on open sockets when there are many endpoints. Per
# destination, as many as the worker's concurrent sends can use.
MAX_IDLE = 256

PoolKey = tuple[str, str, int, str]  # scheme, host, port, the checked address


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
    """Sends without raising: every failure is in the result's `error`. Safe to call from
    several threads at once."""
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
        deadline.finish()
    if deadline.expired:  # the answer came, but too late
        return _result(None, "", timed_out, started)
    return _result(status, kept, "", started)


class ConnectionPool:
    """Idle kept-alive connections of this process, by destination: scheme, host, port and
    the IP address the connection was opened to. A send looks its connection up only after
    the SSRF guard has resolved and checked its URL, under the address that check approved:
    a kept connection therefore always leads where this send's own check said it may go, and
    a host whose DNS answer changes gets new connections to its new address (checked like
    any other). The host is in the key for TLS (SNI, certificate) and the Host header."""

    def __init__(self, *, total: int, idle_seconds: float) -> None:
        self.total = total
        self.idle_seconds = idle_seconds
        self._idle: dict[PoolKey, list[tuple[float, http.client.HTTPConnection]]] = {}
        self._count = 0
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def take(self, key: PoolKey) -> http.client.HTTPConnection | None:
        """The most recently used live connection to `key`, or None."""
        now = time.monotonic()
        stale: list[http.client.HTTPConnection] = []
        taken = None
        with self._lock:
            stale.extend(self._prune(now))
            idle = self._idle.get(key, [])
            while idle and taken is None:
                _, connection = idle.pop()
                self._count -= 1
                if _readable(connection.sock):
                    stale.append(connection)  # closed by the other side, or junk sent
                else:
                    taken = connection
            if not idle:
                self._idle.pop(key, None)
        for connection in stale:
            connection.close()
        return taken

    def put(self, key: PoolKey, connection: http.client.HTTPConnection) -> None:
        """Keeps `connection`, idle and ready for its next request, or closes it if full."""
        per_destination = settings.WEBHOOK_SEND_CONCURRENCY
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < per_destination and self._count < self.total:
                idle.append((time.monotonic(), connection))
                self._count += 1
                return
        connection.close()

    def clear(self) -> None:
        with self._lock:
            kept = [connection for idle in self._idle.values() for _, connection in idle]
            self._idle.clear()
            self._count = 0
        for connection in kept:
            connection.close()

    def _prune(self, now: float) -> list[http.client.HTTPConnection]:
        """Removes (for the caller to close) the connections idle too long, at most once a
        second: sockets the other side closed are not held open for ever."""
        if now < self._next_prune:
            return []
        self._next_prune = now + 1.0
        expired = []
        for key in list(self._idle):
            idle = self._idle[key]
            fresh = [(since, c) for since, c in idle if now - since < self.idle_seconds]
            expired.extend(c for since, c in idle if now - since >= self.idle_seconds)
            if fresh:
                self._idle[key] = fresh
            else:
                del self._idle[key]
        self._count -= len(expired)
        return expired


connections = ConnectionPool(total=MAX_IDLE, idle_seconds=KEEP_IDLE_SECONDS)


def _readable(sock: socket.socket | None) -> bool:
    """Whether an idle connection's socket has something to read: end of file or bytes no
    request asked for. Either way it cannot carry a request."""
    if sock is None:
        return True
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


class _Watchdog:
    """One thread that closes the connections of sends past their deadline (a timer thread
    per send would cost a thread start per send)."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _Deadline]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: "_Deadline", at: float) -> None:
        with self._changed:
            heapq.heappush(self._due, (at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="webhook-deadlines", daemon=True
                )
                self._thread.start()
            if self._due[0][2] is deadline:  # due before any other: the thread must know
                self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._changed.wait(wait)
                _, _, deadline = heapq.heappop(self._due)
            deadline.expire()


_watchdog = _Watchdog()


class _Deadline:
    """Closes the connection when the whole exchange has taken `seconds`: the socket timeout
    alone limits each read, and a receiver trickling bytes would hold the worker for ever."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self.connection: http.client.HTTPConnection | None = None
        self._finished = False
        self._lock = threading.Lock()
        _watchdog.watch(self, time.monotonic() + seconds)

    def expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.expired = True
            sock = self.connection.sock if self.connection is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def finish(self) -> bool:
        """Stops the clock, so that the connection may be kept; whether it had run out."""
        with self._lock:
            self._finished = True
            self.connection = None
            return self.expired


def _post(
    destination: Destination, headers: dict[str, str], body: bytes, deadline: _Deadline
) -> tuple[int, str]:
    key: PoolKey = (destination.scheme, destination.host, destination.port, destination.address)
    kept = connections.take(key)
    if kept is not None:
        try:
            return _exchange(key, kept, destination.target, headers, body, deadline)
        except ConnectionError:  # reset, broken pipe, closed without an answer
            if deadline.expired:
                raise
            # The other side closed the kept connection as this request went out, so it was
            # not handled: send it once more on a new connection.
    return _exchange(key, _connect(destination), destination.target, headers, body, deadline)


def _connect(destination: Destination) -> http.client.HTTPConnection:
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    if destination.scheme == "https":
        connection = http.client.HTTPSConnection(
            destination.host, destination.port, timeout=timeout, context=_tls_context()
        )
    else:
        connection = http.client.HTTPConnection(destination.host, destination.port, timeout=timeout)

    # The host name stays for the Host header and TLS (SNI, certificate check); the socket
    # goes to the address the SSRF guard checked.
    def connect_to_checked_address(address, timeout=timeout, source_address=None):
        return socket.create_connection((destination.address, address[1]), timeout)

    connection._create_connection = connect_to_checked_address
    return connection


def _exchange(
    key: PoolKey,
    connection: http.client.HTTPConnection,
    target: str,
    headers: dict[str, str],
    body: bytes,
    deadline: _Deadline,
) -> tuple[int, str]:
    """One request and its answer on `connection`, which is then kept for the next request
    if the answer was read to its end in time, and closed otherwise."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    connection.timeout = timeout
    if connection.sock is not None:  # a kept connection: this send's timeout, not the last's
        connection.sock.settimeout(timeout)
    deadline.connection = connection
    reusable = False
    try:
        connection.request(
            "POST",
            target,
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
        if not response.isclosed():
            response.read(DRAINED_RESPONSE_BYTES)
        reusable = response.isclosed() and not response.will_close
        return response.status, kept.decode("utf-8", "replace")
    finally:
        if reusable and not deadline.finish():
            connections.put(key, connection)
        else:
            connection.close()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The default verifying context with ALPN for HTTP/1.1, as http.client makes it, made
    once rather than per connection (loading the CA store takes milliseconds); contexts are
    safe to share between threads."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


def _result(status: int | None, body: str, error: str, started: float) -> SendResult:
    duration = (time.perf_counter() - started) * 1000
    # Stored in text columns, which PostgreSQL will not take a NUL in.
    body, error = body.replace("\x00", "\ufffd"), error.replace("\x00", "\ufffd")[:1000]
    return SendResult(status_code=status, response_body=body, error=error, duration_ms=duration)
