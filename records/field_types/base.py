"""What every field type provides. Adding a type means one small class in this package."""

from typing import Any, ClassVar

from django import forms

EQUALITY = ("", "not", "in", "isnull")
ORDERED = ("lt", "lte", "gt", "gte")
TEXTUAL = ("contains", "icontains", "startswith", "endswith")
ALL_OPERATORS = (*EQUALITY, *ORDERED, *TEXTUAL)


class FieldValueError(ValueError):
    """A value that does not fit the field; the message says what was expected."""


class FieldOptionsError(ValueError):
    """A field definition whose options do not fit its type."""


class FieldType:
    name: ClassVar[str]
    operators: ClassVar[tuple[str, ...]] = EQUALITY
    # How stored values compare when sorting and in lt/gt filters: "text", "number", "boolean".
    sort_as: ClassVar[str] = "text"
    # Which column of the value index (records.models.IndexedValue) holds the stored values:
    # "number", "text" (its first 200 characters), or None for types that are not indexed.
    # The database triggers that fill the index read this from the migration that made them;
    # a test holds the two together.
    indexed_as: ClassVar[str | None] = "text"
    # Whether the whole text is also kept for substring search (a trigram index).
    substring_indexed: ClassVar[bool] = False
    json_schema: ClassVar[dict[str, Any]] = {}
    # Whether a list can be sorted by it (one comparable value per record).
    sortable: ClassVar[bool] = True
    # Whether its values are ids of other records, shown as {id, object, name}.
    links_records: ClassVar[bool] = False
    # Whether "" and [] are values of their own; for every other type they clear the field.
    keeps_empty: ClassVar[bool] = False
    # Whether two values equal but for letter case are one value (for unique fields).
    case_insensitive: ClassVar[bool] = False
    # Whether its values are counted one by one (a list's field values).
    countable: ClassVar[bool] = True
    # Whether it takes a list of choices (options["choices"]).
    has_choices: ClassVar[bool] = False

    def clean_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The options this type keeps; unknown ones are refused."""
        if options:
            raise FieldOptionsError(f"The {self.name} type takes no options.")
        return {}

    def list_valued(self, options: dict[str, Any]) -> bool:
        """Whether a value is a list (one index row per item) rather than one value."""
        return False

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        """The stored form of a value sent by a client (never None: None clears)."""
        raise NotImplementedError

    def filter_operand(self, value: Any, options: dict[str, Any]) -> Any:
        """The stored form of a filter operand; query strings send text, so parse it."""
        return self.normalize(value, options)

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.CharField(**kwargs)

    def form_initial(self, value: Any) -> Any:
        """A stored value as its form field shows it."""
        return value

    def openapi_schema(self, options: dict[str, Any]) -> dict[str, Any]:
        return dict(self.json_schema)
