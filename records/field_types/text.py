"""Text-like types: text, long_text, email, phone, url."""

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from records.field_types.base import EQUALITY, ORDERED, TEXTUAL, FieldType, FieldValueError

MAX_TEXT = 10_000
MAX_LONG_TEXT = 100_000


class TextType(FieldType):
    name = "text"
    operators = (*EQUALITY, *ORDERED, *TEXTUAL)
    max_length = MAX_TEXT
    json_schema = {"type": "string"}
    substring_indexed = True

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise FieldValueError("Expected a string.")
        text = str(value)
        if len(text) > self.max_length:
            raise FieldValueError(f"Expected at most {self.max_length} characters.")
        return text

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.CharField(max_length=self.max_length, **kwargs)


class LongTextType(TextType):
    name = "long_text"
    operators = (*EQUALITY, *TEXTUAL)
    max_length = MAX_LONG_TEXT
    # Up to 100,000 characters: matched from the stored JSON, never indexed.
    indexed_as = None
    substring_indexed = False

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.CharField(max_length=self.max_length, widget=forms.Textarea, **kwargs)


class EmailType(TextType):
    name = "email"
    case_insensitive = True
    max_length = 254
    json_schema = {"type": "string", "format": "email"}
    validator = EmailValidator()

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        if not isinstance(value, str):
            raise FieldValueError("Expected an email address.")
        email = value.strip()
        try:
            self.validator(email)
        except ValidationError:
            raise FieldValueError(f"'{value[:100]}' is not a valid email address.") from None
        # The domain is case-insensitive; the local part is kept as sent.
        local, _, domain = email.rpartition("@")
        return f"{local}@{domain.lower()}"

    def filter_operand(self, value: Any, options: dict[str, Any]) -> Any:
        # A whole address compares in stored form (domain lower-cased); a fragment as sent.
        try:
            return self.normalize(value, options)
        except FieldValueError:
            return TextType.normalize(self, value, options)

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.EmailField(**kwargs)


PHONE = re.compile(r"^\+?[0-9 ()./-]{3,40}$")


class PhoneType(TextType):
    name = "phone"
    max_length = 40

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        if not isinstance(value, str) or not PHONE.match(value.strip()):
            raise FieldValueError("Expected a phone number: digits, spaces and + ( ) . - / only.")
        return value.strip()

    def filter_operand(self, value: Any, options: dict[str, Any]) -> Any:
        return TextType.normalize(self, value, options)


class UrlType(TextType):
    name = "url"
    max_length = 2000
    json_schema = {"type": "string", "format": "uri"}
    validator = URLValidator(schemes=["http", "https"])

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        if not isinstance(value, str):
            raise FieldValueError("Expected a URL.")
        url = value.strip()
        try:
            self.validator(url)
        except ValidationError:
            raise FieldValueError(f"'{value[:100]}' is not a valid http(s) URL.") from None
        return url

    def filter_operand(self, value: Any, options: dict[str, Any]) -> Any:
        return TextType.normalize(self, value, options)

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.URLField(**kwargs)
