"""Step 1: the base data through the product's batch API over HTTP: the objects, then the
companies and the deals in batches, timed. The deals' rate is also the batch figure of the
write comparison (step 3)."""

import time
from dataclasses import dataclass, field
from itertools import islice

import orjson

from bench import data
from bench.client import Api
from bench.config import Deadline


@dataclass
class Loaded:
    companies: int = 0
    deals: int = 0
    company_seconds: float = 0.0
    deal_seconds: float = 0.0
    deal_batches: int = 0
    deal_ids: list[str] = field(default_factory=list)  # a sample, for random reads
    company_ids: list[str] = field(default_factory=list)
    cut_short: bool = False  # the deadline stopped the load before the planned count

    @property
    def rows_per_second(self) -> float:
        seconds = self.company_seconds + self.deal_seconds
        return (self.companies + self.deals) / seconds if seconds else 0.0

    @property
    def deal_rows_per_second(self) -> float:
        return self.deals / self.deal_seconds if self.deal_seconds else 0.0


def create_objects(api: Api) -> None:
    api.ok("POST", "/api/objects", data.COMPANIES, expect=201)
    api.ok("POST", "/api/objects", data.deals_object(), expect=201)


def _body(rows: list[dict]) -> bytes:
    return orjson.dumps({"operations": [{"op": "create", **row} for row in rows]})


def _batch(api: Api, object_name: str, body: bytes, size: int) -> list[str]:
    results = api.ok("POST", f"/api/records/{object_name}/batch", body)
    failed = [result for result in results if result.get("status") != 201]
    if failed or len(results) != size:
        raise RuntimeError(f"batch of {object_name}: {len(failed)} failed of {len(results)}")
    return [result["data"]["id"] for result in results]


def load(
    api: Api, *, companies: int, deals: int, batch_size: int, deadline: Deadline, keep: float
) -> Loaded:
    """Loads sequentially, one batch in flight: the rate of one client, as COPY's is of one
    connection. Stops early (and says so) when only `keep` seconds of the run would be left."""
    loaded = Loaded()
    rows = data.companies(companies)
    started = time.perf_counter()
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        loaded.company_ids += _batch(api, "companies", _body(chunk), len(chunk))
    loaded.company_seconds = time.perf_counter() - started
    loaded.companies = len(loaded.company_ids)

    # Made and encoded before the clock starts: the timed loop is the server's work (and the
    # client's reading of the answers), as COPY's is the database's.
    generated = data.deals(loaded.company_ids, deals)
    bodies = []
    while chunk := list(islice(generated, batch_size)):
        bodies.append((len(chunk), _body(chunk)))
    started = time.perf_counter()
    for size, body in bodies:
        if deadline.remaining() < keep:
            loaded.cut_short = True
            break
        ids = _batch(api, "deals", body, size)
        loaded.deals += len(ids)
        loaded.deal_batches += 1
        loaded.deal_ids += ids[:: max(1, batch_size // 10)]  # ten per batch, spread over time
    loaded.deal_seconds = time.perf_counter() - started
    return loaded
