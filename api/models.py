"""What the server recorded about each API request, so an integrator can quote a guid and
support (or the integrator) can look it up for two weeks."""

from django.db import models


class RequestLog(models.Model):
    # org and key are plain ids, not foreign keys: the log is append-only, outlives revoked
    # keys, and must not make deletes cascade through millions of rows.
    guid = models.UUIDField(primary_key=True)
    org_id = models.UUIDField(null=True, blank=True)
    api_key_id = models.UUIDField(null=True, blank=True)
    api_key_prefix = models.CharField(max_length=32, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.FloatField()
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["org_id", "-created_at"], name="requestlog_org_created")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


class IdempotentRequest(models.Model):
    """One `Idempotency-Key` of one API key: reserved (status null) before the view runs, in a
    transaction of its own, so that a concurrent retry finds it; then the response, replayed
    to every retry for `API_IDEMPOTENCY_RETENTION_HOURS`. Plain ids, as in the request log."""

    id = models.BigAutoField(primary_key=True)
    org_id = models.UUIDField()
    api_key_id = models.UUIDField()
    key = models.CharField(max_length=255)
    # SHA-256 of the method, the path with its query string and the body: a retry sends the
    # same; anything else with the same key is a mistake (422).
    fingerprint = models.CharField(max_length=64)
    request_guid = models.UUIDField()
    status = models.PositiveSmallIntegerField(null=True, blank=True)  # null: still running
    response_headers = models.JSONField(default=list)
    response_body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key_id", "key"], name="idempotentrequest_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status or 'running'})"
