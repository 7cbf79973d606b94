"""How records of a system object are named and addressed: a small registry that apps above
records (contacts) fill in at start-up, so that records never imports them.

The default policy: a record's name is what the client sends, and a record is addressed by its
id only.
"""

from collections.abc import Collection
from typing import Any

from records.models import Field, Object, Record


class ObjectPolicy:
    def derives_name(self) -> bool:
        """True when the name is computed from field values and cannot be sent."""
        return False

    def derive_name(self, *, fields: tuple[Field, ...], values: dict[str, Any]) -> str:
        raise NotImplementedError

    def find(self, *, obj: Object, identifier: str) -> Record | None:
        """A record addressed by something other than its id (an email, say), or None."""
        return self.find_many(obj=obj, identifiers=[identifier]).get(identifier)

    def find_many(self, *, obj: Object, identifiers: Collection[str]) -> dict[str, Record]:
        """{identifier as sent: record} for those that address a record; one query."""
        return {}


DEFAULT_POLICY = ObjectPolicy()
_policies: dict[str, ObjectPolicy] = {}


def register_policy(api_name: str, policy: ObjectPolicy) -> None:
    _policies[api_name] = policy


def policy_for(obj: Object) -> ObjectPolicy:
    """Only system objects have policies; an organization's own object called the same gets
    the default."""
    if not obj.is_system:
        return DEFAULT_POLICY
    return _policies.get(obj.api_name, DEFAULT_POLICY)
