from django.urls import path

from accounts import views
from api.base_views import ApiRouter

router = ApiRouter()
router.register("api/keys", views.ApiKeyViewSet, basename="key")

urlpatterns = [path("api/me", views.MeView.as_view(), name="me"), *router.urls]
