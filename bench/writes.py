"""Step 3: the rate of writes three ways into the same table: batch requests (step 1's deals
load), single POSTs over HTTP, and PostgreSQL's COPY of the same rows, as stored, into the
records table of a scratch object with the same fields (so the same indexes and triggers
fire). Beside them, the batch's own statements with nothing around them: COPY of the records
and of their events, a commit per batch, which is as fast as the batch API can ever be."""

import io
import time
from typing import Any

import orjson
import psycopg

from bench import data
from bench.client import Api
from records.ids import uuid7

SCRATCH = "deals_copy"
RECORDS_TABLE = "records_record"
EVENTS_TABLE = "webhooks_event"
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


def singles_within(
    api: Api, company_ids: list[str], count: int, budget: float
) -> tuple[int, float]:
    """Single POSTs, 25 at a time, until `count` are written or `budget` seconds are spent."""
    written, total = 0, 0.0
    while written < count and total < budget:
        rows, seconds = singles(api, company_ids, min(25, count - written), start=written)
        written += rows
        total += seconds
    return written, total


def rate(label: str, rows: int, seconds: float) -> dict[str, Any]:
    """A write's figures as the results file keeps them."""
    return {
        "label": label,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds, 1) if seconds else 0.0,
    }


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
        listed, lines = _records(conn, org_slug, count)
        written = 0
        started = time.perf_counter()
        while written < len(lines) and (not written or time.perf_counter() - started < seconds):
            _copy_in(conn, RECORDS_TABLE, listed, lines[written : written + COPY_CHUNK])
            written += min(COPY_CHUNK, len(lines) - written)
        conn.commit()
        return written, time.perf_counter() - started


def statements(
    database_url: str, org_slug: str, count: int, *, batch_size: int, seconds: float
) -> tuple[int, float]:
    """What the batch API's statements cost with no Python around them: per `batch_size`
    rows, a COPY of the records (as `copy` writes them) and a COPY of their `record.created`
    events (the load's own, with new ids), then a commit, as each batch request does.
    (rows, seconds); no new batch starts after `seconds`."""
    with psycopg.connect(database_url) as conn:
        listed, lines = _records(conn, org_slug, count)
        event_columns, events = _events(conn, org_slug, len(lines))
        lines = lines[: len(events)]  # each record with its event, as the batch wrote them
        written = 0
        started = time.perf_counter()
        while written < len(lines) and (not written or time.perf_counter() - started < seconds):
            end = written + batch_size
            _copy_in(conn, RECORDS_TABLE, listed, lines[written:end])
            _copy_in(conn, EVENTS_TABLE, event_columns, events[written:end])
            conn.commit()
            written += len(lines[written:end])
        return written, time.perf_counter() - started


def _copy_in(conn: psycopg.Connection, table: str, listed: str, lines: list[str]) -> None:
    with conn.cursor().copy(f"COPY {table} ({listed}) FROM STDIN") as target:
        target.write("".join(lines).encode())


def _stored_columns(conn: psycopg.Connection, table: str) -> str:
    """The stored columns, listed: a generated one is the database's to fill, COPY refuses
    it."""
    names = conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass "
        "AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
        (table,),
    ).fetchall()
    return ", ".join(f'"{name}"' for (name,) in names)


def _exported(conn: psycopg.Connection, query: str, params: tuple) -> str:
    exported = io.BytesIO()
    with conn.cursor().copy(f"COPY ({query}) TO STDOUT", params) as source:
        for chunk in source:
            exported.write(chunk)
    conn.rollback()
    return exported.getvalue().decode()


def _records(conn: psycopg.Connection, org_slug: str, count: int) -> tuple[str, list[str]]:
    """(the records table's columns listed, `count` deals' rows as the scratch object's)."""
    deals_id, scratch_id, mapping = _ids(conn, org_slug)
    listed = _stored_columns(conn, RECORDS_TABLE)
    text = _exported(
        conn,
        f"SELECT {listed} FROM {RECORDS_TABLE} WHERE object_id = %s ORDER BY id LIMIT %s",
        (deals_id, count),
    )
    return listed, _rewrite(text, listed, deals_id, scratch_id, mapping)


def _events(conn: psycopg.Connection, org_slug: str, count: int) -> tuple[str, list[str]]:
    """(the events table's columns listed, `count` of the deals' `record.created` events
    with new ids)."""
    listed = _stored_columns(conn, EVENTS_TABLE)
    text = _exported(
        conn,
        f"SELECT {listed} FROM {EVENTS_TABLE} WHERE org_id = "
        "(SELECT id FROM accounts_organization WHERE slug = %s) "
        "AND object_name = 'deals' AND type = 'record.created' ORDER BY id LIMIT %s",
        (org_slug, count),
    )
    return listed, _new_ids(text, listed)


def _rewrite(
    text: str, listed: str, deals_id: str, scratch_id: str, mapping: dict[str, str]
) -> list[str]:
    swaps = [(deals_id, scratch_id), (deals_id.replace("-", ""), scratch_id.replace("-", ""))]
    swaps += list(mapping.items())
    lines = []
    for line in _new_ids(text, listed):
        for old, new in swaps:
            line = line.replace(old, new)
        lines.append(line)
    return lines


def _new_ids(text: str, listed: str) -> list[str]:
    """COPY's text lines with a new time-ordered id in the `id` column."""
    id_column = listed.split(", ").index('"id"')
    lines = []
    # COPY ends each row with a newline and escapes any other, but not the other characters
    # str.splitlines() breaks lines at (U+2028, \x1c, …).
    for row in text.split("\n")[:-1]:
        cells = row.split("\t")
        cells[id_column] = str(uuid7())
        lines.append("\t".join(cells) + "\n")
    return lines
