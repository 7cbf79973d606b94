"""Step 5's many tenants, made in process through the product's own services (accounts and
records.services), so that whatever the storage design builds per object or per field is
built. Run by the orchestrator as several processes, each over its own range of tenants:

    python -m bench.tenants --first 0 --count 70 [--objects 10 --fields 20 --records 20]

Prints one JSON line per finished tenant, so a run stopped at its deadline still says how far
it got."""

import argparse
import json
import os
import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

# Twenty fields of mixed types: the same mix on every object.
FIELD_TYPES = [
    "text",
    "text",
    "text",
    "number",
    "number",
    "integer",
    "integer",
    "boolean",
    "date",
    "date",
    "datetime",
    "email",
    "phone",
    "url",
    "select",
    "select",
    "multi_select",
    "long_text",
    "relationship",
    "json",
]
CHOICES = ["red", "green", "blue", "amber", "violet"]


def field_definitions(count: int, *, target: str) -> list[dict[str, Any]]:
    definitions = []
    for index in range(count):
        kind = FIELD_TYPES[index % len(FIELD_TYPES)]
        definition: dict[str, Any] = {"api_name": f"f{index:02d}_{kind}", "type": kind}
        if kind in ("select", "multi_select"):
            definition["options"] = {"choices": CHOICES}
        if kind == "relationship":
            definition["options"] = {"target": target}
        definitions.append(definition)
    return definitions


def value(kind: str, rng: random.Random, links: list[str]) -> Any:
    match kind:
        case "text":
            return f"value {rng.randrange(10_000)}"
        case "long_text":
            return " ".join(f"word{rng.randrange(500)}" for _ in range(20))
        case "number":
            return round(rng.uniform(0, 10_000), 2)
        case "integer":
            return rng.randrange(1000)
        case "boolean":
            return rng.random() < 0.5
        case "date":
            return (date(2024, 1, 1) + timedelta(days=rng.randrange(1000))).isoformat()
        case "datetime":
            moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**8))
            return moment.isoformat().replace("+00:00", "Z")
        case "email":
            return f"person{rng.randrange(10**6)}@example.org"
        case "phone":
            return f"+1 555 {rng.randrange(10**4):04d}"
        case "url":
            return f"https://example.org/{rng.randrange(10**6)}"
        case "select":
            return rng.choice(CHOICES)
        case "multi_select":
            return rng.sample(CHOICES, 2)
        case "relationship":
            return rng.choice(links) if links else None
        case "json":
            return {"n": rng.randrange(100)}
    raise ValueError(kind)


def make_tenant(
    index: int, *, objects: int, fields: int, records: int, keyed: bool
) -> dict[str, Any]:
    from accounts.services import create_api_key, create_organization
    from records import services
    from records.input_serializers import BatchSerializer
    from records.object_schema import ObjectSchema

    rng = random.Random(index)
    org = create_organization(name=f"Tenant {index:04d}", slug=f"tenant-{index:04d}")
    first = "o00"
    links: list[str] = []
    for number in range(objects):
        obj = services.create_object(
            org=org, api_name=f"o{number:02d}", fields=field_definitions(fields, target=first)
        )
        schema = ObjectSchema.of(obj)
        rows = [
            {
                "op": "create",
                "name": f"Record {number:02d}-{row:03d}",
                "fields": {
                    field.api_name: value(field.type, rng, links)
                    for field in schema.fields
                    if rng.random() < 0.8  # some fields left empty
                },
            }
            for row in range(records)
        ]
        parsed = BatchSerializer(data={"operations": rows})
        parsed.is_valid(raise_exception=True)
        atomic, operations = parsed.validated_data["atomic"], parsed.validated_data["operations"]
        outcomes = services.run_batch(schema=schema, operations=operations, atomic=atomic)
        if number == 0:
            links = [str(outcome.record.pk) for outcome in outcomes]
    answer: dict[str, Any] = {"tenant": index, "org": org.slug}
    if keyed:
        answer["key"] = create_api_key(org=org, scope="write", name="bench")[1]
        answer["object"] = "o01"
    return answer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--objects", type=int, default=10)
    parser.add_argument("--fields", type=int, default=20)
    parser.add_argument("--records", type=int, default=20)
    # Its first tenants get a write key, for the concurrent writers check: a few in every
    # process, so that enough are made even when the deadline stops the processes early.
    parser.add_argument("--keys", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    for index in range(args.first, args.first + args.count):
        started = time.perf_counter()
        done = make_tenant(
            index,
            objects=args.objects,
            fields=args.fields,
            records=args.records,
            keyed=index - args.first < args.keys,
        )
        done["seconds"] = round(time.perf_counter() - started, 3)
        print("TENANT " + json.dumps(done), flush=True)


if __name__ == "__main__":
    main()
