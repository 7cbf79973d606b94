from django.urls import path

from records import views

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
