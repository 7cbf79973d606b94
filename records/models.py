"""Objects (an organization's record types), their typed fields, and records.

Field values live in one JSON column (JSONB on PostgreSQL) keyed by the field's stable `key`,
not by its api_name, so that renaming a field touches one row, not every record.
"""

import uuid

from django.db import models
from django.db.models.functions import Lower

from records.field_types import FIELD_TYPES, FieldType
from records.ids import uuid7

# How much of a text value the value index keeps (a btree entry must stay small); filters and
# sorts on longer values compare this prefix, and equality on a longer operand reads the record.
TEXT_PREFIX = 200


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

    @property
    def kind(self) -> FieldType:
        """Its type's class (records.field_types): what the type knows of its values."""
        return FIELD_TYPES[self.type]


class Record(models.Model):
    # Time-ordered, so that `-id` means newest first and inserts stay at the index's end.
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    object = models.ForeignKey(Object, on_delete=models.CASCADE, related_name="records")
    name = models.CharField(max_length=1000, blank=True)
    # The name in lower case, kept by the database: `name__icontains` is a case-sensitive
    # LIKE on it, which a trigram index serves and which, unlike ILIKE, does not fold every
    # row's name again on each search.
    name_folded = models.GeneratedField(
        expression=Lower("name"),
        output_field=models.CharField(max_length=1000),
        db_persist=True,
    )
    values = models.JSONField(default=dict, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Lists newest first: live records (the default), and all of them. A plain
            # `archived_at IS NULL` does not let (…, archived_at, id) serve ORDER BY id, and the
            # fallback, walking the primary key, would read other organizations' records.
            models.Index(
                fields=["org", "object", "id"],
                name="record_live",
                condition=models.Q(archived_at__isnull=True),
            ),
            models.Index(fields=["org", "object", "id"], name="record_list"),
            models.Index(fields=["org", "object", "name"], name="record_name"),
            # Substring searches on names count their matches over this, not the table.
            models.Index(
                fields=["org", "object", "name_folded"],
                name="record_name_folded",
                condition=models.Q(archived_at__isnull=True),
            ),
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


class IndexedValue(models.Model):
    """The value index: one row per (record, field, list position) with the value in a typed
    column, so that every filter and sort on a custom field is served by the same few indexes
    of one table, whatever the number of organizations, objects and fields (docs/storage.md).

    Written only by database triggers on the records table (the migration that created this
    model), so that no write path, bulk statement or COPY can leave it out of step. Record
    values in `Record.values` stay the truth; these rows are derived from them and the
    field definitions.
    """

    pk = models.CompositePrimaryKey("record_id", "field_id", "position")
    # No database foreign keys (the triggers keep the rows in step, and deleting a record must
    # not make Django collect its index rows one by one) and no index per column: the fixed
    # indexes below are all there is. Small keys (a field's uuid says which organization and
    # object it belongs to) keep the entries short, so that bulk writes stay cheap.
    org = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    field = models.ForeignKey(
        Field, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    # Served by the primary key, which starts with it.
    record = models.ForeignKey(
        Record,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="indexed_values",
    )
    position = models.PositiveIntegerField()
    # The record's archived state, so that counting a filter's live matches reads only the
    # index (it comes after the value: a range on the value stays one index scan).
    archived = models.BooleanField()
    number = models.FloatField(null=True)
    # Compared byte for byte (COLLATE "C" on PostgreSQL, set by the migration): code-point
    # order for UTF-8, and far cheaper for the index to compare than a locale's collation.
    text = models.CharField(max_length=TEXT_PREFIX, null=True)
    words = models.TextField(null=True)

    class Meta:
        # The organization last: every query names it (api.tenancy.for_org), and having it in
        # the entry lets the index answer alone.
        indexes = [
            models.Index(
                fields=["field", "number", "archived", "record", "org"],
                name="indexedvalue_number",
                condition=models.Q(number__isnull=False),
            ),
            models.Index(
                fields=["field", "text", "archived", "record", "org"],
                name="indexedvalue_text",
                condition=models.Q(text__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id}.{self.field_id}[{self.position}]"
