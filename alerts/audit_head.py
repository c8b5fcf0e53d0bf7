"""The audit chain's head (last id and hash), MAC'd and kept beside the keys file.

The hash chain shows edits and removals in the middle, but not entries cut from the end, nor a
wiped log: a database edit cannot tell where the chain should end. The head can, because it
lives outside the database (beside the keys file, written after every append) and carries a MAC
with a key derived from the keys: someone with the database and without the keys can neither
move it nor forge one. It is also sent to the moderators' room every day, so a copy lives off
the machine too.

When the database no longer reaches the head (a cut tail, a wiped log), the head is left as it
is, so every later `compa audit verify` keeps saying so until someone looks into it.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from alerts.moderators import Room
from bot.clock import Clock
from bot.i18n import N_
from bot.privacy import Privacy
from bot.store import audit as store

if TYPE_CHECKING:
    from alerts.audit import AuditLog


class HeadRoom(Room, Protocol):
    """What posting the audit head needs: the room, a clock and the audit log."""

    @property
    def clock(self) -> Clock: ...
    @property
    def audit(self) -> AuditLog: ...

HEAD_FILE = "audit-head.json"
# Posted at least daily: the job runs hourly and posts when the last post is this old.
POST_EVERY_SECONDS = 23 * 3600
HEAD_MESSAGE = N_("🔏 Audit log check: the log ends at entry #{id}, hash {hash} (seal {mac}). "
                  "Keep this message: if the log is ever cut or wiped, it shows where it "
                  "ended. `compa audit verify` checks the log.")


class HeadError(Exception):
    """The head file exists but cannot be trusted (unreadable, or its MAC does not match)."""


@dataclass(frozen=True)
class Head:
    id: int
    hash: str


class HeadFile:
    def __init__(self, path: Path, privacy: Privacy) -> None:
        self.path = path
        self._privacy = privacy

    def _mac(self, head: Head) -> str:
        return self._privacy.mac("audit-head", f"{head.id}:{head.hash}")

    def mac(self, head: Head) -> str:
        """What the daily message to the moderators shows next to the head."""
        return self._mac(head)

    def read(self) -> Head | None:
        """The stored head; None when there is no file yet. Raises HeadError when altered."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            head = Head(int(data["id"]), str(data["hash"]))
            mac = str(data["mac"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise HeadError(f"{self.path.name} cannot be read") from exc
        if not hmac.compare_digest(mac, self._mac(head)):
            raise HeadError(f"{self.path.name} was altered (its MAC does not match)")
        return head

    def write(self, head: Head) -> None:
        """Replaces the head atomically (a crash leaves the old one or the new one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        body = json.dumps({"id": head.id, "hash": head.hash, "mac": self._mac(head)})
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, body.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


async def post_head(app: HeadRoom) -> bool:
    """Sends the head to the moderators' room when the last post is old enough."""
    from alerts.moderators import tell_room

    now = app.clock.now()
    last = await store.head_posted(app.db)
    current = app.audit.current_head()
    if current is None or (last is not None and now - last < POST_EVERY_SECONDS):
        return False
    head, mac = current
    if await tell_room(app, HEAD_MESSAGE, id=head.id, hash=head.hash, mac=mac[:16]) == 0:
        return False    # nobody got it: try again at the next run
    await store.set_head_posted(app.db, now)
    return True
