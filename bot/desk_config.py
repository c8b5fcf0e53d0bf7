"""`[desk]`: the case desk (issue 16), "talk to a person".

Kept in its own module so the config split can move it as one piece: `bot/config.py` only
names the section (`Config.desk`) and appends `validate_desk` to its validators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOPICS = ("detained", "legal", "accompaniment", "needs", "other")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


def _default_hours() -> dict[str, str]:
    return {day: "09:00-17:00" for day in WEEKDAYS[:5]}


def _default_self_help() -> dict[str, str]:
    # The Know Your Rights page offered outside office hours for each topic.
    return {"detained": "find-detained", "legal": "notario", "accompaniment": "family-plan",
            "needs": "resources", "other": "resources"}


@dataclass(frozen=True)
class Canned:
    """A frequent reply a helper sends with `/responder C-XXXX !name`, in both languages."""

    es: str = ""
    en: str = ""


def _default_canned() -> dict[str, Canned]:
    return {
        "lawyer": Canned(
            es="Le recomendamos hablar con un abogado de inmigración con licencia (no un "
               "notario). Podemos darle contactos de ayuda legal gratuita.",
            en="We recommend talking to a licensed immigration lawyer (not a notario). We can "
               "give you contacts for free legal help."),
        "locator": Canned(
            es="Puede buscar a la persona en locator.ice.gov con su número A o su nombre y país "
               "de nacimiento. Los datos pueden tardar horas en aparecer.",
            en="You can search for the person at locator.ice.gov with their A-number or their "
               "name and country of birth. Records can take hours to appear."),
    }


@dataclass(frozen=True)
class CaseTemplate:
    """The approved WhatsApp utility template that says "you have an answer" (README)."""

    name: str = ""
    language: str = ""


@dataclass(frozen=True)
class DeskConfig:
    # Per channel, the ids of the helpers (caseworkers) who answer cases; admins may too.
    helpers: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"console": ("help1", "help2")})
    # Office hours in bot.timezone per weekday (mon…sun), "HH:MM-HH:MM"; a missing day is closed.
    hours: dict[str, str] = field(default_factory=_default_hours)
    # A waiting case nobody answered in this many minutes: the helpers are reminded.
    remind_minutes: int = 15
    # A claimed case whose helper has not answered in this many minutes goes back to the queue.
    requeue_minutes: int = 60
    # After closing, the person↔case link and the transcript stay this long, then are purged.
    grace_days: int = 7
    self_help: dict[str, str] = field(default_factory=_default_self_help)
    canned: dict[str, Canned] = field(default_factory=_default_canned)
    # The ICE detention information line and its hours (check ice.gov on review).
    ice_line: str = "1-888-351-4024"
    ice_line_hours: str = "weekdays / entre semana (example: check ice.gov)"
    # Free legal help shown in "¿Detuvieron a alguien?" (sample entries: replace them).
    # The helpers' Telegram forum supergroup (topics on): one topic per case; a message in
    # the topic goes to the person. Empty: helpers use the commands only.
    telegram_forum_chat_id: str = ""
    # Locale → the WhatsApp template used when a helper answers after the 24-hour window.
    whatsapp_templates: dict[str, CaseTemplate] = field(default_factory=dict)
    legal_help: tuple[str, ...] = (
        "EOIR pro bono list: justice.gov/eoir/list-pro-bono-legal-service-providers",
        "(example) Legal aid clinic: (828) 555-0102",
    )


def validate_desk(cfg: Any, problems: list[str]) -> None:
    """`[desk]`: hours, timers, topics and canned answers."""
    desk: DeskConfig = cfg.desk
    for day, span in desk.hours.items():
        match = _HOURS.match(span)
        if day not in WEEKDAYS:
            problems.append(f"desk.hours.{day}: unknown day (one of {', '.join(WEEKDAYS)})")
        elif match is None or span[:5] >= span[6:]:
            problems.append(f"desk.hours.{day}: must be HH:MM-HH:MM, opening before closing")
    for key in ("remind_minutes", "requeue_minutes", "grace_days"):
        if getattr(desk, key) <= 0:
            problems.append(f"desk.{key}: must be positive")
    for topic in desk.self_help:
        if topic not in TOPICS:
            problems.append(f"desk.self_help.{topic}: unknown topic (one of {', '.join(TOPICS)})")
    for name, canned in desk.canned.items():
        if not re.fullmatch(r"[a-z0-9_-]{1,20}", name) or not canned.es or not canned.en:
            problems.append(f"desk.canned.{name}: a short lowercase name with es and en texts")
    forum = desk.telegram_forum_chat_id
    if forum and not re.fullmatch(r"-\d+", forum):
        problems.append("desk.telegram_forum_chat_id: a group's numeric chat id (negative)")
    for locale, template in desk.whatsapp_templates.items():
        if locale not in ("es", "en") or not template.name or not template.language:
            problems.append(f"desk.whatsapp_templates.{locale}: es or en, with a name and a "
                            "language")
    for channel, ids in desk.helpers.items():
        if channel not in ("console", "telegram", "whatsapp"):
            problems.append(f"desk.helpers.{channel}: unknown channel")
        if channel == "telegram" and not all(i.isdigit() for i in ids):
            problems.append("desk.helpers.telegram: numeric Telegram user ids")
