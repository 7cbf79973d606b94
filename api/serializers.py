from rest_framework import serializers

from api.models import RequestLog


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
