"""Experimental features: opt-in per request with `X-Experimental: <name>[,<name>]`.

Apps register their features at start-up (`register_feature` in AppConfig.ready); a route or
a parameter is gated with `RequiresExperimental` or `require_feature`.
"""

from dataclasses import dataclass

from django.http import HttpRequest
from rest_framework.permissions import BasePermission

from api.exceptions import ExperimentalFeatureRequiredError

HEADER = "X-Experimental"


@dataclass(frozen=True)
class ExperimentalFeature:
    name: str
    description: str


_features: dict[str, ExperimentalFeature] = {}


def register_feature(name: str, description: str) -> ExperimentalFeature:
    name = name.strip().lower()  # the header is read case-insensitively
    feature = ExperimentalFeature(name=name, description=description)
    _features[name] = feature
    return feature


def unregister_feature(name: str) -> None:
    _features.pop(name.strip().lower(), None)


def all_features() -> list[ExperimentalFeature]:
    return sorted(_features.values(), key=lambda feature: feature.name)


def requested_features(request: HttpRequest) -> set[str]:
    header = request.headers.get(HEADER, "")
    return {name.strip().lower() for name in header.split(",") if name.strip()}


def require_feature(request: HttpRequest, name: str) -> None:
    """Raises a 400 naming the flag unless the request opted in to `name`."""
    name = name.strip().lower()
    if name not in _features:
        raise LookupError(f"The experimental feature {name!r} is not registered.")
    if name not in requested_features(request):
        raise ExperimentalFeatureRequiredError(name)


class RequiresExperimental(BasePermission):
    """Gate a whole view: `permission_classes = [HasScope, RequiresExperimental.named("x")]`."""

    feature = ""

    @classmethod
    def named(cls, name: str) -> type["RequiresExperimental"]:
        return type(f"RequiresExperimental_{name}", (cls,), {"feature": name})

    def has_permission(self, request, view) -> bool:
        require_feature(request, self.feature)
        return True
