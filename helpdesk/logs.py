"""Log records as JSON lines (LOG_FORMAT=json), for a log collector; the plain format stays the default.

One object per line: time (UTC, ISO 8601), level, logger, message, the exception if any, and every field a caller
passed in `extra=` (a turn's line carries its conversation, timings and usage: assistant.turn.observed_turn).
Records reach the formatter after the PII filter (helpdesk.pii.PiiMaskingFilter), which masks the message, the
exception and the extra fields alike.
"""

import json
import logging
from datetime import UTC, datetime

# The attributes every LogRecord has: anything else on a record came from `extra=`.
STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def extra_fields(record: logging.LogRecord) -> dict:
    return {name: value for name, value in vars(record).items()
            if name not in STANDARD_ATTRIBUTES and not name.startswith("_")}


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        for name, value in extra_fields(record).items():
            entry.setdefault(name, value)
        return json.dumps(entry, default=str, ensure_ascii=False)
