from django.urls import path

from webhooks import views

urlpatterns = [
    path("api/webhooks", views.WebhookListView.as_view(), name="webhook-list"),
    path("api/webhooks/<str:endpoint_id>", views.WebhookDetailView.as_view(), name="webhook"),
    path(
        "api/webhooks/<str:endpoint_id>/rotate-secret",
        views.WebhookRotateSecretView.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "api/webhooks/<str:endpoint_id>/test", views.WebhookTestView.as_view(), name="webhook-test"
    ),
    path(
        "api/webhooks/<str:endpoint_id>/deliveries",
        views.DeliveryListView.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "api/webhooks/<str:endpoint_id>/deliveries/<str:delivery_id>/retry",
        views.DeliveryRetryView.as_view(),
        name="webhook-delivery-retry",
    ),
    path("api/events", views.EventListView.as_view(), name="event-list"),
]
