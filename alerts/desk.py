"""The case desk ("Consulta Tu Compa", issue 16): a person talks to a helper anonymously.

A case links to the person's pseudonym only while it is open and for `desk.grace_days` after;
helpers see a code (`C-7Q3K`), the topic, the language, the county if given, and the messages,
re-sent as text and scrubbed. Never a name, username, phone number or chat id.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.config import Config
from bot.i18n import N_, I18n
from bot.messages import Address, Reply, SendResult
from bot.privacy import Privacy, scrub_text
from bot.store import Database
from bot.store import cases as store
from bot.store.cases import CaseRow

__all__ = ["Case", "CaseRow", "Desk", "Line", "normalise_code", "scrub_for_case"]

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TOPIC_LABELS = {
    "detained": N_("Someone was detained"),
    "legal": N_("A legal question"),
    "accompaniment": N_("Accompaniment to an appointment or court"),
    "needs": N_("Food, housing or health"),
    "other": N_("Something else"),
}
OUTCOMES = {"resuelto": "resolved", "resolved": "resolved", "referido": "referred",
            "derivado": "referred", "referred": "referred", "sin-respuesta": "unreachable",
            "unreachable": "unreachable"}
MAX_TEXT = 1500

PidFor = Callable[[Address], str]
Send = Callable[[Address, Reply], Awaitable[SendResult]]
# Creates a case's topic in the helpers' Telegram forum; returns its thread id (or None).
MakeTopic = Callable[[str], Awaitable[str | None]]


def normalise_code(text: str) -> str | None:
    """"c-7q3k", "7Q3K" → "C-7Q3K"; None when it cannot be a code."""
    raw = text.strip().upper()
    if raw.startswith("C-"):
        raw = raw[2:]
    elif len(raw) == 5 and raw.startswith("C"):    # "C7Q3K"
        raw = raw[1:]
    if len(raw) == 4 and all(c in ALPHABET for c in raw):
        return f"C-{raw}"
    return None


@dataclass(frozen=True)
class Case:
    """What a helper may know about a case."""

    code: str
    topic: str
    locale: str
    county: str | None
    status: str
    mine: bool = False
    waiting_minutes: int | None = None


@dataclass(frozen=True)
class Line:
    author: str     # person | helper | note
    text: str


class Desk:
    def __init__(self, db: Database, privacy: Privacy, config: Config, i18n: I18n,
                 pid_for: PidFor, send: Send, make_topic: MakeTopic | None = None) -> None:
        self._db = db
        self._privacy = privacy
        self._config = config
        self._i18n = i18n
        self._pid_for = pid_for
        self._send = send
        self._make_topic = make_topic

    # -- the person ----------------------------------------------------------------------
    async def open_case(self, pid: str, topic: str, locale: str, county: str | None,
                        text: str, now: float) -> str:
        """Opens a queued case with the person's first message; returns its code."""
        for _ in range(20):
            code = "C-" + "".join(secrets.choice(ALPHABET) for _ in range(4))
            case_id = await store.create(self._db, code, topic, locale, county, pid, now)
            if case_id is not None:
                await store.person_wrote(self._db, case_id, self._seal(case_id, text), now)
                if self._config.desk.telegram_forum_chat_id and self._make_topic is not None:
                    thread = await self._make_topic(code)
                    if thread is not None:
                        await store.set_thread(self._db, case_id, thread)
                return code
        raise RuntimeError("no free case code")

    async def open_for(self, pid: str) -> CaseRow | None:
        return await store.open_for(self._db, pid)

    async def person_says(self, case: CaseRow, text: str, now: float) -> list[Reply]:
        """Stores what the person wrote; returns the helpers' copies (assigned, else all)."""
        await store.person_wrote(self._db, case.id, self._seal(case.id, text), now)
        return await self._to_helpers(case, "person", text)

    async def notify_new(self, row: CaseRow) -> list[Reply]:
        """The helpers learn of a new case, with its first message."""
        lines = await self.transcript(row)
        return await self._to_helpers(row, "new", lines[0].text if lines else "")

    async def person_left(self, case: CaseRow, now: float) -> list[Reply]:
        await store.close(self._db, case, "left", now, self._grace)
        return await self._to_helpers(case, "left", "")

    async def set_helped(self, pid: str, answer: str) -> bool:
        return await store.set_helped(self._db, pid, answer)

    async def remind_later(self, pid: str, now: float, hours: float = 24) -> bool:
        return await store.set_reminder(self._db, pid, now + hours * 3600)

    async def forget(self, pid: str, now: float) -> int:
        return await store.forget(self._db, pid, now)

    # -- helpers -------------------------------------------------------------------------
    async def case(self, code: str) -> CaseRow | None:
        return await store.by_code(self._db, code)

    async def case_in_thread(self, thread: str) -> CaseRow | None:
        """The open case whose forum topic this is."""
        return await store.by_thread(self._db, thread)

    def view(self, row: CaseRow, helper: str, now: float) -> Case:
        waiting = None if row.waiting is None else int((now - row.waiting) // 60)
        return Case(row.code, row.topic, row.locale, row.county, row.status,
                    row.helper == helper, waiting)

    async def queue(self, helper: str, now: float) -> list[Case]:
        return [self.view(r, helper, now) for r in await store.open_cases(self._db)]

    async def transcript(self, row: CaseRow) -> list[Line]:
        return [Line(author, self._unseal(row.id, sealed))
                for _id, author, sealed in await store.messages(self._db, row.id)]

    async def claim(self, row: CaseRow, helper: str, now: float) -> bool:
        return await store.claim(self._db, row.id, helper, now)

    async def reply(self, row: CaseRow, helper: str, text: str, now: float) -> Address | None:
        """Stores the helper's answer; returns where the person is (None: they are gone)."""
        await store.helper_wrote(self._db, row, self._seal(row.id, text), now, helper)
        return await self.person_address(row)

    async def deliver(self, reply: Reply) -> SendResult:
        """Sends a helper's answer now, so the helper learns whether it reached the person
        (on WhatsApp after 24 h it goes as the "you have an answer" template)."""
        assert reply.to is not None
        return await self._send(reply.to, reply)

    async def answers_for(self, pid: str) -> tuple[str, list[str]] | None:
        """The person's case code and the helpers' answers since the person last wrote."""
        row = await store.open_for(self._db, pid) or await store.last_closed(self._db, pid)
        if row is None:
            return None
        lines = await self.transcript(row)
        answers: list[str] = []
        for line in lines:
            if line.author == "person":
                answers = []
            elif line.author == "helper":
                answers.append(line.text)
        return row.code, answers

    async def note(self, row: CaseRow, text: str, now: float) -> None:
        await store.note(self._db, row.id, self._seal(row.id, text), now)

    async def close(self, row: CaseRow, result: str, now: float) -> str:
        """Closes with an outcome category; any free text is kept as a note until the purge."""
        word, _, rest = result.strip().partition(" ")
        outcome = OUTCOMES.get(word.lower(), "other")
        detail = rest if outcome != "other" else result
        if detail.strip():
            await self.note(row, detail.strip()[:MAX_TEXT], now)
        await store.close(self._db, row, outcome, now, self._grace)
        return outcome

    async def person_address(self, row: CaseRow) -> Address | None:
        if row.pid is None:
            return None
        found = await store.address_of(self._db, row.pid)
        if found is None:
            return None
        channel, sealed, _locale = found
        return Address(channel, self._privacy.unseal_text(sealed, f"address:{channel}"))

    async def weekly(self) -> dict[str, list[tuple[int | None, int | None, str | None]]]:
        """Per week of opening: (minutes to first reply, minutes to close, helped) per case."""
        weeks: dict[str, list[tuple[int | None, int | None, str | None]]] = {}
        for row in await store.weekly(self._db):
            weeks.setdefault(str(row["week"]), []).append(
                (row["first_reply_min"], row["close_min"], row["helped"]))
        return weeks

    # -- timers and retention ------------------------------------------------------------
    async def tick(self, now: float) -> list[Reply]:
        """Reminders (nobody answered in N minutes), requeues (the claimant went quiet for M),
        the locator reminders people asked for, and the purge after the grace period."""
        desk = self._config.desk
        out: list[Reply] = []
        for row in await store.open_cases(self._db):
            if row.waiting is None:
                continue
            if row.status == "queued" and not row.reminded \
                    and now - row.waiting >= desk.remind_minutes * 60:
                await store.mark_reminded(self._db, row.id)
                out += await self._to_helpers(row, "remind", "")
            elif row.status == "assigned" and now - max(row.waiting, row.assigned or 0) \
                    >= desk.requeue_minutes * 60:
                await store.requeue(self._db, row.id)
                out += await self._to_helpers(row, "requeued", "")
        for _case_id, pid, locale in await store.due_reminders(self._db, now):
            found = await store.address_of(self._db, pid)
            if found is not None:
                t = self._i18n.translator(found[2] or locale)
                address = Address(found[0], self._privacy.unseal_text(found[1],
                                                                     f"address:{found[0]}"))
                out.append(Reply(t("Reminder from {org}: check the ICE detainee locator again "
                                   "(locator.ice.gov). Records can take time to appear.",
                                   org=self._config.resources.org_name), to=address))
        await store.purge(self._db, now)
        return out

    def helpers(self) -> list[Address]:
        """Where case news goes: every configured helper on an enabled channel."""
        out: list[Address] = []
        for channel, ids in self._config.desk.helpers.items():
            if getattr(getattr(self._config.channels, channel, None), "enabled", False):
                out.extend(Address(channel, i) for i in ids)
        return out

    async def _to_helpers(self, row: CaseRow, event: str, text: str) -> list[Reply]:
        targets = self.helpers()
        if row.helper is not None and event in ("person", "left"):
            targets = [a for a in targets if self._pid_for(a) == row.helper] or targets
        forum = self._config.desk.telegram_forum_chat_id
        if forum and row.thread:
            # The case's topic is its home: Telegram helpers read it there, not one by one.
            targets = [Address("telegram", f"{forum}/{row.thread}"),
                       *(a for a in targets if a.channel != "telegram")]
        replies = []
        for address in targets:
            locale = await self._locale_of(address)
            t = self._i18n.translator(locale)
            head = f"{row.code} · {t(TOPIC_LABELS.get(row.topic, row.topic))} · " \
                   f"{row.locale}" + (f" · {row.county}" if row.county else "")
            body = {
                "new": t("New case. The person writes:") + f"\n«{text}»\n/tomar {row.code}",
                "person": t("The person writes:") + f"\n«{text}»\n"
                + t("Answer: /responder {code} your text", code=row.code),
                "left": t("The person left the conversation; the case is closed."),
                "remind": t("Nobody has answered this case yet. /tomar {code}", code=row.code),
                "requeued": t("No answer from its helper: the case is back in the queue. "
                              "/tomar {code}", code=row.code),
            }[event]
            replies.append(Reply(f"{head}\n{body}", to=address))
        return replies

    async def _locale_of(self, address: Address) -> str:
        found = await store.address_of(self._db, self._pid_for(address))
        return (found[2] if found else None) or self._config.bot.default_locale

    @property
    def _grace(self) -> float:
        return self._config.desk.grace_days * 86400.0

    def _seal(self, case_id: int, text: str) -> bytes:
        return self._privacy.seal_text(text[:MAX_TEXT], f"case:{case_id}")

    def _unseal(self, case_id: int, sealed: bytes) -> str:
        return self._privacy.unseal_text(sealed, f"case:{case_id}")


def scrub_for_case(text: str) -> str:
    """A person's words as a helper sees (and we store) them: contact details removed."""
    return scrub_text(text)[:MAX_TEXT]
