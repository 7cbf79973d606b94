"""The contacts object's identity: named after the person (or their email), addressed by email
wherever an id goes, unique by email regardless of case."""

from collections.abc import Collection
from typing import Any

from api.tenancy import for_org
from records.models import Field, Object, Record, UniqueValue
from records.registry import ObjectPolicy
from records.services.unique_values import unique_token

CONTACTS = "contacts"


class ContactPolicy(ObjectPolicy):
    def derives_name(self) -> bool:
        return True

    def derive_name(self, *, fields: tuple[Field, ...], values: dict[str, Any]) -> str:
        by_name = {field.api_name: values.get(field.key) for field in fields if field.is_system}
        person = " ".join(
            part.strip() for part in (by_name.get("first_name"), by_name.get("last_name")) if part
        ).strip()
        return person or by_name.get("email") or ""

    def find_many(self, *, obj: Object, identifiers: Collection[str]) -> dict[str, Record]:
        email = next((f for f in obj.fields.all() if f.api_name == "email" and f.is_system), None)
        emails = [i for i in identifiers if "@" in i and len(i) <= 254]
        if email is None or not emails:
            return {}
        tokens = {identifier: unique_token(email, identifier.strip()) for identifier in emails}
        claims = (
            for_org(UniqueValue, org_id=obj.org_id)
            .filter(field=email, value__in=set(tokens.values()))
            .select_related("record")
        )
        found = {claim.value: claim.record for claim in claims}
        return {identifier: found[token] for identifier, token in tokens.items() if token in found}
