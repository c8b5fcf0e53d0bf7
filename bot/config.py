"""Configuration: TOML → frozen dataclasses, validated in one pass.

Every problem (unknown keys, wrong types, missing secrets) is collected and reported together in
one `ConfigError`, so an operator fixes the file once instead of once per restart. Secrets never
live in the file: it names the environment variables that hold them.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from bot import rrn_config
from bot.rrn_config import RrnConfig

DEFAULT_CONFIG_NAME = "config.toml"


class ConfigError(Exception):
    """Raised with every problem found, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


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
class ConsoleConfig:
    enabled: bool = True
    # The console is only reachable from this terminal, so by default two pretend moderators
    # let a newcomer try the whole flow (see [moderation] roles: mod1 admin, mod2 publisher).
    moderators: tuple[str, ...] = ("mod1", "mod2")


@dataclass(frozen=True)
class TelegramConfig:
    enabled: bool = False
    token_env: str = "TELEGRAM_BOT_TOKEN"
    api_base_url: str = "https://api.telegram.org"
    mode: str = "polling"
    webhook_url: str = ""
    webhook_secret_env: str = "TELEGRAM_WEBHOOK_SECRET"
    moderators_chat_id: str = ""
    moderators: tuple[str, ...] = ()


# What can fill a WhatsApp template's {{1}}, {{2}}…: the message (on one line), or a resource.
TEMPLATE_PARAMETERS = ("text", "org_name", "hotline")


@dataclass(frozen=True)
class WhatsAppTemplate:
    """An approved message template, used outside the 24-hour window (alerts, digests)."""

    name: str = ""
    language: str = ""            # Meta's language code, e.g. "es", "es_MX", "en_US"
    parameters: tuple[str, ...] = ("text",)


@dataclass(frozen=True)
class WhatsAppConfig:
    enabled: bool = False
    phone_number_id: str = ""
    token_env: str = "WHATSAPP_TOKEN"
    app_secret_env: str = "WHATSAPP_APP_SECRET"
    verify_token_env: str = "WHATSAPP_VERIFY_TOKEN"
    api_base_url: str = "https://graph.facebook.com"
    webhook_path: str = "/whatsapp/webhook"
    moderators: tuple[str, ...] = ()
    # Locale ("es", "en") → template; a locale without one falls back to the default locale's.
    templates: dict[str, WhatsAppTemplate] = field(default_factory=dict)
    business_account_id: str = ""   # only for `compa doctor`'s template check


@dataclass(frozen=True)
class ChannelsConfig:
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    whatsapp: WhatsAppConfig = field(default_factory=WhatsAppConfig)


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
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    moderation: ModerationConfig = field(default_factory=ModerationConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
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


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _convert(value: Any, tp: Any, where: str, problems: list[str]) -> Any:
    """Checks and converts one value against a type hint, collecting problems."""
    origin = get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            problems.append(f"{where}: expected a table")
            return tp()
        return _build(tp, value, where, problems)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(value, options[0], where, problems)
    if origin is tuple:
        item_tp = get_args(tp)[0]
        if not isinstance(value, list):
            problems.append(f"{where}: expected a list")
            return ()
        return tuple(_convert(v, item_tp, f"{where}[{i}]", problems) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            problems.append(f"{where}: expected a table")
            return {}
        _key_tp, val_tp = get_args(tp)
        return {str(k): _convert(v, val_tp, f"{where}.{k}", problems) for k, v in value.items()}
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is str and isinstance(value, int) and not isinstance(value, bool):
        # Ids (Telegram user ids, phone numbers) are opaque strings even when written bare.
        return str(value)
    if (tp is int and isinstance(value, bool)) or not isinstance(value, tp):
        problems.append(f"{where}: expected {_type_name(tp)}, got {type(value).__name__}")
        return None
    return value


def _build(cls: type[Any], data: dict[str, Any], where: str, problems: list[str]) -> Any:
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init and f.name != "source"}
    for key in data:
        if key not in names:
            problems.append(f"{where + '.' if where else ''}{key}: unknown key")
    kwargs = {}
    for name in names:
        if name in data:
            value = _convert(data[name], hints[name], f"{where + '.' if where else ''}{name}",
                             problems)
            if value is not None:
                kwargs[name] = value
    return cls(**kwargs)


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
    if not 0 <= cfg.web.port <= 65535:
        problems.append("web.port: must be 0-65535")
    for extra in _VALIDATORS:
        extra(cfg, problems)


def _validate_alerts(alerts: AlertsConfig, problems: list[str]) -> None:
    import re

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
def _validate_whatsapp(cfg: Config, problems: list[str]) -> None:
    """WhatsApp needs its ids and secrets: without the app secret webhooks cannot be trusted."""
    wa = cfg.channels.whatsapp
    for locale, template in wa.templates.items():
        where = f"channels.whatsapp.templates.{locale}"
        if locale not in ("es", "en"):
            problems.append(f"{where}: the locale must be 'es' or 'en'")
        if not template.name or not template.language:
            problems.append(f"{where}: needs a name and a language")
        for parameter in template.parameters:
            if parameter not in TEMPLATE_PARAMETERS:
                problems.append(f"{where}.parameters: unknown {parameter!r} "
                                f"(one of {', '.join(TEMPLATE_PARAMETERS)})")
    if not wa.webhook_path.startswith("/"):
        problems.append("channels.whatsapp.webhook_path: must start with '/'")
    if not wa.enabled:
        return
    if not wa.phone_number_id:
        problems.append("channels.whatsapp.phone_number_id: required when WhatsApp is enabled")
    if not wa.api_base_url.startswith(("http://", "https://")):
        problems.append("channels.whatsapp.api_base_url: must be an http(s) URL")
    for key in ("token_env", "app_secret_env", "verify_token_env"):
        env_name = getattr(wa, key)
        if secret(env_name) is None:
            problems.append(f"channels.whatsapp.{key}: environment variable {env_name} "
                            "is not set (WhatsApp cannot start without it)")


_HTTP_URL = re.compile(r"^https?://[^/\s]+")


def _check_telegram(cfg: Config, problems: list[str]) -> None:
    """[channels.telegram]: shapes always; the token (and webhook needs) when enabled."""
    tg = cfg.channels.telegram
    where = "channels.telegram"
    if tg.mode not in ("polling", "webhook"):
        problems.append(f"{where}.mode: must be 'polling' or 'webhook'")
    if not _HTTP_URL.match(tg.api_base_url):
        problems.append(f"{where}.api_base_url: must be an http(s) URL")
    if tg.moderators_chat_id and not re.fullmatch(r"-?\d+", tg.moderators_chat_id):
        problems.append(f"{where}.moderators_chat_id: must be a numeric chat id (groups are "
                        "negative)")
    for i, user_id in enumerate(tg.moderators):
        if not user_id.isdigit():
            problems.append(f"{where}.moderators[{i}]: must be a numeric Telegram user id")
    if not tg.enabled:
        return
    if secret(tg.token_env) is None:
        problems.append(f"{where}.token_env: set the environment variable {tg.token_env} to "
                        "the bot token from BotFather")
    if tg.mode != "webhook":
        return
    if not _HTTP_URL.match(tg.webhook_url):
        problems.append(f"{where}.webhook_url: webhook mode needs the public https:// address "
                        "Telegram posts to")
    hook_secret = secret(tg.webhook_secret_env)
    if hook_secret is None:
        problems.append(f"{where}.webhook_secret_env: set the environment variable "
                        f"{tg.webhook_secret_env} to a random secret for webhook mode")
    elif not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", hook_secret):
        problems.append(f"{where}.webhook_secret_env: the secret in {tg.webhook_secret_env} "
                        "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")


# Channel and feature modules register extra checks (e.g. a secret env var that must be set).
_VALIDATORS: list[Any] = [_check_telegram, _validate_whatsapp]

MODERATOR_ROLES = ("field", "verifier", "publisher", "admin")   # "field": issue 17


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
    channels = {f.name for f in dataclasses.fields(ChannelsConfig)}
    for channel, table in cfg.moderation.roles.items():
        if channel not in channels:
            problems.append(f"moderation.roles.{channel}: unknown channel "
                            f"(one of {', '.join(sorted(channels))})")
        for actor, role in table.items():
            if role not in MODERATOR_ROLES:
                problems.append(f"moderation.roles.{channel}.{actor}: role must be one of "
                                f"{', '.join(MODERATOR_ROLES)}")


_VALIDATORS.append(_validate_reports)
_VALIDATORS.append(rrn_config.validate)


def _check_examples(cfg: Config, problems: list[str]) -> None:
    """No public channel while a resource is an example (bot/placeholders.py)."""
    from bot.placeholders import check_public_channels

    for locale in cfg.resources.hotline_hours:
        if locale not in ("es", "en"):
            problems.append(f"resources.hotline_hours.{locale}: the locale must be 'es' or 'en'")
    check_public_channels(cfg, problems)


_VALIDATORS.append(_check_examples)

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


_VALIDATORS.append(_validate_operations)


def parse(data: dict[str, Any], source: str | None = None) -> Config:
    """Builds a Config from a parsed TOML table, raising one ConfigError with every problem."""
    problems: list[str] = []
    cfg: Config = dataclasses.replace(_build(Config, data, "", problems), source=source)
    # Wrongly typed values fell back to defaults above, so the semantic checks can still run
    # and the operator sees every problem at once.
    _validate(cfg, problems)
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


def secret(env_name: str) -> str | None:
    """A secret from the environment variable the config names; None when unset or empty."""
    value = os.environ.get(env_name, "")
    return value or None
