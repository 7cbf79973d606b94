"""The two security schemes, as OpenAPI sees them."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyBearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer <API key>`",
        }


class BasicKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "HTTP Basic with the API key as the user name and an empty password.",
        }
