"""Domain errors: what services and selectors raise when a request cannot be carried out.

They know nothing of HTTP; `api.exception_handler` maps each kind to a status code and the
envelope in one place.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings

# Error bodies stay small: an echoed value is cut, a long list of names is named in part.
ECHO_LIMIT = 200
NAMES_SHOWN = 10


def shown(value: Any, limit: int = ECHO_LIMIT) -> str:
    """`value` as an error message may echo it: at most `limit` characters, then "…"."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def some_of(names: Iterable[Any], limit: int = NAMES_SHOWN) -> str:
    """A comma list of the first `limit` names (each cut), then "… and N more"."""
    names = list(names)
    listed = ", ".join(shown(name) for name in names[:limit])
    return listed if len(names) <= limit else f"{listed} … and {len(names) - limit} more"


class DomainError(Exception):
    """Base class. `message` is one sentence a person can act on."""

    def __init__(
        self,
        message: str,
        *,
        detail: dict[str, Any] | str | None = None,
        missing: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.missing = missing or []


class BadRequestError(DomainError):
    """The request is malformed: a bad parameter, an unknown key."""


class InvalidParameterError(BadRequestError):
    """One query or body parameter has a value that cannot be used."""

    def __init__(self, parameter: str, problem: str) -> None:
        parameter = shown(parameter)
        super().__init__(
            f"Invalid value for '{parameter}': {problem}", detail={parameter: [problem]}
        )
        self.parameter = parameter


class UnknownInputError(BadRequestError):
    """Keys that are not inputs of the route: named in part when there are many."""

    def __init__(self, unknown: Iterable[Any], valid: Iterable[str], *, where: str = "") -> None:
        unknown = sorted(str(key) for key in unknown)
        super().__init__(
            f"Unknown input{where}: {some_of(unknown)}. Valid inputs: {', '.join(valid)}.",
            detail={shown(key): ["Unknown input."] for key in unknown[:NAMES_SHOWN]},
        )
        self.unknown = unknown


class LimitExceededError(BadRequestError):
    """A bound on what a tenant controls was passed; `setting` names it."""

    def __init__(self, message: str, *, setting: str, limit: int, where: str) -> None:
        super().__init__(
            f"{message} (the limit is {limit:,}, setting {setting}).",
            detail={where: [f"At most {limit:,} (setting {setting})."]},
        )
        self.setting = setting
        self.limit = limit

    @classmethod
    def check(cls, count: int, *, setting: str, message: str, where: str) -> None:
        """Raises when `count` is past the limit the setting named `setting` holds."""
        limit = getattr(settings, setting)
        if count > limit:
            raise cls(message, setting=setting, limit=limit, where=where)


class MissingInputError(BadRequestError):
    """Required inputs were not sent."""

    def __init__(self, missing: list[str]) -> None:
        names = ", ".join(missing)
        super().__init__(f"Required input is missing: {names}.", missing=missing)


class ExperimentalFeatureRequiredError(BadRequestError):
    """An experimental route or parameter was used without opting in."""

    def __init__(self, feature: str) -> None:
        super().__init__(
            f"This is the experimental feature '{feature}': send the header "
            f"'X-Experimental: {feature}' to use it.",
            detail={"X-Experimental": [f"Send '{feature}' to opt in."]},
        )
        self.feature = feature


class InvalidInputError(DomainError):
    """The input is well-formed but its values are wrong (a type, an email, an option)."""


class NotFoundError(DomainError):
    """The thing does not exist, or belongs to another organization."""


class ConflictError(DomainError):
    """The change conflicts with what is stored: a duplicate, an ambiguous match."""


class PreconditionFailedError(DomainError):
    """The write was conditional on a state that is no longer the stored one (a version)."""
