"""Optimistic concurrency over HTTP: a single resource's `ETag` is its version as a strong
entity tag (`"3"`), and `If-Match` (RFC 9110 §13.1.1) names the versions a write may apply to.

`If-Match: *` matches any existing resource. Entity tags are compared strongly, so a weak tag
(`W/"3"`) never matches, nor does a tag that is not a version; both are a 412 from the
service. A header that does not parse as `"*"` or a list of entity tags is a 400: the request
is malformed, and ignoring it would drop the guard the client asked for.
"""

import re

from django.http import HttpRequest

from api.exceptions import InvalidParameterError
from api.parsers import reject_header_surrogates

HEADER = "If-Match"
# One list element: optional whitespace, an optional entity tag, optional whitespace, then a
# comma or the end. Empty elements are allowed by the list syntax (RFC 9110 §5.6.1).
_ELEMENT = re.compile(r'[ \t]*(?:(W/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:,|\Z)')
_VERSION = re.compile(r"[0-9]{1,18}")


def etag(version: int) -> str:
    return f'"{version}"'


def expected_versions(request: HttpRequest) -> frozenset[int] | None:
    """The versions `If-Match` allows, or None when any will do (no header, or `*`)."""
    value = request.headers.get(HEADER)
    if value is None:
        return None
    reject_header_surrogates(value, HEADER)
    if value.strip() == "*":
        return None
    versions: set[int] = set()
    seen_tag = False
    position = 0
    while position < len(value):
        element = _ELEMENT.match(value, position)
        if element is None or element.end() == position:
            raise malformed()
        weak, opaque = element.groups()
        if opaque is not None:
            seen_tag = True
            if not weak and _VERSION.fullmatch(opaque):
                versions.add(int(opaque))
        position = element.end()
    if not seen_tag:
        raise malformed()
    return frozenset(versions)


def malformed() -> InvalidParameterError:
    return InvalidParameterError(
        HEADER, 'expected "*" or entity tags in double quotes, such as "3" (the ETag you read).'
    )
