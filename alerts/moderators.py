"""Who moderates, from the config alone: people, their roles, and where cards go.

The config names moderators as people (bot/config_people.py), each with one role and the ids
they use on each channel. `Roster` answers, for a chat on any channel or for a pseudonym, which
person it is: a *person key*, HMAC of the person's configured name with a key derived from the
pepper. Decisions and confirmations are stored under it, so one person on two channels is one
vote, and the key in the database says nothing about who it is.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from alerts.models import Role
from bot.channels import whatsapp_ids
from bot.channels.identity import person_key
from bot.config import Config, Moderator
from bot.config_people import normalise_id
from bot.i18n import I18n
from bot.messages import Address, Reply, SendResult
from bot.privacy import Privacy
from bot.store import Database
from bot.store import users as user_store


class Room(Protocol):
    """What telling the moderators' room needs (the composition root offers it)."""

    @property
    def config(self) -> Config: ...
    @property
    def db(self) -> Database: ...
    @property
    def i18n(self) -> I18n: ...

    def pid_for(self, address: Address) -> str: ...

    async def send(self, address: Address, reply: Reply) -> SendResult: ...


def _ids_of(address: Address) -> list[str]:
    """The normalised ids a chat may be listed under (a WhatsApp chat can carry two)."""
    if address.channel == whatsapp_ids.CHANNEL:
        identity = whatsapp_ids.decode(address.chat_id)
        raw = [x for x in (identity.wa_id, identity.bsuid) if x]
    else:
        raw = [address.chat_id]
    return [key for key in (normalise_id(address.channel, x) for x in raw) if key is not None]


class Roster:
    """The configured people, looked up by chat or by pseudonym."""

    def __init__(self, config: Config, privacy: Privacy) -> None:
        self._by_id: dict[tuple[str, str], Moderator] = {}
        self._keys: dict[str, str] = {}
        self._by_pid: dict[str, str] = {}
        self._privacy = privacy
        for person in config.moderators:
            key = privacy.mac("moderator", person.name.casefold())
            self._keys[person.name] = key
            for channel, actor in person.ids().items():
                self._by_id[(channel, actor)] = person
                pid = privacy.pseudonym(channel, person_key(Address(channel, actor)))
                self._by_pid[pid] = key

    def moderator(self, address: Address) -> Moderator | None:
        for actor in _ids_of(address):
            found = self._by_id.get((address.channel, actor))
            if found is not None:
                # The chat may be spelled differently from the config (a WhatsApp chat with a
                # wa_id and a BSUID): remember its pseudonym too, for person_of.
                pid = self._privacy.pseudonym(address.channel, person_key(address))
                self._by_pid.setdefault(pid, self._keys[found.name])
                return found
        return None

    def person(self, address: Address) -> str | None:
        """The person key of the moderator at `address`; None for anyone else."""
        found = self.moderator(address)
        return self._keys[found.name] if found is not None else None

    def person_of(self, pid: str) -> str | None:
        """The person key behind a user pseudonym; None when it is not a moderator's."""
        return self._by_pid.get(pid)

    def role(self, address: Address) -> Role:
        found = self.moderator(address)
        return Role(found.role) if found is not None else Role.PERSON

    def __len__(self) -> int:
        return len(self._keys)


def roles_on(config: Config, channel: str) -> dict[str, Role]:
    """Every moderator id of one channel (normalised) with its role."""
    return {person.ids()[channel]: Role(person.role) for person in config.moderators
            if channel in person.ids()}


def role_of(config: Config, channel: str, actor: str) -> Role:
    key = normalise_id(channel, actor)
    return roles_on(config, channel).get(key, Role.PERSON) if key else Role.PERSON


def room(config: Config) -> list[Address]:
    """Where a report card goes: the Telegram moderators' group when one is configured, and
    every moderator directly on the other enabled channels (once per person and channel)."""
    addresses: list[Address] = []
    for spec in dataclasses.fields(config.channels):
        channel, channel_config = spec.name, getattr(config.channels, spec.name)
        if not getattr(channel_config, "enabled", False):
            continue
        group = getattr(channel_config, "moderators_chat_id", "")
        if group:
            addresses.append(Address(channel, str(group)))
            continue
        # Field verifiers (issue 17) never get cards: they only hear of their own dispatches.
        addresses.extend(Address(channel, actor) for actor, role
                         in roles_on(config, channel).items() if role.at_least(Role.VERIFIER))
    return addresses


def count(config: Config) -> int:
    """How many people moderate (decide) on at least one enabled channel; field verifiers
    (issue 17) do not decide."""
    enabled = {spec.name for spec in dataclasses.fields(config.channels)
               if getattr(getattr(config.channels, spec.name), "enabled", False)}
    return sum(1 for person in config.moderators if enabled & set(person.ids())
               and Role(person.role).at_least(Role.VERIFIER))


async def tell_room(app: Room, message: str, **kwargs: object) -> int:
    """Sends a message (an N_ string) to every moderator, each in their language, from a job
    (no conversation to answer); returns how many sends succeeded."""
    from bot.messages import Reply

    sent = 0
    for address in room(app.config):
        group = getattr(getattr(app.config.channels, address.channel, None),
                        "moderators_chat_id", "")
        locale = None if group and str(group) == address.chat_id else \
            await user_store.locale_of(app.db, app.pid_for(address))
        t = app.i18n.translator(locale or app.config.bot.default_locale)
        result = await app.send(address, Reply(t(message, **kwargs), staff=True))
        sent += result.ok
    return sent
