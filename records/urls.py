from django.urls import path

from api.base_views import ApiRouter
from records.views import records as record_views
from records.views import schema as views

urlpatterns = [
    path("api/objects", views.ObjectListView.as_view(), name="object-list"),
    path("api/objects/<str:object_name>", views.ObjectDetailView.as_view(), name="object-detail"),
    path("api/objects/<str:object_name>/fields", views.FieldListView.as_view(), name="field-list"),
    path(
        "api/objects/<str:object_name>/fields/<str:field_name>",
        views.FieldDetailView.as_view(),
        name="field-detail",
    ),
]

records_router = ApiRouter()
records_router.register(
    "api/records/<str:object_name>", record_views.RecordViewSet, basename="record"
)
urlpatterns += records_router.urls
