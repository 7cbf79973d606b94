from api.base_views import ApiRouter
from webhooks import views

router = ApiRouter()
router.register("api/webhooks", views.WebhookViewSet, basename="webhook")
router.register(
    "api/webhooks/<str:endpoint_id>/deliveries", views.DeliveryViewSet, basename="delivery"
)
router.register("api/events", views.EventViewSet, basename="event")

urlpatterns = router.urls
