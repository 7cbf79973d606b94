"""Where webhooks may go: the SSRF guard. In production an endpoint's URL must be HTTPS and its
host may resolve only to public addresses; it is checked when the endpoint is saved and again
at every send, and the connection is then made to the address that was checked, so a DNS
answer that changes in between cannot redirect it."""

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from api.exceptions import InvalidInputError

MAX_URL_LENGTH = 2000
# A worker sends several requests at once (WEBHOOK_SEND_CONCURRENCY), each resolving its host.
_resolver = ThreadPoolExecutor(max_workers=16, thread_name_prefix="webhook-dns")
# IPv6 ranges that carry an IPv4 address inside (NAT64, 6to4): the IPv4 one is what is reached.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


class UnsafeDestinationError(InvalidInputError):
    """The URL may not be called: not HTTPS, not resolvable, or not a public address."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"Invalid value for 'url': {problem}", detail={"url": [problem]})
        self.problem = problem


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line
    address: str  # the checked IP address to connect to


def check_url(url: str) -> None:
    """Refuses a URL that could never be called (at creation and update)."""
    _parse(url)
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        resolve(url)


def resolve(url: str) -> Destination:
    """The URL's destination, with the address to connect to; refused when not allowed."""
    scheme, host, port, target = _parse(url)
    addresses = [host] if _is_ip_address(host) else _lookup(host, port)
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        for address in addresses:
            if not _is_public(address):
                raise UnsafeDestinationError(
                    f"'{host}' resolves to {address}, which is not a public address."
                )
    return Destination(scheme=scheme, host=host, port=port, target=target, address=addresses[0])


def _is_ip_address(host: str) -> bool:
    """An address written out in its standard form, which needs no lookup (other forms, such
    as 127.1, go through the resolver like names, and are checked alike)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _lookup(host: str, port: int) -> list[str]:
    # getaddrinfo has no timeout of its own: wait for it at most the send timeout.
    lookup = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    except FutureTimeout:
        raise UnsafeDestinationError(f"resolving '{host}' timed out.") from None
    except (OSError, UnicodeError):
        raise UnsafeDestinationError(f"the host '{host}' does not resolve.") from None
    return [info[4][0] for info in infos]


def _parse(url: str) -> tuple[str, str, int, str]:
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeDestinationError(f"expected an http(s) URL of at most {MAX_URL_LENGTH} chars.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeDestinationError("this is not a valid URL.") from None
    allowed = ("https",) if settings.WEBHOOK_REQUIRE_HTTPS else ("http", "https")
    if parts.scheme not in allowed:
        raise UnsafeDestinationError(f"the URL must start with {' or '.join(allowed)}://.")
    if not parts.hostname:
        raise UnsafeDestinationError("the URL has no host.")
    if parts.username or parts.password:
        raise UnsafeDestinationError("credentials in the URL are not supported.")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise UnsafeDestinationError("the URL contains spaces or control characters.")
    if not url.isascii():
        raise UnsafeDestinationError(
            "the URL must be ASCII: percent-encode the path, write the host in punycode."
        )
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    default_port = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname, port or default_port, target


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return _is_public(str(embedded))
        if ip not in GLOBAL_UNICAST:  # site-local, IPv4-compatible and other legacy forms
            return False
    return ip.is_global and not ip.is_multicast


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if any(ip in network for network in NAT64):
        return ipaddress.IPv4Address(ip.packed[-4:])
    if ip.packed[:12] == bytes(8) + b"\xff\xff\x00\x00":  # SIIT, ::ffff:0:a.b.c.d
        return ipaddress.IPv4Address(ip.packed[-4:])
    if ip in SIX_TO_FOUR:
        return ip.sixtofour
    return None
