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
