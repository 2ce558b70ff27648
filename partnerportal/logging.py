"""Structured logs: one JSON object a line, carrying the id of the request being served.

The id is the one ``audit.context.RequestContextMiddleware`` gives each request, so a log
line joins the audit events of the same request.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from audit import context

# gunicorn access-log atoms worth a field of their own, and the field's name.
_ACCESS_FIELDS = {
    "m": "method",
    "U": "path",
    "q": "query",
    "s": "status",
    "B": "bytes",
    "M": "duration_ms",
    "h": "remote_addr",
    "a": "user_agent",
    "{x-request-id}o": "request_id",
}


class JsonFormatter(BaseJsonFormatter):
    """JSON lines with ``time``, ``level``, ``logger``, ``message`` and ``request_id``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.setdefault("level", record.levelname)
        log_data.setdefault("logger", record.name)
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            for atom, name in _ACCESS_FIELDS.items():
                value = record.args.get(atom)
                if value not in (None, "", "-"):
                    log_data[name] = value
        # django.request logs a failed response after the request context has closed,
        # but hands over the request itself.
        request = log_data.pop("request", None)
        request_id = context.current().request_id or getattr(request, "request_id", "")
        if request_id:
            log_data.setdefault("request_id", request_id)
