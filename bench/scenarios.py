"""The read scenarios a-f: the request each one sends. The product and the ceiling answer the
same paths; `{id}` is a record id drawn at random per request."""

from dataclasses import dataclass

from bench.data import AMOUNT_RANGE


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    path: str


LOW, HIGH = AMOUNT_RANGE
SCENARIOS = (
    Scenario("a", "GET one record", "/api/records/deals/{id}"),
    Scenario("b", "list 100 + exact total", "/api/records/deals?limit=100"),
    Scenario(
        "c",
        "amount range, by close_date",
        f"/api/records/deals?fields__amount__gte={LOW}&fields__amount__lte={HIGH}"
        "&sort=-fields__close_date",
    ),
    Scenario("d", "name contains 99", "/api/records/deals?name__icontains=99"),
    Scenario("e", "name contains 999", "/api/records/deals?name__icontains=999"),
    Scenario("f", "field values of stage", "/api/records/deals/field-values/stage"),
)
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
