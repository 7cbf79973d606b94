from django.urls import path

from accounts import views

urlpatterns = [
    path("api/me", views.MeView.as_view(), name="me"),
    path("api/keys", views.ApiKeyListView.as_view(), name="key-list"),
    path("api/keys/<str:key_id>/revoke", views.ApiKeyRevokeView.as_view(), name="key-revoke"),
]
