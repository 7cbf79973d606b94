"""Tenant isolation, route by route, from the URL configuration itself: organization A has
data of every kind, organization B has its own admin key and tries A's ids and names on every
/api/ route and every method the route allows. B gets a 404 in the error envelope, A's rows are
unchanged afterwards, and no list B can read shows anything of A.

The routes are walked from Django's URL resolver, so a new route is covered the day it is
added: a path parameter this file cannot fill with A's value fails the run, naming the route."""

import re
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import ApiKey
from records.models import Field, Object, Record
from tests.conftest import ApiClient
from tests.webhooks.conftest import receiver  # noqa: F401 - A's endpoint delivers to it
from webhooks.models import Delivery, Endpoint, Event

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
# Sent with every request, so a route behind an experimental flag reaches its lookup.
HEADERS = {"HTTP_X_EXPERIMENTAL": "merge"}
# The body of every write: plausible for the route, so the lookup is what answers.
BODY = {"name": "changed by B", "fields": {"a_deal_amount": 1}}


@dataclass(frozen=True)
class Route:
    path: str  # as in the URL configuration: api/records/<str:object_name>
    methods: tuple[str, ...]
    params: tuple[str, ...]
    view: type | None = None
    # A viewset's (method, action) pairs on this route; a plain view's handlers are methods.
    actions: tuple[tuple[str, str], ...] = ()

    def handler(self, method: str) -> str:
        return dict(self.actions).get(method) or method.upper()

    def reads_body(self, method: str) -> bool:
        """False where the method takes no body (GET, DELETE) or only named parameters
        (api.base_views.ApiView.accepted_params): a body there is refused before any lookup."""
        accepted = getattr(self.view, "accepted_params", {})
        return method not in ("get", "delete") and self.handler(method) not in accepted

    def __str__(self) -> str:
        return self.path

    def fill(self, values: dict[str, str]) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), self.path)


def walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def api_routes() -> list[Route]:
    routes = []
    for path, callback in walk(get_resolver().url_patterns):
        if not path.startswith("api") or path.startswith("^"):
            continue  # not the API, or the regex fallback that answers unknown /api/ paths
        actions = getattr(callback, "actions", None)  # a viewset's route
        view = callback.cls if actions is not None else callback.view_class
        methods = tuple(m for m in METHODS if (m in actions if actions else hasattr(view, m)))
        params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", path))
        routes.append(Route(path, methods, params, view, tuple((actions or {}).items())))
    return routes


ROUTES = api_routes()
ROUTES_WITH_IDS = [r for r in ROUTES if r.params]
LIST_ROUTES = [r for r in ROUTES if not r.params and "get" in r.methods]


# Every URL parameter name this test can fill with A's value (an attribute of OrgA of the same
# name). A route with any other parameter fails test_every_route_parameter_can_be_filled.
PATH_PARAMETERS = (
    "object_name",
    "field_name",
    "record_id",
    "key_id",
    "endpoint_id",
    "delivery_id",
    "guid",
)


@dataclass
class OrgA:
    """Everything organization A has, and how each path parameter names A's thing."""

    org_id: str
    key_id: str
    object_id: str
    field_id: str
    record_id: str
    contact_id: str
    endpoint_id: str
    delivery_id: str
    event_id: str
    guid: str

    object_name: str = "a_secret_deals"
    field_name: str = "a_deal_amount"

    def path_values(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in PATH_PARAMETERS}

    def fillings(self, route: Route) -> list[dict[str, str]]:
        """The deal; on a record route also A's contact, in the object B has as well."""
        values = self.path_values()
        if "record_id" in route.params:
            return [values, {**values, "object_name": "contacts", "record_id": self.contact_id}]
        return [values]

    def identifiers(self) -> list[str]:
        """What must never appear in anything B reads."""
        return [
            *self.path_values().values(),
            "Acme Inc",
            "a-only-key",
            "a-only-hook",
            "A's only deal",
            "a.contact@example.com",
            self.org_id,
            self.object_id,
            self.field_id,
            self.contact_id,
            self.event_id,
        ]


@pytest.fixture
def a(org, make_key, receiver) -> OrgA:  # noqa: F811 - the receiver fixture
    key, raw = make_key(org, "admin", name="a-only-key")
    api = ApiClient(raw)

    def created(path, body):
        response = api.post(path, body).assert_envelope()
        assert response.status == 201, response.body
        return response

    created(
        "/api/objects",
        {
            "api_name": "a_secret_deals",
            "fields": [{"api_name": "a_deal_amount", "type": "number"}],
        },
    )
    endpoint = created(
        "/api/webhooks", {"url": receiver.url + "/a-only-hook", "events": ["record.*"]}
    )
    deal = created(
        "/api/records/a_secret_deals", {"name": "A's only deal", "fields": {"a_deal_amount": 7}}
    )
    contact = created("/api/records/contacts", {"fields": {"email": "a.contact@example.com"}})
    return OrgA(
        org_id=str(org.id),
        key_id=str(key.id),
        object_id=str(Object.objects.get(org=org, api_name="a_secret_deals").id),
        field_id=str(Field.objects.get(org=org, api_name="a_deal_amount").id),
        record_id=deal.data["id"],
        contact_id=contact.data["id"],
        endpoint_id=endpoint.data["id"],
        delivery_id=str(Delivery.objects.filter(org=org).first().id),
        event_id=str(Event.objects.filter(org=org).first().id),
        guid=contact.body["guid"],
    )


@pytest.fixture
def b(other_org, make_key) -> ApiClient:
    return ApiClient(make_key(other_org, "admin", name="b-key")[1], **HEADERS)


def snapshot(org) -> dict[str, list[dict]]:
    """A's rows as stored: objects, fields, records (values and versions), endpoints with
    their secrets, deliveries, events and keys."""
    models = [Object, Field, Record, Endpoint, Delivery, Event, ApiKey]
    return {
        model.__name__: list(model.objects.filter(org=org).order_by("pk").values())
        for model in models
    }


def test_the_walk_finds_the_api():
    paths = {route.path for route in ROUTES}
    assert {"api/objects", "api/records/<str:object_name>/<str:record_id>"} <= paths
    assert len(ROUTES_WITH_IDS) >= 15 and len(LIST_ROUTES) >= 8


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_parameter_can_be_filled(route):
    unknown = set(route.params) - set(PATH_PARAMETERS)
    assert not unknown, (
        f"Route /{route.path} takes {sorted(unknown)}, which the isolation test cannot fill "
        "with organization A's value: add it to PATH_PARAMETERS and OrgA."
    )
    assert route.methods, f"Route /{route.path} allows no method this test knows."


@pytest.mark.parametrize("route", ROUTES_WITH_IDS, ids=str)
def test_another_orgs_ids_are_404_on_every_method(route, a, b, org):
    before = snapshot(org)
    for values in a.fillings(route):
        path = route.fill(values)
        for method in route.methods:
            body = BODY if route.reads_body(method) else None
            response = b.request(method, path, body).assert_envelope()
            assert response.status == 404, (method.upper(), path, response.body)
    assert snapshot(org) == before


@pytest.mark.parametrize("route", [r for r in ROUTES_WITH_IDS if "get" in r.methods], ids=str)
def test_the_same_paths_answer_organization_a(route, a, org, make_key):
    """The control: A's values fill every route rightly, so B's 404s are isolation."""
    api = ApiClient(make_key(org, "read")[1], **HEADERS)
    for values in a.fillings(route):
        response = api.get(route.fill(values)).assert_envelope()
        # 200, or 400 where the route wants query parameters (lookup): found, either way.
        assert response.status in (200, 400), (route.fill(values), response.body)


@pytest.mark.parametrize("route", LIST_ROUTES, ids=str)
def test_lists_show_nothing_of_another_org(route, a, b):
    # Read as bytes: the schema and docs pages are not envelopes.
    response = b.client.get(route.fill({}), HTTP_AUTHORIZATION=f"Bearer {b.raw_key}")
    assert response.status_code == 200, (route.path, response.content[:500])
    text = response.content.decode()
    leaked = [identifier for identifier in a.identifiers() if identifier in text]
    assert not leaked, f"/{route.path} shows organization A's {leaked}"


def test_the_contacts_object_both_have_shows_each_only_its_own(a, b):
    """`contacts` exists in every organization: B's own reads of it show none of A's."""
    b.post("/api/records/contacts", {"fields": {"email": "b.contact@example.com"}})
    listed = b.get("/api/records/contacts").assert_envelope()
    assert [c["fields"]["email"] for c in listed.data] == ["b.contact@example.com"]
    for response in [
        b.get("/api/records/contacts/field-values/email"),
        b.post("/api/records/contacts/search", {}),
    ]:
        assert response.assert_envelope().status == 200, response.body
        assert a.contact_id not in str(response.body)
        assert "a.contact@example.com" not in str(response.body)
    # Looking up A's contact by its email finds nothing (the error names what was asked).
    lookup = b.get("/api/records/contacts/lookup?email=a.contact@example.com")
    assert lookup.assert_envelope().status == 404
    assert a.contact_id not in str(lookup.body)
