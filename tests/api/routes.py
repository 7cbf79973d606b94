"""Routes that exist only in tests, mounted before the real ones: a write-scope route, a
crashing view, a crash outside DRF, and an experimental route."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from api.experimental import RequiresExperimental, require_feature
from api.permissions import HasScope

TEST_FEATURE = "test-feature"


class WriteThing(APIView):
    def post(self, request):
        return Response({"wrote": True}, status=201)


class Crash(APIView):
    def get(self, request):
        raise RuntimeError("secret internal detail that must not leak")


class Deadlock(APIView):
    """What Django raises when PostgreSQL aborts a transaction as a deadlock victim."""

    def get(self, request):
        import psycopg
        from django.db import OperationalError

        raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected()


def plain_django_crash(request):
    raise RuntimeError("crash outside DRF")


class ExperimentalRoute(APIView):
    permission_classes = [HasScope, RequiresExperimental.named(TEST_FEATURE)]

    def get(self, request):
        return Response({"experimental": True})


class ExperimentalParameter(APIView):
    def get(self, request):
        if "fancy" in request.query_params:
            require_feature(request, TEST_FEATURE)
        return Response({"fancy": "fancy" in request.query_params})


urlpatterns = [
    path("api/test/write", WriteThing.as_view()),
    path("api/test/crash", Crash.as_view()),
    path("api/test/plain-crash", plain_django_crash),
    path("api/test/deadlock", Deadlock.as_view()),
    path("api/test/experimental", ExperimentalRoute.as_view()),
    path("api/test/experimental-parameter", ExperimentalParameter.as_view()),
    path("", include("config.urls")),
]
