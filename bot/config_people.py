"""[[moderators]]: one entry per person, with one role and the id they use on each channel.

One person is one moderator, however many channels they use: the two-person rule counts people
(alerts/moderators.Roster gives each a keyed person key). Ids are normalised before comparing
("+1 (828) 555-0001" and "18285550001" are one WhatsApp number, parsed with `phonenumbers`), and
two entries with the same id or the same name, or an entry without a role or an id, stop the start
with every such problem listed.

The old per-channel format (`channels.<channel>.moderators` lists and `[moderation.roles.*]`
tables) is migrated when it names moderators on one channel (the console's pretend moderators
aside): each id is then one person. Ids on two channels cannot be migrated, because only the
operator knows who is the same person there: the start is refused with the entries to write.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import phonenumbers

if TYPE_CHECKING:
    from bot.config import Config

MODERATOR_ROLES = ("field", "verifier", "publisher", "admin")   # "field": issue 17
PERSON_CHANNELS = ("console", "telegram", "whatsapp")
_RANK = {role: i for i, role in enumerate(MODERATOR_ROLES)}


@dataclass(frozen=True)
class Moderator:
    """One person who moderates. `name` is a label for this file only: it is never stored,
    and only a keyed hash of it identifies the person's decisions."""

    name: str = ""
    role: str = ""
    console: str = ""
    telegram: str = ""
    whatsapp: str = ""

    def ids(self) -> dict[str, str]:
        """Channel → the id this person uses there (channels they do not use are left out)."""
        return {channel: getattr(self, channel) for channel in PERSON_CHANNELS
                if getattr(self, channel)}


def normalise_id(channel: str, value: str) -> str | None:
    """The one spelling of a moderator id on `channel`; None when it cannot be one.

    WhatsApp: a phone number in any punctuation, with its country code ("+1 (828) 555-0001",
    "18285550001") becomes E.164 digits without "+", what WhatsApp calls the wa_id; a
    business-scoped user id (letters, e.g. "US.1349…") is kept as written.
    Telegram: a numeric user id. Console: any name.
    """
    text = value.strip()
    if not text:
        return None
    if channel == "telegram":
        return text if text.isascii() and text.isdigit() else None
    if channel != "whatsapp":
        return text
    if re.fullmatch(r"[A-Za-z]{2}\.[A-Za-z0-9]{6,}", text):
        return text
    digits = re.sub(r"[\s().+-]", "", text)
    if not (digits.isascii() and digits.isdigit()):
        return None
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def _old_ids(cfg: Config) -> dict[str, dict[str, str]]:
    """The old format's moderators: channel → normalised id → role (roles tables win over the
    lists, which give "verifier")."""
    found: dict[str, dict[str, str]] = {}
    for channel in PERSON_CHANNELS:
        listed = getattr(getattr(cfg.channels, channel), "moderators", ())
        table = found.setdefault(channel, {})
        for actor in listed:
            key = normalise_id(channel, str(actor))
            if key is not None:
                table.setdefault(key, "verifier")
    for channel, roles in cfg.moderation.roles.items():
        if channel not in PERSON_CHANNELS:
            continue  # reported by check_old_roles
        table = found.setdefault(channel, {})
        given: dict[str, str] = {}
        for actor, role in roles.items():
            key = normalise_id(channel, str(actor))
            if key is None or role not in MODERATOR_ROLES:
                continue
            if key in given and given[key] != role:
                # Caught by check_people; keep the lesser role until it is fixed.
                role = min(role, given[key], key=lambda r: _RANK.get(r, -1))
            given[key] = table[key] = role
    return {channel: ids for channel, ids in found.items() if ids}


def _explicit_channels(data: dict[str, Any]) -> set[str]:
    """Channels whose moderators the file itself names in the old format."""
    channels = data.get("channels", {})
    named = {c for c, table in channels.items()
             if isinstance(table, dict) and table.get("moderators")} \
        if isinstance(channels, dict) else set()
    roles = data.get("moderation", {}).get("roles", {}) \
        if isinstance(data.get("moderation"), dict) else {}
    return named | ({c for c, t in roles.items() if t} if isinstance(roles, dict) else set())


def block(person: Moderator) -> str:
    """The TOML entry to write for one person."""
    lines = ["[[moderators]]", f'name = "{person.name}"', f'role = "{person.role}"']
    lines += [f'{channel} = "{actor}"' for channel, actor in person.ids().items()]
    return "\n".join(lines)


def migrate(cfg: Config, data: dict[str, Any], problems: list[str]) -> tuple[Moderator, ...]:
    """People from the old per-channel format (see the module docstring)."""
    old = _old_ids(cfg)
    people = tuple(Moderator(name=f"{channel} {actor}", role=role, **{channel: actor})
                   for channel, ids in old.items() for actor, role in ids.items())
    ambiguous = sorted(_explicit_channels(data) - {"console"})
    if len(ambiguous) > 1:
        entries = "\n\n".join(block(p) for p in people)
        problems.append(
            f"moderators are listed per channel ({', '.join(ambiguous)}), so one person on two "
            "channels would count as two moderators. Remove channels.*.moderators and "
            "[moderation.roles.*] and write one [[moderators]] entry per person instead, "
            "merging the entries of anyone who uses two channels (one name, one role):\n\n"
            + entries)
    return people


def _check_entry(i: int, person: Moderator, problems: list[str]) -> Moderator:
    where = f"moderators[{i}]"
    if not person.name.strip():
        problems.append(f"{where}.name: every moderator needs a name (a label for this file)")
    if person.role not in MODERATOR_ROLES:
        problems.append(f"{where}.role: must be one of {', '.join(MODERATOR_ROLES)}")
    if not person.ids():
        problems.append(f"{where}: needs the id they use on at least one channel "
                        f"({', '.join(PERSON_CHANNELS)})")
    normalised = {}
    for channel, actor in person.ids().items():
        key = normalise_id(channel, actor)
        if key is None:
            what = "a numeric Telegram user id" if channel == "telegram" else \
                "a phone number with its country code (or a WhatsApp user id)"
            problems.append(f"{where}.{channel}: must be {what}")
        normalised[channel] = key or actor
    return dataclasses.replace(person, name=person.name.strip(), **normalised)


def check_people(people: tuple[Moderator, ...], problems: list[str]) -> tuple[Moderator, ...]:
    """Normalises every entry and lists every duplicate or contradiction."""
    checked = tuple(_check_entry(i, p, problems) for i, p in enumerate(people))
    names: dict[str, list[int]] = {}
    ids: dict[tuple[str, str], list[int]] = {}
    for i, person in enumerate(checked):
        names.setdefault(person.name.casefold(), []).append(i)
        for channel, actor in person.ids().items():
            ids.setdefault((channel, actor), []).append(i)
    for entries in names.values():
        if len(entries) > 1 and checked[entries[0]].name:
            problems.append(f"{_entries(entries)} have the same name: one person, one entry")
    for (channel, _), entries in ids.items():
        if len(entries) > 1:
            roles = {checked[i].role for i in entries}
            how = "with different roles" if len(roles) > 1 else "twice"
            problems.append(f"{_entries(entries)} list the same {channel} id {how}: one "
                            "person, one entry")
    return checked


def check_old_roles(cfg: Config, problems: list[str]) -> None:
    """Old-format roles tables: known channels and roles, and one role per (normalised) id."""
    for channel, table in cfg.moderation.roles.items():
        if channel not in PERSON_CHANNELS:
            problems.append(f"moderation.roles.{channel}: unknown channel "
                            f"(one of {', '.join(sorted(PERSON_CHANNELS))})")
        seen: dict[str, str] = {}
        for actor, role in table.items():
            if role not in MODERATOR_ROLES:
                problems.append(f"moderation.roles.{channel}.{actor}: role must be one of "
                                f"{', '.join(MODERATOR_ROLES)}")
            key = normalise_id(channel, actor)
            if key is not None and seen.get(key, role) != role:
                problems.append(f"moderation.roles.{channel}: two entries are the same id "
                                f"with different roles ({seen[key]}, {role})")
            if key is not None:
                seen[key] = role


def _entries(indexes: list[int]) -> str:
    names = [f"moderators[{i}]" for i in indexes]
    return ", ".join(names[:-1]) + " and " + names[-1]


def resolve(cfg: Config, data: dict[str, Any], problems: list[str]) -> tuple[Moderator, ...]:
    """The configured people: the [[moderators]] entries, or the old format migrated."""
    check_old_roles(cfg, problems)
    if "moderators" not in data:
        return check_people(migrate(cfg, data, problems), problems)
    for channel in sorted(_explicit_channels(data)):
        problems.append(f"{channel}: moderators are listed both in [[moderators]] and in the "
                        f"old per-channel format (channels.{channel}.moderators or "
                        f"[moderation.roles.{channel}]); keep only the [[moderators]] entries")
    return check_people(cfg.moderators, problems)
