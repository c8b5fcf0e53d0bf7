"""What the platforms say about our setup, for `compa doctor` and `/estado`.

Telegram: `getWebhookInfo` (where updates go, how many wait, the last delivery error), over
aiohttp like the channel's own HTTP layer. WhatsApp: the phone number (is the token valid?)
and the message templates' approval status, over the channel's httpx client with the same
Graph API rewrite. Each answer's Date header tells how far our clock is from the platform's.
Nothing here raises for a platform or network failure: it is reported as a finding. Errors
never carry URLs (the Telegram token is in the path).
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
from pywa.utils import Version

from bot.channels.whatsapp import GRAPH_HOST, RewriteTransport
from bot.config import TelegramConfig, WhatsAppConfig

TIMEOUT = 15.0


@dataclass
class Probe:
    """One platform's answers: problems found, facts worth showing, and its clock."""

    problems: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    server_time: float | None = None


def _date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


async def telegram_webhook(config: TelegramConfig, token: str, now: float,
                           max_pending: int = 100) -> Probe:
    """getWebhookInfo, checked against the configured mode."""
    probe = Probe()
    url = f"{config.api_base_url.rstrip('/')}/bot{token}/getWebhookInfo"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as s, \
                s.get(url) as resp:
            probe.server_time = _date(resp.headers.get("Date"))
            body = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        probe.problems.append(f"telegram: the Bot API did not answer ({type(exc).__name__})")
        return probe
    if not isinstance(body, dict) or not body.get("ok"):
        code = body.get("error_code") if isinstance(body, dict) else None
        what = "the token was refused" if code in (401, 404) else f"error {code}"
        probe.problems.append(f"telegram: getWebhookInfo failed: {what}")
        return probe
    info = body.get("result") or {}
    hook_url, pending = str(info.get("url") or ""), int(info.get("pending_update_count") or 0)
    probe.facts.update(webhook_url=hook_url, pending=pending,
                       last_error=info.get("last_error_message"))
    if config.mode == "webhook":
        if hook_url != config.webhook_url:
            probe.problems.append(f"telegram: the webhook Telegram has is {hook_url or 'none'!r}"
                                  f", the config says {config.webhook_url!r} (`compa run` sets "
                                  "it at start)")
        last_error = info.get("last_error_message")
        if last_error:
            when = int(info.get("last_error_date") or 0)
            ago = f", {int((now - when) // 60)} min ago" if when else ""
            probe.problems.append(f"telegram: Telegram cannot reach the webhook: {last_error}"
                                  f"{ago}")
    elif hook_url:
        probe.problems.append("telegram: a webhook is set but the config says polling (`compa "
                              "run` removes it at start; another bot may be using this token)")
    if pending > max_pending:
        probe.problems.append(f"telegram: {pending} updates are waiting to be delivered")
    return probe


def graph_client(config: WhatsAppConfig) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=RewriteTransport(config.api_base_url),
                             timeout=httpx.Timeout(TIMEOUT))


async def whatsapp_account(config: WhatsAppConfig, token: str) -> Probe:
    """Is the token valid for this phone number, and are the templates approved?"""
    probe = Probe()
    base = f"https://{GRAPH_HOST}/{Version.GRAPH_API}"
    headers = {"Authorization": f"Bearer {token}"}
    async with graph_client(config) as client:
        try:
            resp = await client.get(f"{base}/{config.phone_number_id}", headers=headers,
                                    params={"fields": "display_phone_number,verified_name"})
        except httpx.HTTPError as exc:
            probe.problems.append(f"whatsapp: the Graph API did not answer "
                                  f"({type(exc).__name__})")
            return probe
        probe.server_time = _date(resp.headers.get("date"))
        if resp.status_code != 200:
            probe.problems.append(f"whatsapp: the token or phone_number_id was refused "
                                  f"({_graph_error(resp)})")
            return probe
        wanted = config.templates or config.moderator_templates
        if wanted and not config.business_account_id:
            probe.facts["templates"] = "not checked: set channels.whatsapp.business_account_id"
        elif wanted:
            await _templates(client, base, headers, config, probe)
    return probe


def _graph_error(resp: httpx.Response) -> str:
    try:
        error = resp.json().get("error") or {}
        return f"HTTP {resp.status_code}, code {error.get('code')}"
    except ValueError:
        return f"HTTP {resp.status_code}"


async def _templates(client: httpx.AsyncClient, base: str, headers: dict[str, str],
                     config: WhatsAppConfig, probe: Probe) -> None:
    try:
        resp = await client.get(f"{base}/{config.business_account_id}/message_templates",
                                headers=headers,
                                params={"fields": "name,language,status", "limit": "200"})
        rows = resp.json().get("data") if resp.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        rows = None
    if not isinstance(rows, list):
        probe.problems.append("whatsapp: the message templates could not be listed "
                              "(check channels.whatsapp.business_account_id and the token)")
        return
    status = {(r.get("name"), r.get("language")): r.get("status") for r in rows}
    wanted = [(loc, t) for table in (config.templates, config.moderator_templates)
              for loc, t in sorted(table.items())]
    for locale, template in wanted:
        found = status.get((template.name, template.language))
        if found != "APPROVED":
            probe.problems.append(f"whatsapp: template {template.name!r} ({template.language}, "
                                  f"for {locale}) is {found or 'missing'}, not APPROVED")
