"""Step 3: the rate of writes three ways into the same table: batch requests (step 1's deals
load), single POSTs over HTTP, and PostgreSQL's COPY of the same rows, as stored, into the
records table of a scratch object with the same fields (so the same indexes and triggers
fire)."""

import io
import time

import orjson
import psycopg

from bench import data
from bench.client import Api
from records.ids import uuid7

SCRATCH = "deals_copy"
RECORDS_TABLE = "records_record"
COPY_CHUNK = 5000  # rows per COPY statement


def create_scratch(api: Api) -> None:
    api.ok("POST", "/api/objects", data.deals_object(SCRATCH), expect=201)


def singles(api: Api, company_ids: list[str], count: int, *, start: int = 0) -> tuple[int, float]:
    """`count` deals POSTed one by one, sequentially: (rows written, seconds)."""
    rows = [
        orjson.dumps(row)
        for row in data.deals(company_ids, count, seed=3 + start, start=900_000 + start)
    ]
    started = time.perf_counter()
    for row in rows:
        api.ok("POST", f"/api/records/{SCRATCH}", row, expect=201)
    return len(rows), time.perf_counter() - started


def _ids(conn: psycopg.Connection, org_slug: str) -> tuple[str, str, dict[str, str]]:
    """(deals' object id, the scratch object's, deal field key -> scratch field key)."""
    rows = conn.execute(
        "SELECT o.api_name, o.id, f.api_name, f.id, f.key FROM records_object o "
        "JOIN accounts_organization g ON g.id = o.org_id "
        "LEFT JOIN records_field f ON f.object_id = o.id "
        "WHERE g.slug = %s AND o.api_name IN ('deals', %s)",
        (org_slug, SCRATCH),
    ).fetchall()
    objects = {name: str(object_id) for name, object_id, *_ in rows}
    fields: dict[str, dict[str, tuple[str, str]]] = {"deals": {}, SCRATCH: {}}
    for object_name, _, field_name, field_id, key in rows:
        if field_name is not None:
            fields[object_name][field_name] = (field_id.hex, key)
    mapping = {}
    for field_name, (field_id, key) in fields["deals"].items():
        scratch_id, scratch_key = fields[SCRATCH][field_name]
        mapping[key] = scratch_key
        mapping[field_id] = scratch_id
    return objects["deals"], objects[SCRATCH], mapping


def copy(database_url: str, org_slug: str, count: int, *, seconds: float) -> tuple[int, float]:
    """The deals' stored rows, with new time-ordered ids and the scratch object's id and field
    keys, written with COPY in one transaction: (rows, seconds of the COPY and its commit).
    Rows go in chunks, and no new chunk starts after `seconds`: the rate needs no full count,
    and the run's deadline comes first."""
    with psycopg.connect(database_url) as conn:
        deals_id, scratch_id, mapping = _ids(conn, org_slug)
        # The stored columns: a generated one is the database's to fill, COPY refuses it.
        columns = [
            name
            for (name,) in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
                (RECORDS_TABLE,),
            )
        ]
        listed = ", ".join(f'"{name}"' for name in columns)
        exported = io.BytesIO()
        with conn.cursor().copy(
            f"COPY (SELECT {listed} FROM {RECORDS_TABLE} WHERE object_id = %s ORDER BY id "
            "LIMIT %s) TO STDOUT",
            (deals_id, count),
        ) as source:
            for chunk in source:
                exported.write(chunk)
        conn.rollback()
        lines = _rewrite(exported.getvalue().decode(), columns, deals_id, scratch_id, mapping)
        written = 0
        started = time.perf_counter()
        while written < len(lines) and (not written or time.perf_counter() - started < seconds):
            payload = "".join(lines[written : written + COPY_CHUNK]).encode()
            with conn.cursor().copy(f"COPY {RECORDS_TABLE} ({listed}) FROM STDIN") as target:
                target.write(payload)
            written += min(COPY_CHUNK, len(lines) - written)
        conn.commit()
        return written, time.perf_counter() - started


def _rewrite(
    text: str, columns: list[str], deals_id: str, scratch_id: str, mapping: dict[str, str]
) -> list[str]:
    id_column = columns.index("id")
    swaps = [(deals_id, scratch_id), (deals_id.replace("-", ""), scratch_id.replace("-", ""))]
    swaps += list(mapping.items())
    lines = []
    for line in text.splitlines(keepends=True):
        cells = line.split("\t")
        cells[id_column] = str(uuid7())
        line = "\t".join(cells)
        for old, new in swaps:
            line = line.replace(old, new)
        lines.append(line)
    return lines
