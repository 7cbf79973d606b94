"""Parsing of the list parameters every list shares: limit/offset or page/page_size, sort and
select. Bad values are a 400 naming the parameter (api.exceptions.InvalidParameterError)."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from api.exceptions import NAMES_SHOWN, BadRequestError, InvalidParameterError, shown, some_of

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 2**63 - 1
# The last page whose offset stays within MAX_OFFSET at any page size: one bound for `page`
# alone, so the OpenAPI document can state it (a bound that depended on the page size could
# not be stated, and a page past it would be a 400 the document did not announce).
MAX_PAGE = MAX_OFFSET // MAX_LIMIT + 1


@dataclass(frozen=True)
class Window:
    """Which slice of a list to return."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def as_pagination(self, total: int) -> dict[str, int]:
        return {"total": total, "limit": self.limit, "offset": self.offset}


@dataclass(frozen=True)
class SortKey:
    key: str
    descending: bool

    def __str__(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def _one(params: Mapping[str, Any], name: str) -> Any:
    value = params.get(name)
    if isinstance(value, list):
        if len(value) != 1:
            raise InvalidParameterError(name, "give it once.")
        value = value[0]
    return value


def integer_param(
    params: Mapping[str, Any], name: str, *, minimum: int, maximum: int
) -> int | None:
    value = _one(params, name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidParameterError(name, "expected an integer.")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit() or not text.isascii() or len(text) > 30:
            raise InvalidParameterError(name, "expected an integer.")
        value = int(text)
    if not isinstance(value, int):
        raise InvalidParameterError(name, "expected an integer.")
    if value < minimum:
        raise InvalidParameterError(name, f"must be at least {minimum}.")
    if value > maximum:
        raise InvalidParameterError(name, f"must be at most {maximum}.")
    return value


WINDOW_PARAMS = ("limit", "offset", "page", "page_size")


def reject_unknown_params(
    params: Mapping[str, Any], *, allowed: Collection[str], window: bool = True
) -> None:
    """A parameter the route does not know is a 400, so a typo never silently does nothing.
    Lists know the window's parameters too (`window`)."""
    known = {*(WINDOW_PARAMS if window else ()), *allowed}
    unknown = sorted(str(name) for name in params if name not in known)
    if unknown:
        valid = ", ".join(sorted(known))
        # Named in part when there are many, so that the answer stays small.
        raise BadRequestError(
            f"Unknown parameter: {some_of(unknown)}. Valid parameters: {valid or 'none'}.",
            detail={shown(name): ["Unknown parameter."] for name in unknown[:NAMES_SHOWN]},
        )


def parse_window(params: Mapping[str, Any]) -> Window:
    """limit (default 100, above 1,000 clamped) and offset; or page (from 1) and page_size."""
    limit = integer_param(params, "limit", minimum=0, maximum=MAX_OFFSET)
    offset = integer_param(params, "offset", minimum=0, maximum=MAX_OFFSET)
    page = integer_param(params, "page", minimum=1, maximum=MAX_PAGE)
    page_size = integer_param(params, "page_size", minimum=1, maximum=MAX_OFFSET)
    if limit is not None and page_size is not None:
        raise InvalidParameterError("page_size", "use either limit or page_size, not both.")
    if offset is not None and page is not None:
        raise InvalidParameterError("page", "use either offset or page, not both.")
    size = limit if limit is not None else page_size
    size = DEFAULT_LIMIT if size is None else min(size, MAX_LIMIT)
    if page is not None:
        offset = (page - 1) * size  # at most MAX_OFFSET, as size is at most MAX_LIMIT
    return Window(limit=size, offset=offset or 0)


def _names(params: Mapping[str, Any], name: str) -> list[str]:
    value = _one(params, name)
    if value is None:
        return []
    if not isinstance(value, str):
        raise InvalidParameterError(name, "expected a comma-separated list of names.")
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_sort(
    params: Mapping[str, Any], *, allowed: Collection[str], default: str = "-id"
) -> list[SortKey]:
    """`sort=-a,b`: a comma list of allowed keys, `-` for descending. Unknown key: 400."""
    names = _names(params, "sort") or [default]
    keys: list[SortKey] = []
    for name in names:
        key = name.removeprefix("-")
        if key not in allowed:
            choices = ", ".join(sorted(allowed))
            raise InvalidParameterError(
                "sort", f"unknown key '{shown(key)}'; valid keys: {choices}."
            )
        keys.append(SortKey(key=key, descending=name.startswith("-")))
    return keys


def parse_select(params: Mapping[str, Any], *, defaults: Mapping[str, bool]) -> dict[str, bool]:
    """`select=meta,-fields`: a name turns a part on, `-name` turns it off. Unknown part: 400."""
    chosen = dict(defaults)
    for name in _names(params, "select"):
        part = name.removeprefix("-")
        if part not in defaults:
            choices = ", ".join(sorted(defaults))
            raise InvalidParameterError(
                "select", f"unknown part '{shown(part)}'; valid parts: {choices}."
            )
        chosen[part] = not name.startswith("-")
    return chosen
