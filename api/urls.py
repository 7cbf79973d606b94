from django.urls import path, re_path

from api import views
from api.base_views import ApiRouter

router = ApiRouter()
router.register("api/requests", views.RequestLogViewSet, basename="request")

# Paths carry no trailing slash: api.middleware strips one before routing.
urlpatterns = [
    path("api", views.ApiIndexView.as_view(), name="api-index"),
    path("api/schema", views.SchemaView.as_view(), name="schema"),
    path("api/docs", views.SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc", views.RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/experimental", views.ExperimentalFeaturesView.as_view(), name="experimental"),
    *router.urls,
]

# Last of all routes (config.urls includes it at the end): unknown /api/ paths.
fallback_urlpatterns = [re_path(r"^api(/.*)?$", views.NotFoundView.as_view())]
