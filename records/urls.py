from django.urls import path

from api.base_views import ApiRouter
from records.views import multi_records as multi_record_views
from records.views import records as record_views
from records.views import schema as views

router = ApiRouter()
router.register("api/objects", views.ObjectViewSet, basename="object")
router.register("api/objects/<str:object_name>/fields", views.FieldViewSet, basename="field")

urlpatterns = [*router.urls]

urlpatterns += [
    path(
        "api/records/<str:object_name>", record_views.RecordListView.as_view(), name="record-list"
    ),
    path(
        "api/records/<str:object_name>/upsert",
        record_views.RecordUpsertView.as_view(),
        name="record-upsert",
    ),
    path(
        "api/records/<str:object_name>/batch",
        multi_record_views.RecordBatchView.as_view(),
        name="record-batch",
    ),
    path(
        "api/records/<str:object_name>/lookup",
        record_views.RecordLookupView.as_view(),
        name="record-lookup",
    ),
    path(
        "api/records/<str:object_name>/field-values/<str:field_name>",
        record_views.RecordFieldValuesView.as_view(),
        name="record-field-values",
    ),
    path(
        "api/records/<str:object_name>/search",
        record_views.RecordSearchView.as_view(),
        name="record-search",
    ),
    path(
        "api/records/<str:object_name>/<str:record_id>",
        record_views.RecordDetailView.as_view(),
        name="record-detail",
    ),
    path(
        "api/records/<str:object_name>/<str:record_id>/archive",
        record_views.RecordArchiveView.as_view(),
        name="record-archive",
    ),
    path(
        "api/records/<str:object_name>/<str:record_id>/merge",
        multi_record_views.RecordMergeView.as_view(),
        name="record-merge",
    ),
    path(
        "api/records/<str:object_name>/<str:record_id>/unarchive",
        record_views.RecordUnarchiveView.as_view(),
        name="record-unarchive",
    ),
]
