"""The base data set: companies and deals with realistic distributions, deterministic for a
given seed so that every run (and the product and COPY) writes the same rows."""

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

INDUSTRIES = ["software", "manufacturing", "health", "energy", "finance", "retail", "media"]
STAGES = ["qualified", "proposal", "negotiation", "won", "lost"]
STAGE_WEIGHTS = [30, 25, 15, 20, 10]
TAGS = ["enterprise", "smb", "inbound", "outbound", "partner", "upsell", "renewal", "urgent"]
SOURCES = ["website", "referral", "event", "cold call", "partner", "advertising"]
FIRST_CLOSE = date(2024, 1, 1)
FIRST_FOUNDED = date(1950, 1, 1)
CLOSE_DAYS = 3 * 365  # close dates spread over three years
LAST_ACTIVITY = datetime(2026, 12, 31, tzinfo=UTC)

COMPANIES = {
    "api_name": "companies",
    "singular_name": "Company",
    "plural_name": "Companies",
    "fields": [
        {"api_name": "domain", "type": "text", "unique": True},
        {"api_name": "industry", "type": "select", "options": {"choices": INDUSTRIES}},
        {"api_name": "employees", "type": "integer"},
        {"api_name": "founded", "type": "date"},
    ],
}


def deals_object(api_name: str = "deals") -> dict[str, Any]:
    """The deals object: every field type the scenarios touch."""
    return {
        "api_name": api_name,
        "singular_name": "Deal",
        "plural_name": "Deals",
        "fields": [
            {"api_name": "amount", "type": "number"},
            {"api_name": "seats", "type": "integer"},
            {"api_name": "close_date", "type": "date"},
            {"api_name": "last_activity_at", "type": "datetime"},
            {"api_name": "stage", "type": "select", "options": {"choices": STAGES}},
            {"api_name": "tags", "type": "multi_select", "options": {"choices": TAGS}},
            {"api_name": "source", "type": "text"},
            {"api_name": "contact_email", "type": "email"},
            {"api_name": "is_renewal", "type": "boolean"},
            {"api_name": "company", "type": "relationship", "options": {"target": "companies"}},
        ],
    }


def companies(count: int, *, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        rows.append(
            {
                "name": f"Company {index:05d}",
                "fields": {
                    "domain": f"company-{index:05d}.example.com",
                    "industry": rng.choice(INDUSTRIES),
                    "employees": max(1, int(rng.lognormvariate(4, 1.5))),
                    "founded": (FIRST_FOUNDED + timedelta(days=rng.randrange(27_000))).isoformat(),
                },
            }
        )
    return rows


def deals(company_ids: list[str], count: int, *, seed: int = 2, start: int = 0) -> Iterator[dict]:
    """`count` deals named "Deal 000000" on: amounts uniform over 0-1,000,000, close dates
    uniform over three years, a few fields left empty as real data has them."""
    rng = random.Random(seed)
    for index in range(start, start + count):
        company = rng.choice(company_ids)
        fields: dict[str, Any] = {
            "amount": round(rng.uniform(0, 1_000_000), 2),
            "close_date": (FIRST_CLOSE + timedelta(days=rng.randrange(CLOSE_DAYS))).isoformat(),
            "stage": rng.choices(STAGES, STAGE_WEIGHTS)[0],
            "is_renewal": rng.random() < 0.3,
            "company": company,
        }
        if rng.random() < 0.9:
            fields["seats"] = max(1, int(rng.lognormvariate(2.5, 1.2)))
        if rng.random() < 0.8:
            moment = LAST_ACTIVITY - timedelta(seconds=rng.randrange(365 * 86400))
            fields["last_activity_at"] = moment.isoformat().replace("+00:00", "Z")
        tags = rng.sample(TAGS, rng.choice([0, 1, 1, 2, 2, 3]))
        if tags:
            fields["tags"] = tags
        if rng.random() < 0.85:
            fields["source"] = rng.choice(SOURCES)
        if rng.random() < 0.7:
            fields["contact_email"] = f"buyer{index}@example.com"
        yield {"name": f"Deal {index:06d}", "fields": fields}


# The amount range of scenario c: 27% of a uniform 0-1,000,000.
AMOUNT_RANGE = (200_000, 470_000)
