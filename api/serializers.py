from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from rest_framework import serializers

from api.exceptions import BadRequestError, UnknownInputError
from api.models import RequestLog


# An input serializer that refuses keys it does not know: a typo is a 400, not ignored. (A
# comment, not a docstring: OpenAPI would show a docstring on every request body.)
class StrictInputSerializer(serializers.Serializer):
    def run_validation(self, data=serializers.empty):
        if not isinstance(data, Mapping):
            if self.parent is None:
                raise BadRequestError("The request body must be a JSON object.")
            raise BadRequestError(f"Each item of '{self.parent.field_name}' must be an object.")
        return super().run_validation(data)

    def to_internal_value(self, data):
        unknown = [key for key in data if key not in self.fields]
        if unknown:
            raise UnknownInputError(unknown, self.fields)
        if isinstance(data, QueryDict):  # a form sends text only: DRF parses it
            return super().to_internal_value(data)
        # JSON: a value of the wrong type is refused, not coerced ({"name": 0} is not "0"),
        # and named with the other inputs' errors.
        wrong = {
            name: [problem]
            for name, field in self.fields.items()
            if name in data and (problem := json_type_problem(field, data[name]))
        }
        if not wrong:
            return super().to_internal_value(data)
        try:
            super().to_internal_value({k: v for k, v in data.items() if k not in wrong})
            errors: dict[str, Any] = {}
        except serializers.ValidationError as exc:
            errors = dict(exc.detail)
        errors.update(wrong)
        raise serializers.ValidationError(
            {name: errors[name] for name in self.fields if name in errors}
        )


def json_type_problem(field: serializers.Field, value: Any) -> str | None:
    """DRF's own message when a JSON value is of a type the field would only coerce."""
    if value is None or field.read_only:
        return None
    if isinstance(field, serializers.BooleanField):
        ok = isinstance(value, bool)
    elif isinstance(field, serializers.IntegerField):
        ok = not isinstance(value, str | float)
    elif isinstance(field, serializers.CharField):
        ok = not isinstance(value, int | float) or isinstance(value, bool)
        # DRF checks max_length after trimming; the document's maxLength counts what was sent.
        if ok and isinstance(value, str) and len(value) > (field.max_length or len(value)):
            return str(field.error_messages["max_length"]).format(max_length=field.max_length)
    elif isinstance(field, serializers.ListField) and isinstance(value, list):
        problems = (json_type_problem(field.child, item) for item in value)
        return next((problem for problem in problems if problem), None)
    else:
        return None
    return None if ok else str(field.error_messages["invalid"])


class RequestLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestLog
        fields = [
            "guid",
            "method",
            "path",
            "status",
            "created_at",
            "duration_ms",
            "error",
            "api_key_prefix",
        ]
        read_only_fields = fields


class ExperimentalFeatureSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    header = serializers.CharField(read_only=True, help_text="The header that opts in.")


class ApiIndexSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    docs = serializers.CharField(read_only=True)
    redoc = serializers.CharField(read_only=True)
    schema = serializers.CharField(read_only=True)
    me = serializers.CharField(read_only=True)
