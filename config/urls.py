"""Root URLs: the API (api/, accounts/ …), the admin and a small home page."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from api.urls import fallback_urlpatterns

admin.site.site_header = f"{settings.PRODUCT_NAME} admin"
admin.site.site_title = settings.PRODUCT_NAME
admin.site.index_title = f"{settings.PRODUCT_NAME}: organizations, keys and records"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("", include("api.urls")),
    path("", include("accounts.urls")),
    path("", include("records.urls")),
    path("", include("webhooks.urls")),
    *fallback_urlpatterns,
]
