"""Plans of filtered lists in id order on PostgreSQL, with many objects on the platform: their
pages walk the object's own index, whatever the other organizations' objects make the planner
guess."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from records.models import Object
from tests.records.test_value_index import DEALS_OBJECT, load_deals

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")

OTHER_OBJECTS = 2_000


def add_other_objects(org, count: int = OTHER_OBJECTS, records_each: int = 5) -> None:
    """`count` objects of another organization with a few records each, as a platform with
    many tenants has: to the planner, `object_id` has thousands of values."""
    Object.objects.bulk_create(
        Object(org=org, api_name=f"things_{i}", singular_name="Thing", plural_name="Things")
        for i in range(count)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO records_record
                (id, org_id, object_id, name, "values", created_at, updated_at, version)
            SELECT gen_random_uuid(), o.org_id, o.id, 'Thing ' || i, '{}', now(), now(), 1
            FROM records_object o, generate_series(1, %s) AS i
            WHERE o.org_id = %s
            """,
            [records_each, org.pk],
        )
        cursor.execute("VACUUM ANALYZE records_record")


def page_plans(api, path: str) -> list[str]:
    """The plans of the list's page queries, each under the planner settings the product
    set before it (`SET LOCAL`, in the transaction the page was read in)."""
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path)
    assert response.status == 200, response.body
    plans, settings = [], []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.startswith("SET LOCAL"):
            settings.append(sql)
        elif sql.startswith("SELECT") and "LIMIT" in sql and 'FROM "records_record"' in sql:
            with transaction.atomic(), connection.cursor() as cursor:
                for setting in settings:
                    cursor.execute(setting)
                cursor.execute("EXPLAIN " + sql)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
            settings = []
    return plans


@pytest.mark.django_db(transaction=True)
def test_a_filtered_page_in_id_order_walks_the_objects_index(org, other_org, make_key):
    from tests.conftest import ApiClient

    api = ApiClient(make_key(org, "admin")[1])
    assert api.post("/api/objects", DEALS_OBJECT).status == 201
    load_deals(org, Object.objects.get(org=org, api_name="deals"))
    add_other_objects(other_org)

    for term in ("99", "12", "07"):
        (plan,) = page_plans(api, f"/api/records/deals?name__icontains={term}")
        assert "Sort" not in plan, plan
        walked = plan.splitlines()[1]  # right under the Limit: the page is the walk's first rows
        assert re.search(r"Index Scan Backward using record_(live|list) ", walked), plan
