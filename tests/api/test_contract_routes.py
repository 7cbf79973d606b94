"""The routes of the contract, frozen: every (method, path) of the OpenAPI document with its
operation id and response codes, as tests/api/contract_routes.json holds them.

A change of shape (views moved to viewsets, URL lists to routers) must leave this identical.
An operation, a code or an id added or removed on purpose is written to the fixture in the
same change: `UPDATE_CONTRACT_ROUTES=1 pytest tests/api/test_contract_routes.py`, and the
fixture's diff shows a reviewer what integrators will see.
"""

import json
import os
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).with_name("contract_routes.json")
METHODS = ("get", "put", "patch", "post", "delete")


def contract_routes() -> dict[str, dict]:
    response = Client().get("/api/schema?format=json")
    assert response.status_code == 200
    document = json.loads(response.content)
    routes = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is not None:
                routes[f"{method.upper()} {path}"] = {
                    "operationId": operation["operationId"],
                    "responses": sorted(operation["responses"]),
                }
    return dict(sorted(routes.items()))


def test_the_routes_of_the_contract_are_as_frozen():
    routes = contract_routes()
    if os.environ.get("UPDATE_CONTRACT_ROUTES"):
        FIXTURE.write_text(json.dumps(routes, indent=2) + "\n")
    frozen = json.loads(FIXTURE.read_text())
    assert set(routes) == set(frozen), {
        "added": sorted(set(routes) - set(frozen)),
        "removed": sorted(set(frozen) - set(routes)),
    }
    changed = {
        route: (frozen[route], routes[route]) for route in routes if routes[route] != frozen[route]
    }
    assert not changed, changed
