"""[channels.*]: the console, Telegram and WhatsApp settings and their checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config_tools import secret

if TYPE_CHECKING:
    from bot.config import Config


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
    # Seconds of retrying an unreachable Bot API at start-up before giving up.
    startup_patience_seconds: int = 300


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
    # The same for moderator traffic (cards, previews, notices): a template of its own, never
    # the alerts' one; without it a moderator outside the window is skipped (and audited).
    moderator_templates: dict[str, WhatsAppTemplate] = field(default_factory=dict)
    business_account_id: str = ""   # only for `compa doctor`'s template check


@dataclass(frozen=True)
class ChannelsConfig:
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    whatsapp: WhatsAppConfig = field(default_factory=WhatsAppConfig)



def check_whatsapp(cfg: Config, problems: list[str]) -> None:
    """WhatsApp needs its ids and secrets: without the app secret webhooks cannot be trusted."""
    wa = cfg.channels.whatsapp
    named = [("templates", wa.templates), ("moderator_templates", wa.moderator_templates)]
    for key, locale, template in ((k, loc, tpl) for k, table in named
                                  for loc, tpl in table.items()):
        where = f"channels.whatsapp.{key}.{locale}"
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
_LOCAL_HTTP = re.compile(r"^http://(127\.0\.0\.1|localhost)(:\d+)?(/|$)")


def check_telegram(cfg: Config, problems: list[str]) -> None:
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
    elif not (tg.webhook_url.startswith("https://") or _LOCAL_HTTP.match(tg.webhook_url)):
        # Telegram refuses to post to plain http; only a local test server may use it.
        problems.append(f"{where}.webhook_url: must start with https:// (Telegram only posts "
                        "webhooks over TLS)")
    hook_secret = secret(tg.webhook_secret_env)
    if hook_secret is None:
        problems.append(f"{where}.webhook_secret_env: set the environment variable "
                        f"{tg.webhook_secret_env} to a random secret for webhook mode")
    elif not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", hook_secret):
        problems.append(f"{where}.webhook_secret_env: the secret in {tg.webhook_secret_env} "
                        "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")


