"""Body parsers for the three encodings the contract accepts: JSON, form and multipart.

Each rejects NUL characters (PostgreSQL cannot store them in text, and no integrator means
them) and turns parser crashes into a 400 that says what is wrong.
"""

import json
import math
from typing import Any

from django.conf import settings
from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError

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


class JSONParser(parsers.JSONParser):
    """Strict JSON: no NaN or Infinity, no number that overflows to infinity, no NUL."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            data = json.loads(text, parse_float=_finite_float, parse_constant=_no_constants)
        except RecursionError:
            raise ParseError(
                "The request body is not valid JSON: it is nested too deeply."
            ) from None
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise ParseError(f"The request body is not valid JSON: {exc}") from None
        reject_nul(data, "request body")
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        reject_nul(data, "request body")
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        # Django only recognises a lower-case "multipart/"; the boundary keeps its case.
        mime, separator, parameters = (media_type or "").partition(";")
        media_type = mime.strip().lower() + separator + parameters
        result = super().parse(stream, media_type, parser_context)
        reject_nul(result.data, "request body")
        return result
