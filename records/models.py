"""Objects (an organization's record types), their typed fields, and records.

Field values live in one JSON column (JSONB on PostgreSQL) keyed by the field's stable `key`,
not by its api_name, so that renaming a field touches one row, not every record.
"""

import uuid

from django.db import models

from records.ids import uuid7


class FieldTypeName(models.TextChoices):
    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    SELECT = "select"
    MULTI_SELECT = "multi_select"
    RELATIONSHIP = "relationship"
    JSON = "json"


class Object(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    api_name = models.CharField(max_length=63)
    singular_name = models.CharField(max_length=200)
    plural_name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_system = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["api_name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "api_name"], name="object_unique_api_name")
        ]

    def __str__(self) -> str:
        return self.plural_name or self.api_name


class Field(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    object = models.ForeignKey(Object, on_delete=models.CASCADE, related_name="fields")
    # The key its values are stored under in Record.values; never changes.
    key = models.CharField(max_length=32, editable=False)
    api_name = models.CharField(max_length=63)
    label = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=FieldTypeName.choices)
    required = models.BooleanField(default=False)
    unique = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    options = models.JSONField(default=dict, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_system = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["object", "api_name"], name="field_unique_api_name"),
            models.UniqueConstraint(fields=["object", "key"], name="field_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.object.api_name}.{self.api_name}"


class Record(models.Model):
    # Time-ordered, so that `-id` means newest first and inserts stay at the index's end.
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    object = models.ForeignKey(Object, on_delete=models.CASCADE, related_name="records")
    name = models.CharField(max_length=1000, blank=True)
    values = models.JSONField(default=dict, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org", "object", "archived_at", "id"], name="record_list"),
            models.Index(fields=["org", "object", "name"], name="record_name"),
            models.Index(fields=["org", "object", "created_at"], name="record_created"),
            models.Index(fields=["org", "object", "updated_at"], name="record_updated"),
        ]

    def __str__(self) -> str:
        return self.name or str(self.id)


class UniqueValue(models.Model):
    """One row per (unique field, value) in use: the database's unique constraint is what
    makes two concurrent writes of the same value leave exactly one record."""

    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    field = models.ForeignKey(Field, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=512)
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["field", "value"], name="uniquevalue_field_value")
        ]
        indexes = [models.Index(fields=["record"], name="uniquevalue_record")]

    def __str__(self) -> str:
        return f"{self.field_id}={self.value}"
