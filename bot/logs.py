"""Logging that cannot leak who people are.

Our own code never logs message text, chat ids or names; this filter is the second line of
defence for libraries (httpx logs request URLs, which carry the Telegram bot token; PTB logs
update payloads at DEBUG). It masks digit runs (chat ids, phone numbers), bot tokens and e-mail
addresses in every record, and the noisy library loggers are turned down.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import TextIO

_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_DIGITS = re.compile(r"\+?\d[\d\s().-]{4,}\d")
REDACTED = "<redacted>"

# PIL logs every EXIF tag it reads at DEBUG, values included (camera, GPS position).
NOISY_LOGGERS = ("httpx", "httpcore", "telegram", "pywa", "pywa_async", "apscheduler",
                 "uvicorn.access", "aiosqlite", "hpack", "PIL")


def redact(text: str) -> str:
    text = _TOKEN.sub("bot" + REDACTED, text)
    text = _EMAIL.sub(REDACTED, text)

    def _digits(m: re.Match[str]) -> str:
        return REDACTED if sum(c.isdigit() for c in m.group()) >= 6 else m.group()

    return _DIGITS.sub(_digits, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) with identifiers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (bot.log_format = "json"), for log collectors. It formats what
    the RedactingFilter left: the message and traceback are already masked."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO", stream: TextIO | None = None,
                  fmt: str = "text") -> logging.Handler:
    """Installs one redacting handler on the root logger (idempotent) and quiets libraries."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_compa", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._compa = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
