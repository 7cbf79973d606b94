"""The current request's guid, for log lines and for code far from the request object."""

import logging
from contextvars import ContextVar

current_request_guid: ContextVar[str] = ContextVar("current_request_guid", default="-")


class RequestGuidFilter(logging.Filter):
    """Adds `request_guid` to every log record (a dash outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_guid = current_request_guid.get()
        return True
