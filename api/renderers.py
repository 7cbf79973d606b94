"""The one renderer of the API: wraps whatever a view returns in the envelope."""

from typing import Any

from rest_framework.renderers import JSONRenderer

from api.envelope import default_error_message, error_body, request_guid, success_body


class EnvelopeJSONRenderer(JSONRenderer):
    """Success: `{success, guid, data[, pagination]}`. Error: `{success, guid, errors, …}`.

    A view sets `response.pagination` for lists and `response.envelope_extra` for top-level
    members beside `data` (such as upsert's `created`). Error bodies come from
    `api.exception_handler`, already shaped as `{errors, errorDetail?, missingInputVars?}`.
    """

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        request = renderer_context.get("request")
        guid = request_guid(getattr(request, "_request", request))
        status = response.status_code if response is not None else 200
        if response is not None:
            response.enveloped = True  # api.middleware leaves it as it is
        if status >= 400:
            body = self._error(data, status, guid)
        else:
            body = success_body(
                guid=guid,
                data=data,
                pagination=getattr(response, "pagination", None),
                **getattr(response, "envelope_extra", {}),
            )
        return super().render(body, accepted_media_type, renderer_context)

    @staticmethod
    def _error(data: Any, status: int, guid: str) -> dict[str, Any]:
        if isinstance(data, dict) and "errors" in data:
            return error_body(
                guid=guid,
                errors=str(data["errors"]),
                error_detail=data.get("errorDetail"),
                missing_input_vars=data.get("missingInputVars"),
            )
        # A view returned an error status with an ad-hoc body: keep it as the detail.
        return error_body(guid=guid, errors=default_error_message(status), error_detail=data)
