"""What `GET /api/events` filters on: type, object, a time range, and the `after` cursor."""

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter

from api.exceptions import InvalidParameterError
from webhooks.models import EVENT_ID_PREFIX
from webhooks.services import EVENT_TYPES

CREATED_AT_LOOKUPS = ("gt", "gte", "lt", "lte")
PARAMS = ("type", "object", "after", *(f"created_at__{lookup}" for lookup in CREATED_AT_LOOKUPS))
EVENT_ID_PATTERN = f"^{EVENT_ID_PREFIX}[0-9a-f]{{32}}$"
# The filters as the OpenAPI document shows them.
PARAMETERS = [
    OpenApiParameter("type", str, enum=list(EVENT_TYPES), description="Only this type."),
    OpenApiParameter("object", str, description="Only events of this object."),
    OpenApiParameter(
        "after",
        {"type": "string", "pattern": EVENT_ID_PATTERN},
        description="A cursor: only events after this one (its id), oldest first. Poll with "
        "the last id you read.",
    ),
    *(
        OpenApiParameter(
            f"created_at__{lookup}",
            {"type": "string", "format": "date-time"},
            description=f"Created {lookup} this time (ISO 8601, with a time zone).",
        )
        for lookup in CREATED_AT_LOOKUPS
    ),
]


@dataclass(frozen=True)
class EventFilters:
    event_type: str | None = None
    object_name: str | None = None
    after: uuid.UUID | None = None
    created_at: Mapping[str, datetime] = field(default_factory=dict)  # lookup -> bound

    @classmethod
    def read(cls, params: Mapping[str, Any]) -> "EventFilters":
        """The filters in the list's query; a malformed one is a 400 naming it."""
        event_type = params.get("type")
        if event_type is not None and event_type not in EVENT_TYPES:
            raise InvalidParameterError(
                "type", f"unknown event type; the types are {', '.join(EVENT_TYPES)}."
            )
        object_name = params.get("object") or None
        if object_name is not None and not isinstance(object_name, str):
            raise InvalidParameterError("object", "give one object's api_name.")
        return cls(
            event_type=event_type,
            object_name=object_name,
            after=_event_id(params["after"]) if "after" in params else None,
            created_at={
                lookup: _time(params, f"created_at__{lookup}")
                for lookup in CREATED_AT_LOOKUPS
                if f"created_at__{lookup}" in params
            },
        )


def _event_id(value: Any) -> uuid.UUID:
    if not isinstance(value, str) or not re.fullmatch(EVENT_ID_PATTERN, value):
        raise InvalidParameterError("after", f"expected an event's id ({EVENT_ID_PREFIX}…).")
    return uuid.UUID(hex=value.removeprefix(EVENT_ID_PREFIX))


def _time(params: Mapping[str, Any], name: str) -> datetime:
    value = params[name]
    parsed = parse_datetime(value) if isinstance(value, str) and len(value) <= 40 else None
    if parsed is None:
        raise InvalidParameterError(name, "expected a date and time in ISO 8601.")
    if parsed.tzinfo is None:
        raise InvalidParameterError(name, "expected a time zone (Z or ±hh:mm).")
    return parsed
