"""The API speaks JSON only, whatever the Accept header asks for."""

from rest_framework.negotiation import BaseContentNegotiation


class JSONOnlyContentNegotiation(BaseContentNegotiation):
    def select_parser(self, request, parsers):
        # The parser is chosen by Content-Type; DRF answers 415 when none matches.
        for parser in parsers:
            if request.content_type.split(";")[0].strip().lower() == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
