"""Configuration: TOML → frozen dataclasses, validated in one pass.

Every problem (unknown keys, wrong types, missing secrets) is collected and reported together in
one `ConfigError`, so an operator fixes the file once instead of once per restart. Secrets never
live in the file: it names the environment variables that hold them.

Split by domain: bot/config_tools.py (TOML → dataclasses, ConfigError, secret),
bot/config_channels.py ([channels.*]), bot/config_people.py ([[moderators]]); everything is
re-exported here, so `from bot.config import …` is the one import callers need.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config_channels import (
    TEMPLATE_PARAMETERS,
    ChannelsConfig,
    ConsoleConfig,
    TelegramConfig,
    WhatsAppConfig,
    WhatsAppTemplate,
    check_telegram,
    check_whatsapp,
)
from bot.config_people import MODERATOR_ROLES, Moderator, resolve
from bot.config_tools import ConfigError, build, secret

__all__ = [
    "MODERATOR_ROLES",
    "TEMPLATE_PARAMETERS",
    "ChannelsConfig",
    "Config",
    "ConfigError",
    "ConsoleConfig",
    "Moderator",
    "TelegramConfig",
    "WhatsAppConfig",
    "WhatsAppTemplate",
    "load",
    "parse",
    "secret",
]

from bot import rrn_config
from bot.desk_config import DeskConfig
from bot.rrn_config import RrnConfig

DEFAULT_CONFIG_NAME = "config.toml"


@dataclass(frozen=True)
class BotConfig:
    data_dir: str = "./data"
    default_locale: str = "es"
    session_ttl_minutes: int = 30
    timezone: str = "America/New_York"
    log_level: str = "INFO"
    content_dir: str = ""
    log_format: str = "text"      # "text", or "json": one object per line (same redaction)


@dataclass(frozen=True)
class PrivacyConfig:
    keys_file: str = "keys.toml"
    pepper_env: str = "COMPA_PEPPER"
    seal_key_env: str = "COMPA_SEAL_KEY"


@dataclass(frozen=True)
class DistributionSite:
    name: str = ""
    place: str = ""
    days: str = ""


@dataclass(frozen=True)
class ResourcesConfig:
    org_name: str = "Compa"
    hotline: str = "(828) 555-0100"
    crisis_line: str = "(828) 555-0101"
    legal_aid: str = "(828) 555-0102"
    distribution_sites: tuple[DistributionSite, ...] = ()
    # When the hotline answers, per language ({hotline_hours} in pages, next to the number).
    hotline_hours: dict[str, str] = field(default_factory=lambda: {
        "es": "horario de ejemplo: todos los días, 24 horas",
        "en": "example hours: every day, 24 hours"})

    def hours(self, locale: str) -> str:
        """The hotline's hours in `locale`, else in any language given, else ""."""
        return self.hotline_hours.get(locale) or next(iter(self.hotline_hours.values()), "")


@dataclass(frozen=True)
class PaceConfig:
    # Messages per second for the whole channel, and the least time between two messages to
    # one person (Telegram: 30/s and 1 s; WhatsApp: 80/s and about 6 s).
    rate_per_second: float = 30.0
    per_chat_seconds: float = 1.0
    concurrency: int = 8


def _default_pace() -> dict[str, PaceConfig]:
    return {
        "telegram": PaceConfig(30.0, 1.0, 8),
        "whatsapp": PaceConfig(80.0, 6.0, 8),
        "console": PaceConfig(1000.0, 0.0, 1),
    }


@dataclass(frozen=True)
class AlertsConfig:
    expiry_hours: float = 6.0
    drill: bool = False
    critical_kinds: tuple[str, ...] = ("checkpoint", "raid")
    digest_time: str = "07:30"
    max_attempts: int = 8
    lease_seconds: float = 30.0
    batch_size: int = 200
    progress_every_seconds: float = 5.0
    catch_up_hours: float = 12.0
    # Links a broadcast may carry (the organisation's own pages: resources, the public page);
    # any other link is refused. The resources' phone numbers are always allowed.
    allowed_links: tuple[str, ...] = ()
    pace: dict[str, PaceConfig] = field(default_factory=_default_pace)


@dataclass(frozen=True)
class WebConfig:
    # The one HTTP server for webhooks (Telegram, WhatsApp) and /healthz.
    host: str = "127.0.0.1"
    port: int = 8080
    # Serve /healthz even when no channel needs webhooks (a container's health check).
    always_on: bool = False


@dataclass(frozen=True)
class BackupConfig:
    # The daily sealed backup (`compa backup FILE` works whatever this says).
    enabled: bool = False
    folder: str = "backups"        # relative to the data folder; better another disk
    time: str = "03:15"            # local time (bot.timezone)
    keep: int = 7
    passphrase_env: str = "COMPA_BACKUP_PASSPHRASE"   # unset: sealed with the keys file


@dataclass(frozen=True)
class MetricsConfig:
    # Prometheus /metrics on a listener of its own, never behind the public reverse proxy.
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 9108
    token_env: str = "COMPA_METRICS_TOKEN"  # when set, a bearer token is required


@dataclass(frozen=True)
class PublicConfig:
    # The public page and feeds of verified alerts (bot/public/), served by the web server.
    enabled: bool = False
    # The page's public address, e.g. "https://alertas.example.org": alerts then carry a link
    # to their page. Empty: alerts carry only their code.
    base_url: str = ""
    # Subscribe links shown on the page (e.g. https://t.me/CompaBot, https://wa.me/1828…).
    telegram_link: str = ""
    whatsapp_link: str = ""
    # How long a browser or proxy may keep a page; also how long Compa reuses a rendered page.
    cache_seconds: int = 30
    # All clears and false alarms stay on the page this long after they were sent.
    recent_hours: int = 24


@dataclass(frozen=True)
class ModerationConfig:
    # Different moderators who must confirm a report before it counts as verified.
    verifications_required: int = 2
    # Per channel, id → role, for roles beyond a channel's `moderators` list (verifiers).
    roles: dict[str, dict[str, str]] = field(
        default_factory=lambda: {"console": {"mod1": "admin", "mod2": "publisher",
                                             "campo1": "field"}})   # campo1: issue 17


@dataclass(frozen=True)
class ReportsConfig:
    max_per_person_per_hour: int = 3
    flood_reports_per_hour: int = 20
    allow_photos: bool = False
    photo_max_bytes: int = 10_000_000
    details_max_chars: int = 400
    similar_window_minutes: int = 60
    regions_file: str = ""


@dataclass(frozen=True)
class RetentionConfig:
    undecided_report_hours: int = 72
    decided_report_days: int = 30
    audit_days: int = 180
    followup_hours: int = 24
    alert_days: int = 30


@dataclass(frozen=True)
class Config:
    bot: BotConfig = field(default_factory=BotConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    resources: ResourcesConfig = field(default_factory=ResourcesConfig)
    channels: ChannelsConfig = field(default_factory=ChannelsConfig)
    web: WebConfig = field(default_factory=WebConfig)
    public: PublicConfig = field(default_factory=PublicConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    moderation: ModerationConfig = field(default_factory=ModerationConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    # One entry per person (bot/config_people.py); filled from the old per-channel format when
    # the file has no [[moderators]].
    moderators: tuple[Moderator, ...] = ()
    desk: DeskConfig = field(default_factory=DeskConfig)     # issue 16, bot/desk_config.py
    rrn: RrnConfig = field(default_factory=RrnConfig)   # issue 17: field verifiers' dispatch
    # Where the file was read from (None: built-in defaults); relative paths resolve from cwd.
    source: str | None = None

    @property
    def data_dir(self) -> Path:
        return Path(os.environ.get("COMPA_DATA_DIR") or self.bot.data_dir)

    @property
    def keys_path(self) -> Path:
        path = Path(self.privacy.keys_file)
        return path if path.is_absolute() else self.data_dir / path


def _validate(cfg: Config, problems: list[str]) -> None:
    if cfg.bot.default_locale not in ("es", "en"):
        problems.append("bot.default_locale: must be 'es' or 'en'")
    if cfg.bot.session_ttl_minutes <= 0:
        problems.append("bot.session_ttl_minutes: must be positive")
    if cfg.bot.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        problems.append("bot.log_level: must be DEBUG, INFO, WARNING or ERROR")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(cfg.bot.timezone)
    except Exception:
        problems.append(f"bot.timezone: unknown time zone {cfg.bot.timezone!r}")
    _validate_alerts(cfg.alerts, problems)
    check_telegram(cfg, problems)
    check_whatsapp(cfg, problems)
    if not 0 <= cfg.web.port <= 65535:
        problems.append("web.port: must be 0-65535")
    _validate_reports(cfg, problems)
    _check_examples(cfg, problems)
    _validate_operations(cfg, problems)
    _validate_public(cfg.public, problems)
    rrn_config.validate(cfg, problems)


def _validate_public(public: PublicConfig, problems: list[str]) -> None:
    for key in ("base_url", "telegram_link", "whatsapp_link"):
        value = getattr(public, key)
        if value and not re.match(r"^https?://[^/\s]+\S*$", value):
            problems.append(f"public.{key}: must be an http:// or https:// address")
    if not 0 <= public.cache_seconds <= 3600:
        problems.append("public.cache_seconds: must be 0-3600")
    if not 1 <= public.recent_hours <= 168:
        problems.append("public.recent_hours: must be 1-168")


def _validate_alerts(alerts: AlertsConfig, problems: list[str]) -> None:
    if alerts.expiry_hours <= 0:
        problems.append("alerts.expiry_hours: must be positive")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", alerts.digest_time):
        problems.append("alerts.digest_time: must be HH:MM (24 h, local time)")
    if alerts.max_attempts < 1 or alerts.batch_size < 1 or alerts.lease_seconds <= 0:
        problems.append("alerts: max_attempts, batch_size and lease_seconds must be positive")
    for name, pace in alerts.pace.items():
        if pace.rate_per_second <= 0 or pace.per_chat_seconds < 0 or pace.concurrency < 1:
            problems.append(f"alerts.pace.{name}: rate_per_second > 0, per_chat_seconds >= 0 "
                            "and concurrency >= 1")


def _validate_reports(cfg: Config, problems: list[str]) -> None:
    positive = {
        "moderation.verifications_required": cfg.moderation.verifications_required,
        "reports.max_per_person_per_hour": cfg.reports.max_per_person_per_hour,
        "reports.flood_reports_per_hour": cfg.reports.flood_reports_per_hour,
        "reports.photo_max_bytes": cfg.reports.photo_max_bytes,
        "reports.details_max_chars": cfg.reports.details_max_chars,
        "reports.similar_window_minutes": cfg.reports.similar_window_minutes,
        "retention.undecided_report_hours": cfg.retention.undecided_report_hours,
        "retention.decided_report_days": cfg.retention.decided_report_days,
        "retention.audit_days": cfg.retention.audit_days,
        "retention.followup_hours": cfg.retention.followup_hours,
    }
    for where, value in positive.items():
        if value <= 0:
            problems.append(f"{where}: must be positive")


def _check_examples(cfg: Config, problems: list[str]) -> None:
    """No public channel while a resource is an example (bot/placeholders.py)."""
    from bot.placeholders import check_public_channels

    for locale in cfg.resources.hotline_hours:
        if locale not in ("es", "en"):
            problems.append(f"resources.hotline_hours.{locale}: the locale must be 'es' or 'en'")
    check_public_channels(cfg, problems)



def _validate_operations(cfg: Config, problems: list[str]) -> None:
    """[backup], [metrics] and the log format."""
    if cfg.bot.log_format not in ("text", "json"):
        problems.append("bot.log_format: must be 'text' or 'json'")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", cfg.backup.time):
        problems.append("backup.time: must be HH:MM (24 h, local time)")
    if cfg.backup.keep < 1:
        problems.append("backup.keep: must be at least 1")
    m = cfg.metrics
    if not 0 <= m.port <= 65535:
        problems.append("metrics.port: must be 0-65535")
    if m.enabled and m.host not in ("127.0.0.1", "::1", "localhost") and not secret(m.token_env):
        problems.append(f"metrics.host: {m.host} is reachable from other machines; set "
                        f"{m.token_env} to a bearer token or bind to 127.0.0.1")
    if m.enabled and m.port and m.host == cfg.web.host and m.port == cfg.web.port:
        problems.append("metrics.port: must differ from web.port")




def best_reading(data: dict[str, Any], source: str | None = None) -> tuple[Config, list[str]]:
    """The Config a parsed TOML table describes, and every problem found in it. Wrongly typed
    values fall back to defaults, so the semantic checks still run and the operator (or
    `compa doctor`) sees every problem at once."""
    problems: list[str] = []
    cfg: Config = dataclasses.replace(build(Config, data, "", problems), source=source)
    cfg = dataclasses.replace(cfg, moderators=resolve(cfg, data, problems))
    _validate(cfg, problems)
    return cfg, problems


def parse(data: dict[str, Any], source: str | None = None) -> Config:
    """Builds a Config from a parsed TOML table, raising one ConfigError with every problem."""
    cfg, problems = best_reading(data, source)
    if problems:
        raise ConfigError(problems)
    return cfg


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """Reads the file named, else $COMPA_CONFIG, else ./config.toml if present, else defaults."""
    chosen = path or os.environ.get("COMPA_CONFIG")
    if chosen is None and Path(DEFAULT_CONFIG_NAME).exists():
        chosen = DEFAULT_CONFIG_NAME
    if chosen is None:
        return parse({}, None)
    p = Path(chosen)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{p}: file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{p}: not valid TOML ({exc})"]) from None
    return parse(data, str(p))


