"""OpenAPI as the API really answers: `data` inside the envelope, `pagination` on lists, and the
error envelope on every error code a route can give."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_doc
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from api import idempotency, preconditions
from api.query import WINDOW_PARAMS

PAGINATION_SCHEMA = {
    "type": "object",
    "properties": {
        "total": {"type": "integer", "description": "Exact number of items matching."},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
    },
    "required": ["total", "limit", "offset"],
}


def _header(description: str, type_: str = "integer", **extra: str) -> dict[str, Any]:
    return {"schema": {"type": type_, **extra}, "description": description}


REQUEST_ID_HEADER = {
    "X-Request-Id": _header(
        "The request's guid, the same as `guid` in the body.", "string", format="uuid"
    ),
}
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": _header("Requests allowed per window for this key."),
    "RateLimit-Remaining": _header("Requests left in this window."),
    "RateLimit-Reset": _header("Seconds until the window resets."),
}
ETAG_HEADER = {
    "ETag": _header(
        'The record\'s version as a strong entity tag (`"3"`): send it back in `If-Match`.',
        "string",
    ),
}
REPLAYED_HEADER = {
    idempotency.REPLAYED_HEADER: _header(
        "`true` when this is the stored answer to an earlier request with the same "
        "`Idempotency-Key` (its body and `X-Request-Id` are that request's).",
        "string",
        enum=["true"],
    ),
}
ERROR_HEADERS = {
    "401": {"WWW-Authenticate": _header("How to authenticate.", "string")},
    "405": {"Allow": _header("The methods this route answers.", "string")},
    "429": {"Retry-After": _header("Seconds to wait before retrying.")},
}
ERROR_DESCRIPTIONS = {
    "400": "Malformed request: a bad parameter or body, or missing inputs (`missingInputVars`).",
    "401": "No API key, or an unknown or revoked one.",
    "403": "The key's scope does not allow this, or the request was not made over HTTPS.",
    "404": "Not found, or it belongs to another organization.",
    "409": "Conflict with the stored state.",
    "412": "`If-Match` names a version the record no longer has; nothing was changed.",
    "413": "The body is over the size limit.",
    "415": "Unsupported Content-Type.",
    "422": "Well-formed input with wrong values; `errorDetail` says which.",
    "429": "Throttled; retry after `Retry-After` seconds.",
}


@extend_schema_field(
    {"oneOf": [{"type": "object", "additionalProperties": True}, {"type": "string"}]}
)
class ErrorDetailField(serializers.JSONField):
    pass


class ErrorEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField(read_only=True, help_text="Always false.")
    guid = serializers.UUIDField(read_only=True, help_text="Quote it to support.")
    errors = serializers.CharField(read_only=True, help_text="One sentence a person can act on.")
    errorDetail = ErrorDetailField(
        required=False, help_text="Per-input problems, keyed by input (object) or a sentence."
    )
    missingInputVars = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Required inputs not sent."
    )

    class Meta:
        ref_name = "ErrorEnvelope"


# Text with something in it besides whitespace: a character that str.strip(), and so DRF's
# trimming, keeps (written out, as `\s` differs between Python and ECMAScript regexes).
NOT_BLANK_PATTERN = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def comma_list(keys, *, descending: bool = False) -> dict[str, Any]:
    """A comma list of `keys` (each `-key` too when `descending`), as the list parameters read
    it: spaces around a name and empty elements are ignored, so the empty list is allowed."""
    sign = "-?" if descending else ""
    element = f" *(?:{sign}(?:{'|'.join(sorted(keys))}))? *"
    return {"type": "string", "pattern": f"^{element}(?:,{element})*$"}


IDEMPOTENCY_KEY = OpenApiParameter(
    idempotency.HEADER,
    # What requested_key() accepts: 1 to 255 visible ASCII characters or spaces, not only
    # spaces; HTTP drops spaces at either end, so a key neither starts nor ends with one.
    {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_KEY_LENGTH,
        "pattern": "^[!-~](?:[ -~]*[!-~])?$",
    },
    OpenApiParameter.HEADER,
    description=(
        "Makes a retry safe: up to 255 visible ASCII characters (a UUID), unique per request. "
        "The first answer is kept for 24 hours and replayed to a retry with the same key, "
        "method, path and body (`Idempotent-Replayed: true`); the same key on another request "
        "is a 422, and a retry while the first still runs a 409."
    ),
)
IDEMPOTENCY_CODES = {
    "409": "Or: a request with this `Idempotency-Key` is still running; retry after it ends.",
    "422": "Or: this `Idempotency-Key` was already used for a different request.",
}
# Answers given before a key is looked at, so never a replay.
NEVER_REPLAYED = {"401", "403", "413", "415", "429"}
_TAG = '(?:W/)?"[!#-~]*"'
_OWS = "[ \t]*"
IF_MATCH = OpenApiParameter(
    preconditions.HEADER,
    # `*`, or a comma list (empty elements allowed) with at least one entity tag, as
    # preconditions.expected_versions() parses it.
    {
        "type": "string",
        "pattern": (
            f"^(?:{_OWS}\\*{_OWS}|(?:{_OWS}(?:{_TAG})?{_OWS},)*{_OWS}{_TAG}{_OWS}"
            f"(?:,{_OWS}(?:{_TAG})?{_OWS})*)$"
        ),
    },
    OpenApiParameter.HEADER,
    description=(
        "Apply the change only if the record is still at this version: the `ETag` you read "
        '(`"3"`), several comma-separated, or `*` for any. Otherwise a 412 that changes '
        'nothing. Compared strongly: a weak tag (`W/"3"`) never matches. Not a list of '
        "entity tags: 400."
    ),
)


def error_response(description: str = "") -> OpenApiResponse:
    """For `@extend_schema(responses={409: error_response("…")})`."""
    return OpenApiResponse(response=ErrorEnvelopeSerializer, description=description)


PRECONDITION_FAILED = error_response(
    "`If-Match` names a version the record no longer has; nothing was changed. "
    "`errorDetail.current_version` is the version it has now."
)


class EnvelopeAutoSchema(AutoSchema):
    def get_description(self) -> str:
        """The handler's docstring, or the view class's own; never one a view inherits (the
        base view's docstring is written for developers, not integrators)."""
        name = getattr(self.view, "action", None) or self.method.lower()
        handler = getattr(self.view, name, None)
        handler_doc = get_doc(handler) if handler is not None else ""
        own_class_doc = type(self.view).__dict__.get("__doc__")
        return handler_doc or (get_doc(type(self.view)) if own_class_doc else "")

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._takes_idempotency_key():
            parameters = [*parameters, IDEMPOTENCY_KEY]
        return parameters

    def _takes_idempotency_key(self) -> bool:
        return (
            self.method in idempotency.METHODS
            and self._authenticated()
            and getattr(self.view, "accepts_idempotency_key", lambda: True)()
        )

    def map_parsers(self) -> list[str]:
        # The API also reads form and multipart bodies (see the document's description), but
        # one request body per operation is what client generators handle: with three, the
        # generated code sends the body three ways at once.
        return ["application/json"]

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        result = super()._get_response_for_code(serializer, status_code, media_types, direction)
        code = str(status_code)
        if "200" <= code < "300":
            for media in result.get("content", {}).values():
                media["schema"] = self._envelope(media["schema"])
        headers = result.setdefault("headers", {})
        if "200" <= code < "300" and getattr(serializer, "has_etag", False):
            headers.update(ETAG_HEADER)
        headers.update(REQUEST_ID_HEADER)
        if self._takes_idempotency_key() and code not in NEVER_REPLAYED:
            headers.update(REPLAYED_HEADER)
        if self._authenticated() and code not in ("401", "403"):
            headers.update(RATE_LIMIT_HEADERS)
        headers.update(ERROR_HEADERS.get(code, {}))
        return result

    def _authenticated(self) -> bool:
        return not all(isinstance(p, AllowAny) for p in self.view.get_permissions())

    def _envelope(self, data_schema: dict[str, Any]) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "success": {"type": "boolean", "description": "True on success."},
            "guid": {"type": "string", "format": "uuid", "description": "The request's guid."},
            "data": data_schema,
        }
        required = ["success", "guid", "data"]
        # Members a view sends beside `data` (upsert's `created`), as it declares them.
        extra = getattr(self.view, "envelope_extra_schema", {})
        properties.update(extra)
        required.extend(extra)
        # A list is paginated unless the view says otherwise (batch answers one per operation).
        if data_schema.get("type") == "array" and getattr(self.view, "envelope_paginated", True):
            properties["pagination"] = self._component("Pagination", PAGINATION_SCHEMA)
            required.append("pagination")
        return {"type": "object", "properties": properties, "required": required}

    def _component(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        extra = getattr(self.view, "extra_error_codes", {})
        for code in [*self._error_codes(), *extra]:
            if code not in responses:
                response = self._get_response_for_code(
                    ErrorEnvelopeSerializer, code, direction=direction
                )
                response["description"] = extra.get(code) or ERROR_DESCRIPTIONS[code]
                responses[code] = response
        if self._takes_idempotency_key():
            for code, sentence in IDEMPOTENCY_CODES.items():
                response = responses[code]
                response["description"] = f"{response['description']} {sentence}".strip()
        return dict(sorted(responses.items()))

    def _error_codes(self) -> list[str]:
        # Any route may get a malformed request (a bad Host, say) or, in production, plain HTTP.
        if not self._authenticated():
            return ["400", "403"]
        # An authenticated route may also get a bad key, too little scope, a body too large, a
        # foreign Content-Type (GET and DELETE accept a body too) or too many requests.
        codes = ["400", "401", "403", "413", "415", "429"]
        if "{" in self.path:
            codes.append("404")
        if self._takes_idempotency_key():
            codes.extend(IDEMPOTENCY_CODES)
        return codes


def refuse_unknown_inputs(result, generator, request, public):
    """Every request body refuses keys it does not know (a 400, so that a typo never silently
    does nothing): the document says so with `additionalProperties: false` on each body
    object, where open maps such as `fields` say otherwise themselves."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and "properties" in component:
            component.setdefault("additionalProperties", False)
    return result


def empty_means_default(result, generator, request, public):
    """`?limit=` is read as no limit at all (the default), like any list parameter left
    empty: `allowEmptyValue` says so (drf-spectacular has no option that writes it)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] in WINDOW_PARAMS:
                    parameter["allowEmptyValue"] = True
    return result


def link_created_resources(result, generator, request, public):
    """OpenAPI links from each create (a POST answering 201) to the operations on what it
    created: the routes below its path whose next parameter names it. That parameter comes
    from the created body (`data.id`, or `data.api_name` for objects and fields, whose
    parameters are names), the ones before it from the create's own path. Clients and
    stateful testers follow them to chain calls."""
    paths = result.get("paths", {})
    for path, operations in paths.items():
        create = operations.get("post")
        if create is None or "201" not in create.get("responses", {}):
            continue
        links = {}
        for target_path, targets in paths.items():
            rest = target_path.removeprefix(path + "/")
            if rest == target_path or not rest.startswith("{"):
                continue
            created = rest[1 : rest.index("}")]
            field = "api_name" if created.endswith("_name") else "id"
            parameters = {name: f"$request.path.{name}" for name in _path_parameters(path)}
            parameters[created] = f"$response.body#/data/{field}"
            for target in targets.values():
                links[target["operationId"]] = {
                    "operationId": target["operationId"],
                    "parameters": parameters,
                }
        if links:
            create["responses"]["201"]["links"] = links
    return result


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
