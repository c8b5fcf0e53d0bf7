"""Who moderates, from the config alone: roles per channel and where cards go.

A channel's `moderators = [ids]` list makes each id a verifier; `[moderation.roles.<channel>]`
gives an id another role (or the same one) and needs no entry in the list.
"""

from __future__ import annotations

import dataclasses

from alerts.models import Role
from bot.config import Config
from bot.messages import Address


def roles_on(config: Config, channel: str) -> dict[str, Role]:
    """Every moderator id of one channel with its role."""
    channel_config = getattr(config.channels, channel, None)
    roles = {str(actor): Role.VERIFIER for actor in getattr(channel_config, "moderators", ())}
    for actor, role in config.moderation.roles.get(channel, {}).items():
        roles[str(actor)] = Role(role)
    return roles


def role_of(config: Config, channel: str, actor: str) -> Role:
    return roles_on(config, channel).get(actor, Role.PERSON)


def room(config: Config) -> list[Address]:
    """Where a report card goes: the Telegram moderators' group when one is configured, and
    every moderator directly on the other enabled channels."""
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
    """How many moderator ids the config lists, over every enabled channel."""
    return sum(sum(1 for role in roles_on(config, spec.name).values()
                   if role.at_least(Role.VERIFIER))    # field verifiers do not decide
               for spec in dataclasses.fields(config.channels)
               if getattr(getattr(config.channels, spec.name), "enabled", False))
