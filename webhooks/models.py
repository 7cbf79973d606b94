"""Events (the outbox), endpoints, and deliveries with their attempts, all as rows: the
database is the truth; the task queue only wakes the workers that send."""

import uuid

from django.db import models
from django.utils import timezone

from records.ids import uuid7
from webhooks.encryption import EncryptedSecretField

EVENT_ID_PREFIX = "evt_"


class Endpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=2000)
    # Event type patterns: "record.created", or "record.*" for every record event.
    event_types = models.JSONField(default=list)
    # Object api_names whose events are sent; empty means every object.
    object_names = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    # Both encrypted at rest (webhooks/encryption.py); plain `whsec_…` strings in Python.
    secret = EncryptedSecretField()
    # The secret before the last rotation keeps signing beside the new one until it expires.
    previous_secret = EncryptedSecretField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Since when every attempt has failed; None after a success.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["org", "active"], name="endpoint_org_active")]

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=100)
    object_name = models.CharField(max_length=63, blank=True)
    record_id = models.CharField(max_length=255, blank=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org", "-id"], name="event_org_newest"),
            models.Index(fields=["org", "type", "-id"], name="event_org_type"),
            models.Index(fields=["org", "object_name", "-id"], name="event_org_object"),
            models.Index(fields=["created_at"], name="event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"

    @property
    def public_id(self) -> str:
        return event_public_id(self.id)


def event_public_id(event_id: uuid.UUID) -> str:
    """`evt_<32 hex>`: the event's id in payloads and the `webhook-id` header."""
    return EVENT_ID_PREFIX + event_id.hex


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Delivery(models.Model):
    """One event on its way to one endpoint."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    # When the next attempt is due (pending deliveries only).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker that claimed the delivery owns it until then; after, another may take it over
    # (the first one died mid-send).
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "-id"], name="delivery_endpoint"),
            # A claim counts each endpoint's sends in flight: the few leased rows, not the
            # backlog of pending ones.
            models.Index(
                fields=["lease_until", "endpoint"],
                name="delivery_in_flight",
                condition=models.Q(status="pending", lease_until__isnull=False),
            ),
            models.Index(fields=["org", "status"], name="delivery_org_status"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"


class Attempt(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.FloatField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)  # the first 4 KB
    error = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["number"]
        indexes = [models.Index(fields=["delivery", "number"], name="attempt_delivery")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
