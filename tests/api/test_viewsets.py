"""Every resource of the API is a viewset registered on a router: records, objects and
fields, webhooks and their deliveries, events, API keys and the request log. Archive and
unarchive are the record viewset's actions."""

from django.urls import get_resolver
from rest_framework.viewsets import ViewSetMixin

from api.base_views import ApiViewSet
from tests.api.test_isolation import walk

RESOURCES = (
    "api/records/",
    "api/objects",
    "api/webhooks",
    "api/events",
    "api/keys",
    "api/requests",
)


def resource_routes() -> dict[str, object]:
    return {
        path: callback
        for path, callback in walk(get_resolver().url_patterns)
        if path.startswith(RESOURCES)
    }


def test_every_resource_route_is_served_by_a_viewset():
    routes = resource_routes()
    assert len(routes) >= 15
    plain = {path for path, callback in routes.items() if not hasattr(callback, "actions")}
    assert plain == set()
    for path, callback in routes.items():
        assert issubclass(callback.cls, ApiViewSet) and issubclass(callback.cls, ViewSetMixin), path


def test_archive_and_unarchive_are_actions_of_the_record_viewset():
    routes = resource_routes()
    archive = routes["api/records/<str:object_name>/<str:record_id>/archive"]
    unarchive = routes["api/records/<str:object_name>/<str:record_id>/unarchive"]
    assert archive.cls is unarchive.cls
    assert archive.cls.__name__ == "RecordViewSet"
    assert archive.actions == {"post": "archive"}
    assert unarchive.actions == {"post": "unarchive"}
    extra = {action.__name__ for action in archive.cls.get_extra_actions()}
    assert extra == {
        "archive",
        "unarchive",
        "merge",
        "search",
        "upsert",
        "lookup",
        "batch",
        "field_values",
    }
