from collections.abc import Mapping

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
        return super().to_internal_value(data)


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
