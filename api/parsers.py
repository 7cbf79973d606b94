"""Body parsers for the three encodings the contract accepts: JSON, form and multipart.

Each rejects NUL characters (PostgreSQL cannot store them in text, and no integrator means
them) and turns parser crashes into a 400 that says what is wrong. Strict: a JSON object with
a key twice, a form body that is not UTF-8 and a malformed multipart body are a 400 (never
read as something else); a lone surrogate (U+D800 to U+DFFF, not Unicode text) anywhere in a
key or a value is a 422 naming the input.
"""

import json
import math
import re
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from api.exceptions import InvalidInputError, shown

NUL = "\x00"


def contains_nul(value: Any) -> bool:
    """True when any string inside `value` (keys included) holds a NUL character. Iterative:
    a deeply nested body must not exhaust the stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def reject_nul(data: Any, where: str) -> None:
    if isinstance(data, QueryDict):
        data = dict(data.lists())
    if contains_nul(data):
        raise ParseError(f"The {where} contains a NUL character (\\u0000), which is not allowed.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is too large")
    return number


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


SURROGATE = re.compile(r"[\ud800-\udfff]")


def surrogate_path(value: Any) -> str | None:
    """Where the first lone surrogate inside `value` is (keys included), as a dotted input
    name ("fields.notes", "operations.0.name"), or None. Iterative, like contains_nul."""
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if SURROGATE.search(item):
                return path or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and SURROGATE.search(key):
                    return name
                pending.append((name, child))
        elif isinstance(item, list | tuple):
            pending.extend(
                (f"{path}.{index}" if path else str(index), child)
                for index, child in enumerate(item)
            )
    return None


def reject_surrogates(data: Any, where: str) -> None:
    if isinstance(data, QueryDict):
        data = dict(data.lists())
    path = surrogate_path(data)
    if path is not None:
        path = shown(SURROGATE.sub("\ufffd", path))
        problem = "Contains a lone surrogate (\\ud800-\\udfff), which is not Unicode text."
        raise InvalidInputError(
            f"Invalid value for '{path}' in the {where}: it contains a lone surrogate "
            "(\\ud800-\\udfff), which is not Unicode text.",
            detail={path: [problem]},
        )


def reject_header_surrogates(value: str, header: str) -> None:
    """A header value as WSGI passes it (its bytes as Latin-1): a lone surrogate in it, encoded
    as UTF-8 would encode one (or given as text by a server that decodes headers), is a 422
    naming the header, as anywhere else in a request."""
    try:
        text = value.encode("latin-1").decode("utf-8", "surrogatepass")
    except UnicodeEncodeError:
        text = value  # already text, not Latin-1 bytes
    except UnicodeDecodeError:
        return  # not UTF-8 at all: the header's own check refuses it
    reject_surrogates({header: text}, "headers")


def check_form_text(raw: str, encoding: str, where: str) -> None:
    """A urlencoded text (a form body or a query string) whose %-escapes decode in
    `encoding`: invalid UTF-8 is a 400 (never U+FFFD), an encoded surrogate a 422."""
    try:
        parse_qsl(raw, keep_blank_values=True, encoding=encoding, errors="strict")
    except UnicodeDecodeError:
        try:
            pairs = parse_qsl(
                raw, keep_blank_values=True, encoding=encoding, errors="surrogatepass"
            )
        except UnicodeDecodeError:
            pairs = None
        if pairs is not None:
            reject_surrogates(dict(pairs), where)
        raise ParseError(
            f"The {where} is not valid {encoding.upper()}: a %-escape decodes to no character."
        ) from None
    except ValueError as exc:
        raise ParseError(f"The {where} is malformed: {exc}") from None


# Decoded text holds no lone surrogate, and JSON allows no raw control character: parsed JSON
# can only hold a NUL or a lone surrogate written as a \u escape. A body without one is not
# walked (a batch of 1,000 records spent 40 ms there).
ESCAPED_NUL_OR_SURROGATE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


class DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


class JSONParser(parsers.JSONParser):
    """Strict JSON: no NaN or Infinity, no number that overflows to infinity, no key twice in
    one object, no NUL, no lone surrogate."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            data = json.loads(
                text,
                parse_float=_finite_float,
                parse_constant=_no_constants,
                object_pairs_hook=_unique_keys,
            )
        except RecursionError:
            raise ParseError(
                "The request body is not valid JSON: it is nested too deeply."
            ) from None
        except DuplicateKeyError as exc:
            key = shown(SURROGATE.sub("\ufffd", str(exc)))
            raise ParseError(
                f"The request body has the key '{key}' twice in one object; send each key once."
            ) from None
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise ParseError(f"The request body is not valid JSON: {exc}") from None
        if ESCAPED_NUL_OR_SURROGATE.search(text):
            reject_nul(data, "request body")
            reject_surrogates(data, "request body")
        return data


class FormParser(parsers.FormParser):
    """A urlencoded body that is UTF-8 (or its declared charset) through and through."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"The request body is not valid {encoding.upper()}.") from None
        check_form_text(text, encoding, "request body")
        data = QueryDict(raw, encoding=encoding)
        reject_nul(data, "request body")
        return data


class MultiPartParser(parsers.MultiPartParser):
    """A multipart body whose parts open and close with its boundary; a body without them is
    a 400, not read as empty."""

    def parse(self, stream, media_type=None, parser_context=None):
        # Django only recognises a lower-case "multipart/"; the boundary keeps its case.
        mime, separator, parameters = (media_type or "").partition(";")
        media_type = mime.strip().lower() + separator + parameters
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        request = parser_context.get("request")
        if request is not None:
            _check_multipart(request._request.body, parameters, encoding)
        result = super().parse(stream, media_type, parser_context)
        reject_nul(result.data, "request body")
        reject_surrogates(result.data, "request body")
        return result


BOUNDARY = re.compile(r'(?:^|;)\s*boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)


def _check_multipart(body: bytes, parameters: str, encoding: str) -> None:
    found = BOUNDARY.search(parameters)
    if found is None:
        raise ParseError("The multipart body has no boundary in its Content-Type.")
    boundary = (found.group(1) or found.group(2)).encode("latin-1", "replace")
    delimiter = b"--" + boundary
    opens = body.startswith(delimiter) or b"\r\n" + delimiter in body
    if not opens or delimiter + b"--" not in body:
        raise ParseError(
            "The multipart body is malformed: its parts must open with '--<boundary>' and the "
            "body must end with '--<boundary>--'."
        )
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter: what follows is the epilogue
        _check_part_text(part, encoding)


PART_NAME = re.compile(rb'\bname="([^"]*)"', re.IGNORECASE)


def _check_part_text(part: bytes, encoding: str) -> None:
    """A form field's name and value are text in the body's charset: Django would decode them
    with U+FFFD for each bad byte, so they are checked first. Invalid bytes are a 400, an
    encoded lone surrogate a 422 naming the field. A file's content is bytes, not text."""
    head, _, content = part.partition(b"\r\n\r\n")
    if b"filename=" in head.lower():
        return
    found = PART_NAME.search(head)
    name = found.group(1) if found else b""
    for text in (name, content.removesuffix(b"\r\n")):
        try:
            text.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            try:
                decoded = text.decode(encoding, "surrogatepass")
            except (UnicodeDecodeError, LookupError):
                decoded = None
            field = name.decode(encoding, "surrogatepass") if decoded is not None else ""
            if decoded is not None and SURROGATE.search(decoded):
                reject_surrogates({field: decoded}, "request body")
            raise ParseError(
                f"The multipart body is not valid {encoding.upper()}: a part's name or value "
                "holds bytes that decode to no character."
            ) from None
