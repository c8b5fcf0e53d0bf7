"""SQLite store: one writer connection behind a lock, a separate reader, numbered migrations."""

from bot.store.db import Database, DatabaseTooNew

__all__ = ["Database", "DatabaseTooNew"]
