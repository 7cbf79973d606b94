"""The one renderer of the API: wraps whatever a view returns in the envelope."""

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer

from api.envelope import default_error_message, error_body, request_guid, success_body

# What orjson writes its own way (datetimes, dataclasses) goes to DRF's encoder instead, so the
# bytes mean what they meant; anything orjson refuses (integers beyond 64 bits, keys that are
# not strings, a type nobody encodes) is rendered, or refused, by DRF's json.dumps as before.
ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# JSON allows these two raw, JavaScript did not: DRF escapes them, and so do we.
LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


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
        return self._encode(body, accepted_media_type, renderer_context)

    def _encode(
        self, body: Any, accepted_media_type: str | None, renderer_context: dict[str, Any]
    ) -> bytes:
        """DRF's compact, unescaped-Unicode JSON, written by orjson (several times faster on a
        page of records); indented output and whatever orjson cannot write go through DRF."""
        if (
            self.compact
            and not self.ensure_ascii
            and self.get_indent(accepted_media_type, renderer_context) is None
        ):
            try:
                encoded = orjson.dumps(
                    body, default=self.encoder_class().default, option=ORJSON_OPTIONS
                )
            except orjson.JSONEncodeError:
                pass
            else:
                for raw, escaped in LINE_SEPARATORS:
                    if raw in encoded:
                        encoded = encoded.replace(raw, escaped)
                return encoded
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
