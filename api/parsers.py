"""Body parsers for the three encodings the contract accepts: JSON, form and multipart.

Each rejects NUL characters (PostgreSQL cannot store them in text, and no integrator means
them) and turns parser crashes into a 400 that says what is wrong.
"""

from typing import Any

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError

NUL = "\x00"


def contains_nul(value: Any) -> bool:
    """True when any string inside `value` (keys included) holds a NUL character."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False


def reject_nul(data: Any, where: str) -> None:
    if isinstance(data, QueryDict):
        data = dict(data.lists())
    if contains_nul(data):
        raise ParseError(f"The {where} contains a NUL character (\\u0000), which is not allowed.")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(
                "The request body is not valid JSON: it is nested too deeply."
            ) from exc
        except ParseError as exc:
            reason = str(exc.detail).removeprefix("JSON parse error - ")
            raise ParseError(f"The request body is not valid JSON: {reason}") from exc
        reject_nul(data, "request body")
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        reject_nul(data, "request body")
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        reject_nul(result.data, "request body")
        return result
