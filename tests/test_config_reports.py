"""The reports, moderation and retention config: defaults, validation, the example file."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, parse

ROOT = Path(__file__).resolve().parent.parent


def test_defaults() -> None:
    cfg = parse({})
    assert cfg.moderation.verifications_required == 2
    # Only the console's pretend moderators (and, issue 17, a pretend field verifier) have a
    # role by default (local terminal only).
    assert cfg.moderation.roles == {"console": {"mod1": "admin", "mod2": "publisher",
                                                "campo1": "field"}}
    assert cfg.reports.allow_photos is False
    assert (cfg.retention.undecided_report_hours, cfg.retention.decided_report_days,
            cfg.retention.audit_days, cfg.retention.followup_hours) == (72, 30, 180, 24)


def test_the_example_config_parses_and_documents_every_key() -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    cfg = parse(tomllib.loads(text))
    assert [(p.name, p.role, p.console) for p in cfg.moderators] == \
        [("mod1", "admin", "mod1"), ("mod2", "publisher", "mod2"),
         ("campo1", "field", "campo1")]
    for section in ("moderation", "reports", "retention"):
        assert f"[{section}]" in text
        for spec in dataclasses.fields(getattr(Config(), section)):
            assert spec.name in text, f"{section}.{spec.name} is not in config.example.toml"
    assert "[[moderators]]" in text
    for spec in dataclasses.fields(cfg.moderators[0]):
        assert f"#   {spec.name} " in text, f"moderators.{spec.name} is not documented"


def test_roles_tables_in_toml() -> None:
    cfg = parse(tomllib.loads('[moderation.roles.console]\nlead = "admin"\n'
                              '[moderation.roles.telegram]\n123456789 = "publisher"\n'))
    assert cfg.moderation.roles == {"console": {"lead": "admin"},
                                    "telegram": {"123456789": "publisher"}}


@pytest.mark.parametrize("section, key", [
    ("reports", "max_per_person_per_hour"), ("reports", "flood_reports_per_hour"),
    ("reports", "photo_max_bytes"), ("reports", "details_max_chars"),
    ("reports", "similar_window_minutes"), ("retention", "undecided_report_hours"),
    ("retention", "decided_report_days"), ("retention", "audit_days"),
    ("retention", "followup_hours"), ("moderation", "verifications_required"),
])
def test_limits_must_be_positive(section: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse({section: {key: 0}})
    assert f"{section}.{key}: must be positive" in info.value.problems


def test_unknown_keys_and_types_are_reported() -> None:
    with pytest.raises(ConfigError) as info:
        parse({"reports": {"allow_photo": True, "details_max_chars": "long"}})
    assert "reports.allow_photo: unknown key" in info.value.problems
    assert "reports.details_max_chars: expected int, got str" in info.value.problems
