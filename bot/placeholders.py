"""Example values must never reach people as if they were real.

The shipped defaults and `config.example.toml` carry example resources: 555-01xx numbers (the
range reserved for fiction), example.org / example.com addresses, "Sample …" and "Example St".
Compa refuses to start a public channel (Telegram, WhatsApp) while any resource is one of these,
`compa content check` reports them, and the console marks them "(example number)" wherever shown.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.i18n import N_, Translate

if TYPE_CHECKING:
    from bot.config import Config, ResourcesConfig

PUBLIC_CHANNELS = ("telegram", "whatsapp")

_EXAMPLES = (
    (re.compile(r"555\W{0,3}01\d\d(?!\d)"), "a 555-01xx number (reserved for fiction)"),
    (re.compile(r"\bexample\.(?:org|com|net)\b", re.I), "an example.org/.com address"),
    (re.compile(r"\bexample st\b", re.I), "an 'Example St' address"),
    (re.compile(r"\b(?:sample|example|ejemplo)\b", re.I), "marked as a sample or example"),
)

EXAMPLE_MARK = N_("(example number)")


def example_reason(value: str) -> str | None:
    """Why `value` is an example and not a real resource; None when it looks real."""
    for pattern, reason in _EXAMPLES:
        if pattern.search(value):
            return reason
    return None


def resource_values(resources: ResourcesConfig) -> list[tuple[str, str]]:
    """Every resource a person can be shown, as (config key, value)."""
    values = [("resources.hotline", resources.hotline),
              ("resources.crisis_line", resources.crisis_line),
              ("resources.legal_aid", resources.legal_aid)]
    values += [(f"resources.hotline_hours.{locale}", hours)
               for locale, hours in sorted(resources.hotline_hours.items())]
    for i, site in enumerate(resources.distribution_sites):
        where = f"resources.distribution_sites[{i}]"
        values += [(f"{where}.name", site.name), (f"{where}.place", site.place),
                   (f"{where}.days", site.days)]
    return values


def example_resources(resources: ResourcesConfig) -> list[str]:
    """One line per example resource, naming the key, the value and why."""
    return [f"{key} = {value!r} is an example ({reason}): replace it with the real one"
            for key, value in resource_values(resources)
            if (reason := example_reason(value)) is not None]


def check_public_channels(cfg: Config, problems: list[str]) -> None:
    """A config validator: no public channel while a resource is an example."""
    public = [name for name in PUBLIC_CHANNELS if getattr(cfg.channels, name).enabled]
    if not public:
        return
    for line in example_resources(cfg.resources):
        problems.append(f"{line} (refused while {' and '.join(public)} "
                        f"{'is' if len(public) == 1 else 'are'} enabled)")


def shown(value: str, t: Translate) -> str:
    """A resource as people see it: examples carry "(example number)" after them."""
    if value and example_reason(value) is not None:
        return f"{value} {t(EXAMPLE_MARK)}"
    return value


def hotline_line(resources: ResourcesConfig, t: Translate, locale: str) -> str:
    """The hotline with its hours: "(828) 555-0100 (example number), every day…"."""
    hours = resources.hours(locale)
    number = shown(resources.hotline, t)
    return f"{number} ({hours})" if hours else number
