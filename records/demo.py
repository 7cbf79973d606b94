"""Demo data for `make run`: two objects and a few records, so that the first curl and the
first admin page show something real."""

from accounts.models import Organization
from api.tenancy import for_org
from records import services
from records.models import Object
from records.object_schema import ObjectSchema

COMPANIES = [
    (
        "Acme Corporation",
        {
            "domain": "acme.example",
            "industry": "manufacturing",
            "employees": 420,
            "website": "https://acme.example",
            "founded": "1948-05-01",
        },
    ),
    (
        "Globex",
        {
            "domain": "globex.example",
            "industry": "energy",
            "employees": 1200,
            "website": "https://globex.example",
            "founded": "1989-11-20",
        },
    ),
    (
        "Initech",
        {
            "domain": "initech.example",
            "industry": "software",
            "employees": 85,
            "founded": "1996-02-14",
        },
    ),
    ("Umbrella", {"domain": "umbrella.example", "industry": "health", "employees": 5300}),
    (
        "Hooli",
        {
            "domain": "hooli.example",
            "industry": "software",
            "employees": 9800,
            "website": "https://hooli.example",
        },
    ),
]
DEALS = [
    (
        "Acme renewal",
        "Acme Corporation",
        {"amount": 120000, "stage": "won", "close_date": "2026-09-30"},
    ),
    (
        "Globex pilot",
        "Globex",
        {"amount": 45000.5, "stage": "proposal", "close_date": "2026-12-15"},
    ),
    ("Initech expansion", "Initech", {"amount": 18000, "stage": "qualified"}),
    (
        "Hooli platform",
        "Hooli",
        {"amount": 750000, "stage": "negotiation", "close_date": "2027-01-31"},
    ),
]


def seed_demo_records(*, org: Organization) -> bool:
    """Creates the demo objects and records unless the organization has them already."""
    if for_org(Object, org_id=org.id).filter(api_name__in=["companies", "deals"]).exists():
        return False
    companies = services.create_object(
        org=org,
        api_name="companies",
        singular_name="Company",
        plural_name="Companies",
        fields=[
            {"api_name": "domain", "type": "text", "unique": True},
            {
                "api_name": "industry",
                "type": "select",
                "options": {"choices": ["manufacturing", "energy", "software", "health"]},
            },
            {"api_name": "employees", "type": "integer"},
            {"api_name": "website", "type": "url"},
            {"api_name": "founded", "type": "date"},
        ],
    )
    deals = services.create_object(
        org=org,
        api_name="deals",
        singular_name="Deal",
        plural_name="Deals",
        fields=[
            {"api_name": "amount", "type": "number"},
            {
                "api_name": "stage",
                "type": "select",
                "options": {"choices": ["qualified", "proposal", "negotiation", "won", "lost"]},
            },
            {"api_name": "company", "type": "relationship", "options": {"target": "companies"}},
            {"api_name": "close_date", "type": "date"},
        ],
    )
    company_schema = ObjectSchema.of(companies)
    ids = {
        name: services.create_record(schema=company_schema, name=name, fields=values).pk
        for name, values in COMPANIES
    }
    deal_schema = ObjectSchema.of(deals)
    for name, company, values in DEALS:
        services.create_record(
            schema=deal_schema, name=name, fields={**values, "company": str(ids[company])}
        )
    return True
