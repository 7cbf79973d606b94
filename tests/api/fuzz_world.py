"""The organization the schemathesis run (test_schemathesis.py) works in: an object with a
field of every type, records, a contact, an endpoint with a delivery, keys and a logged
request; and how a positive case is completed with them.

The OpenAPI document describes every organization at once, so it cannot know that this one
has an object `companies` with a number field `revenue`, which record ids exist, or which
version a record is at. What it cannot know, `FuzzWorld.complete` supplies to positive cases
(schemathesis then still checks that the API accepts them): real names and ids in path
parameters half of the time, values valid for the object's fields, filter and sort keys
the object has, webhook URLs whose host and port parse, and `If-Match` naming the version
the record has. Negative cases are sent exactly as generated.

Choices are drawn from a generator seeded with the case, so a failing case replays."""

import dataclasses
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from records.models import Object, Record
from tests.conftest import ApiClient

OBJECT = "companies"
OBJECTS = [OBJECT, "contacts"]
FIELDS = [
    {"api_name": "code", "type": "text", "unique": True},
    {"api_name": "notes", "type": "long_text"},
    {"api_name": "revenue", "type": "number"},
    {"api_name": "employees", "type": "integer"},
    {"api_name": "public", "type": "boolean"},
    {"api_name": "founded", "type": "date"},
    {"api_name": "last_contact", "type": "datetime"},
    {"api_name": "billing_email", "type": "email"},
    {"api_name": "phone", "type": "phone"},
    {"api_name": "website", "type": "url"},
    {"api_name": "tier", "type": "select", "options": {"choices": ["gold", "silver"]}},
    {"api_name": "tags", "type": "multi_select", "options": {"choices": ["a", "b", "c"]}},
    {"api_name": "owner", "type": "relationship", "options": {"target": "contacts"}},
    {"api_name": "extra", "type": "json"},
]
CONTACT_FIELDS = {"email": "email", "first_name": "text", "last_name": "text", "phone": "phone"}
# Options a new field of each type needs (select: its choices; relationship: its target).
FIELD_OPTIONS = {
    "select": {"choices": ["x", "y"]},
    "multi_select": {"choices": ["x", "y"]},
    "relationship": {"target": "contacts"},
}
LIST_PAIRS = (("limit", "page_size"), ("offset", "page"))


def _text(rng: random.Random) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz ÄéΩ漢字🙂-_.,"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20))).strip() or "x"


def _value(rng: random.Random, field_type: str, contact_ids: list[str]) -> Any:
    """A valid value of the type, or (one time in eight) null, which clears the field."""
    if rng.random() < 0.125:
        return None
    start = datetime(1900, 1, 1, tzinfo=UTC)
    moment = start + timedelta(seconds=rng.randint(0, 200 * 365 * 86400))
    word = "".join(rng.choice("abcdefghij") for _ in range(rng.randint(1, 10)))
    return {
        "text": lambda: _text(rng),
        "long_text": lambda: _text(rng) * rng.randint(1, 5),
        "number": lambda: rng.choice([rng.randint(-(10**12), 10**12), rng.uniform(-1e9, 1e9)]),
        "integer": lambda: rng.randint(-(2**53) + 1, 2**53 - 1),
        "boolean": lambda: rng.random() < 0.5,
        "date": lambda: moment.date().isoformat(),
        "datetime": lambda: moment.isoformat(),
        "email": lambda: f"{word}@{word}.example",
        "phone": lambda: f"+1{rng.randint(2, 9)}{rng.randint(0, 10**9 - 1):09d}",
        "url": lambda: f"https://{word}.example/{word}",
        "select": lambda: rng.choice(["gold", "silver"]),
        "multi_select": lambda: rng.sample(["a", "b", "c"], rng.randint(0, 3)),
        "relationship": lambda: rng.choice(contact_ids) if contact_ids else None,
        "json": lambda: rng.choice([{"k": [1, "two", None]}, [True, 2.5], "text", 7]),
    }[field_type]()


@dataclasses.dataclass
class FuzzWorld:
    headers: dict[str, str]
    path_values: dict[str, list[str]]
    org_id: Any
    field_types: dict[str, dict[str, str]]  # by object, by field: the type

    def complete(self, case, *, addresses: bool = True) -> None:
        """Fills in what only this organization's data can tell (see the module's doc); with
        `addresses` False, path parameters stay as a stateful step's link filled them."""
        seed = (case.method, case.path, case.path_parameters, case.query, case.body)
        rng = random.Random(repr(seed))
        if addresses:
            self._path(case, rng)
        else:
            self._object_name(case, rng)
        self._query(case, rng)
        creates = case.method == "POST" and case.operation.path in (
            "/api/records/{object_name}",
            "/api/records/{object_name}/upsert",
        )
        if creates and not isinstance(case.body, dict):  # a record needs a name (or an email)
            case.body, case.media_type = {}, "application/json"
        if isinstance(case.body, dict):
            self._body(case, rng)
            # The API refuses NUL anywhere (docs/api.md) and the run is told not to generate
            # it (allow_x00=False), but a few strings nested in arrays still carry one.
            case.body = _without_nul(case.body)
        self._headers(case, rng)  # last: If-Match names the version of the record addressed

    def _path(self, case, rng: random.Random) -> None:
        if not case.path_parameters or rng.random() < 0.5:
            return
        case.path_parameters = {
            name: rng.choice(self.path_values[name]) if name in self.path_values else value
            for name, value in case.path_parameters.items()
        }
        if (
            "/field-values/" in case.operation.path
            and case.path_parameters["field_name"] == "extra"
        ):
            # A json field's values are not counted: a 400 that names the field's type.
            case.path_parameters["field_name"] = "tier"

    def _object_name(self, case, rng: random.Random) -> None:
        """An object that exists, half of the time, where a stateful step has none (a link
        from a created object fills in its name, which exists)."""
        name = (case.path_parameters or {}).get("object_name")
        if name is None or rng.random() < 0.5:
            return
        objects = Object.objects.filter(org_id=self.org_id).values_list("api_name", flat=True)
        if name not in objects:
            case.path_parameters = {**case.path_parameters, "object_name": rng.choice(OBJECTS)}

    def _object(self, case) -> str:
        return (case.path_parameters or {}).get("object_name", "")

    def _query(self, case, rng: random.Random) -> None:
        query = dict(case.query or {})
        if not query and not case.operation.path.endswith("/lookup"):
            return
        for first, second in LIST_PAIRS:  # not both of a pair (the parameters say so)
            if first in query and second in query:
                del query[rng.choice([first, second])]
        if "sort" in query:
            query["sort"] = self._sort(case, rng, query["sort"])
        if case.operation.path.endswith("/lookup"):  # contacts by email, others by name
            if self._object(case) == "contacts":
                query.pop("name", None)
                query["email"] = rng.choice(["jane@example.com", "nobody@example.com"])
            else:
                query.pop("email", None)
                query.setdefault("name", "Acme")
        case.query = query

    def _sort(self, case, rng: random.Random, sent: Any) -> Any:
        """A custom field's key names a field the object has."""
        if not isinstance(sent, str) or "fields__" not in sent:
            return sent
        fields = list(self.field_types.get(self._object(case), {}))
        if not fields:
            return "-id"
        return f"-fields__{rng.choice(fields)},name"

    def _headers(self, case, rng: random.Random) -> None:
        headers = dict(case.headers or {})
        if "Idempotency-Key" in headers:
            # A key is unique per request (the parameter says so): one used before for
            # another request is a 422 by design, and no generator can know which were.
            headers["Idempotency-Key"] = str(uuid.uuid4())
        if "If-Match" in headers:
            record_id = (case.path_parameters or {}).get("record_id")
            current = []
            if _is_uuid(record_id):
                versions = Record.objects.filter(id=record_id).values_list("version", flat=True)
                current = [f'"{version}"' for version in versions]
            headers["If-Match"] = rng.choice(["*", *current, *(f'{c}, W/"0"' for c in current)])
        case.headers = headers

    def _body(self, case, rng: random.Random) -> None:
        body = dict(case.body)
        object_name = self._object(case)
        label = f"{case.method.upper()} {case.operation.path}"
        if isinstance(body.get("fields"), dict):
            body["fields"] = self._fields(object_name, rng)
        self._name(body, object_name)
        if "match_on" in body:
            self._match_on(body, object_name)
        if label == "POST /api/records/{object_name}" or label.endswith("/upsert"):
            self._identity(body, object_name, rng)
        if label.endswith("/batch") and isinstance(body.get("operations"), list):
            addressed: set[str] = set()
            body["operations"] = [
                self._operation(op, object_name, rng, addressed) for op in body["operations"]
            ]
        if label.endswith("/search"):
            self._search(body, case, rng)
        if label.endswith("/merge"):
            self._merge(case, body, object_name, rng)
        if "/webhooks" in label:
            self._endpoint(body, rng)
        if label.startswith(("POST /api/objects/{object_name}/fields", "PATCH /api/objects/")):
            self._field_definition(body)
        if label == "POST /api/objects" and isinstance(body.get("fields"), list):
            for index, field in enumerate(body["fields"]):
                if isinstance(field, dict):
                    self._field_definition(field)
                    if index:  # api_names unique in the object (one list can't say "by key")
                        field["api_name"] = f"{field['api_name'][:58]}_{index}"
        case.body = body

    def existing(self, object_name: str) -> list[str]:
        """The ids of the object's records now (the run deletes and merges some)."""
        records = Record.objects.filter(org_id=self.org_id, object__api_name=object_name)
        return sorted(str(pk) for pk in records.values_list("id", flat=True))

    def _merge(self, case, body: dict[str, Any], object_name: str, rng: random.Random) -> None:
        """Two records of the object that exist, or (when fewer are left) an unknown id: 404."""
        existing = self.existing(object_name)
        if len(existing) < 2:
            case.path_parameters = {**case.path_parameters, "record_id": str(uuid.UUID(int=1))}
            return
        target, source = rng.sample(existing, 2)
        case.path_parameters = {**case.path_parameters, "record_id": target}
        body["from"] = source

    def _fields(self, object_name: str, rng: random.Random) -> dict[str, Any]:
        types = self.field_types.get(object_name, {})
        chosen = rng.sample(sorted(types), rng.randint(0, min(4, len(types))))
        contacts = self.existing("contacts")  # a link goes to a contact that still exists
        values = {name: _value(rng, types[name], contacts) for name in chosen}
        if object_name == "contacts":
            values["email"] = _unique_email()
        return values

    def _name(self, body: dict[str, Any], object_name: str) -> None:
        if object_name == "contacts":
            body.pop("name", None)

    def _match_on(self, body: dict[str, Any], object_name: str, code: str = "C-1") -> None:
        """Only a unique field is matched on, and its value must be sent."""
        if object_name == OBJECT:
            body["match_on"] = "code"
            body["fields"] = {**(body.get("fields") or {}), "code": code}
        else:
            body.pop("match_on")

    def _identity(self, body: dict[str, Any], object_name: str, rng: random.Random) -> None:
        """A record of an object other than contacts has a name; a contact has an email, and a
        name derived from its fields."""
        if object_name != "contacts" and not str(body.get("name", "")).strip():
            body["name"] = _text(rng)
        if object_name == "contacts":
            body.pop("name", None)
            body["fields"] = {**(body.get("fields") or {}), "email": _unique_email()}

    def _operation(
        self, operation: Any, object_name: str, rng: random.Random, addressed: set[str]
    ) -> Any:
        if not isinstance(operation, dict):
            return operation
        operation = dict(operation)
        if "id" in operation:
            # One operation per record in a batch, on records that exist.
            available = [i for i in self.existing(object_name) if i not in addressed]
            if not available:  # nothing left to address: create one instead
                return self._operation({"op": "create"}, object_name, rng, addressed)
            operation["id"] = rng.choice(available)
            addressed.add(operation["id"])
        if isinstance(operation.get("fields"), dict):
            operation["fields"] = self._fields(object_name, rng)
        if "match_on" in operation:
            # A new code: matching a record another operation of the batch changes is refused.
            self._match_on(operation, object_name, code=f"C-{uuid.uuid4().hex}")
        self._name(operation, object_name)
        if operation.get("op") in ("create", "upsert"):
            self._identity(operation, object_name, rng)
        return operation

    def _search(self, body: dict[str, Any], case, rng: random.Random) -> None:
        for first, second in LIST_PAIRS:
            if first in body and second in body:
                del body[rng.choice([first, second])]
        if "sort" in body:
            body["sort"] = self._sort(case, rng, body["sort"])
        if "filters" in body:
            body["filters"] = self._conditions(case, rng)
        if isinstance(body.get("any"), list):
            body["any"] = [self._conditions(case, rng, at_least=1) for _ in body["any"]]

    def _conditions(self, case, rng: random.Random, at_least: int = 0) -> dict[str, Any]:
        """Conditions on keys the object has, with an operator their type allows."""
        candidates = {
            "name": {"operator": "icontains", "value": ["a"]},
            "created_at": {"operator": "gte", "value": ["2000-01-01T00:00:00Z"]},
            "updated_at": {"operator": "lt", "value": ["2999-01-01T00:00:00Z"]},
        }
        if self._object(case) == OBJECT:
            candidates["fields__revenue"] = {"operator": "gt", "value": [10]}
            candidates["fields__tier"] = {"operator": "in", "value": ["gold", "silver"]}
        chosen = rng.sample(sorted(candidates), rng.randint(at_least, len(candidates)))
        return {key: candidates[key] for key in chosen}

    def _endpoint(self, body: dict[str, Any], rng: random.Random) -> None:
        if "url" in body:
            # Every send is redirected to a closed local port anyway (test_schemathesis).
            body["url"] = rng.choice(
                ["https://hooks.example/in", "http://127.0.0.1:9/x?y=1", "https://a.example:8443"]
            )
        if isinstance(body.get("objects"), list):
            # Objects that exist now: a stateful run may have deleted the one it made.
            existing = sorted(
                Object.objects.filter(org_id=self.org_id).values_list("api_name", flat=True)
            )
            body["objects"] = rng.sample(existing, rng.randint(0, min(2, len(existing))))

    def _field_definition(self, field: dict[str, Any]) -> None:
        """A field's options are those its type takes."""
        field_type = field.get("type")
        if field_type is not None or "options" in field:
            field["options"] = dict(FIELD_OPTIONS.get(field_type, {}))


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _unique_email() -> str:
    # Emails are unique per organization: a taken one is a conflict, by design.
    return f"{uuid.uuid4().hex}@example.com"


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def build_world(org, make_key) -> FuzzWorld:
    _, raw = make_key(org, "admin", name="fuzzing")
    api = ApiClient(raw)

    def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = api.post(path, body).assert_envelope()
        assert response.status == 201, response.body
        return response.data

    created("/api/objects", {"api_name": OBJECT, "fields": FIELDS})
    contact = created("/api/records/contacts", {"fields": {"email": "jane@example.com"}})
    companies = [
        created(f"/api/records/{OBJECT}", {"name": name, "fields": fields})
        for name, fields in [
            ("Acme", {"revenue": 1200, "tier": "gold", "owner": contact["id"]}),
            ("Globex", {"employees": 12, "tags": ["a", "b"], "public": True}),
            *((f"Company {n}", {"revenue": n}) for n in range(6)),
        ]
    ]
    read_key = created("/api/keys", {"scope": "read", "name": "reader"})
    endpoint = created(
        "/api/webhooks", {"url": "https://hooks.example/receive", "events": ["record.*"]}
    )
    delivery = api.post(f"/api/webhooks/{endpoint['id']}/test").assert_envelope().data
    guid = api.get("/api/me").assert_envelope().body["guid"]
    record_ids = [company["id"] for company in companies]
    return FuzzWorld(
        headers={"Authorization": f"Bearer {raw}"},
        org_id=org.id,
        path_values={
            "object_name": [OBJECT, "contacts"],
            "field_name": [field["api_name"] for field in FIELDS] + ["email"],
            "record_id": [*record_ids, contact["id"]],
            "key_id": [read_key["id"]],
            "endpoint_id": [endpoint["id"]],
            "delivery_id": [delivery["id"]],
            "guid": [guid],
        },
        field_types={
            # Not the unique `code`: upserts match on it (see _match_on).
            OBJECT: {f["api_name"]: f["type"] for f in FIELDS if not f.get("unique")},
            "contacts": CONTACT_FIELDS,
        },
    )
