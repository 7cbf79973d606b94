from django.urls import path, re_path

from api import views

# Paths carry no trailing slash: api.middleware strips one before routing.
urlpatterns = [
    path("api", views.ApiIndexView.as_view(), name="api-index"),
    path("api/schema", views.SchemaView.as_view(), name="schema"),
    path("api/docs", views.SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc", views.RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/experimental", views.ExperimentalFeaturesView.as_view(), name="experimental"),
    path("api/requests", views.RequestLogListView.as_view(), name="request-list"),
    path("api/requests/<str:guid>", views.RequestLogDetailView.as_view(), name="request-detail"),
]

# Last of all routes (config.urls includes it at the end): unknown /api/ paths.
fallback_urlpatterns = [re_path(r"^api(/.*)?$", views.NotFoundView.as_view())]
