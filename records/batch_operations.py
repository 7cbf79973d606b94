"""One operation of a batch (`POST /api/records/{object}/batch`), as the services run it;
records.input_serializers.BatchSerializer reads a request into these."""

from dataclasses import dataclass
from typing import Any

from records.services.records import UNSET

MAX_OPERATIONS = 1000
MAX_ID_LENGTH = 255  # ids are opaque strings of up to 255 characters (the contract)


@dataclass
class Operation:
    index: int
    op: str
    id: str | None = None
    name: Any = UNSET
    fields: Any = None
    match_on: str | None = None
