"""Every PostgreSQL connection of the product plans with the session settings of
config/postgres_session.py."""

import pytest
from django.db import connection

from config.postgres_session import session_options


def test_the_options_name_each_setting_from_the_environment():
    options = session_options({"DATABASE_RANDOM_PAGE_COST": "2", "DATABASE_PARALLEL_WORKERS": "1"})
    assert options == "-c max_parallel_workers_per_gather=1 -c random_page_cost=2"
    assert session_options({}) == "-c max_parallel_workers_per_gather=0 -c random_page_cost=1.1"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's settings")
@pytest.mark.django_db
def test_connections_have_the_settings():
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        random_page_cost = cursor.fetchone()[0]
        cursor.execute("SHOW max_parallel_workers_per_gather")
        workers = cursor.fetchone()[0]
    assert (random_page_cost, workers) == ("1.1", "0")
