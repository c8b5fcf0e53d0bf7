"""What the raid-night benchmark shares between its processes, in one place:

- every import from the test fakes (constants only: tokens, ids, fixtures), so that moving the
  fakes out of tests/ means changing the imports at the top of this file and nothing else;
- the people and the subscribers' address ranges, so the fake can tell an alert delivery from
  an answer to someone who wrote;
- the config `compa run` gets, and the fast seeding of 100,000 subscribers through the store;
- `propose_and_confirm`: "publisher A proposes, publisher B confirms" through the real commands
  and buttons (the one function to adapt when publishing changes).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bench._kit import write_config
from bot.channels.whatsapp_webhook import SIGNATURE_HEADER, sign
from compa_testkit.fakes.graph_api import FakeGraphAPI, fixture
from compa_testkit.fakes.telegram_api import BOT_ID, BOT_USERNAME, TOKEN
from compa_testkit.harness import REAL_RESOURCES

__all__ = ["BOT_ID", "BOT_USERNAME", "SIGNATURE_HEADER", "TOKEN", "fixture", "sign"]

_GRAPH = FakeGraphAPI.__dataclass_fields__
WA_TOKEN: str = str(_GRAPH["token"].default)
WA_APP_SECRET: str = str(_GRAPH["app_secret"].default)
WA_PHONE_ID: str = str(_GRAPH["phone_id"].default)
WA_WABA_ID: str = str(_GRAPH["waba_id"].default)
WA_DISPLAY: str = str(_GRAPH["display_number"].default)
TG_WEBHOOK_SECRET = "raid-night_secret"
WA_VERIFY = "raid-night-verify"

# Who is who, by address. Subscribers receive the alert; people write during the night;
# publishers publish. The fake limits (and counts) only sends to subscribers.
TG_SUBSCRIBER_BASE = 900_000_000          # Telegram chat ids 900000000…
WA_SUBSCRIBER_BASE = 15_550_000_000       # WhatsApp ids 15550000000…
TG_PEOPLE_BASE = 500_000_000
WA_PEOPLE_BASE = 17_770_000_000
PUBLISHER_A = 111_111                     # Telegram user ids with the publisher role
PUBLISHER_B = 222_222
SUBSCRIBER_SPAN = 1_000_000


def is_subscriber(channel: str, chat: str) -> bool:
    base = TG_SUBSCRIBER_BASE if channel == "telegram" else WA_SUBSCRIBER_BASE
    try:
        return 0 <= int(chat) - base < SUBSCRIBER_SPAN
    except ValueError:
        return False


ALERT_REGION = "buncombe"                 # every subscriber's
SMALL_REGION = "madison"                  # a few subscribers: publish → first send unloaded
OTHER_REGIONS = ("henderson", "haywood", "jackson", "mcdowell", "burke")
SMALL_COUNT = 20


# Sends in flight on WhatsApp (config.example.toml's default is 8). 80/s with 8 in flight
# needs every send to take under 100 ms; see docs/BENCHMARKS.md, raidnight.
WA_CONCURRENCY = int(os.environ.get("RAIDNIGHT_WA_CONCURRENCY", "8"))


def bot_env() -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": TG_WEBHOOK_SECRET,
            "WHATSAPP_TOKEN": WA_TOKEN, "WHATSAPP_APP_SECRET": WA_APP_SECRET,
            "WHATSAPP_VERIFY_TOKEN": WA_VERIFY}


def raid_config(folder: Path, fake_url: str, web_port: int, tg_rate: int,
                wa_rate: int) -> Path:
    """`compa run`'s config: both channels on webhooks, the fake for both APIs."""
    hook = f"http://127.0.0.1:{web_port}/telegram/webhook"
    batch = max(200, tg_rate * 2)
    return write_config(
        folder,
        channels={"telegram": {"enabled": True, "mode": "webhook", "webhook_url": hook,
                               "api_base_url": fake_url},
                  "whatsapp": {"enabled": True, "phone_number_id": WA_PHONE_ID,
                               "api_base_url": fake_url, "webhook_path": "/whatsapp/webhook"}},
        web={"host": "127.0.0.1", "port": web_port},
        alerts={"batch_size": batch, "pace": {
            "telegram": {"rate_per_second": float(tg_rate), "per_chat_seconds": 1.0,
                         "concurrency": 8 if tg_rate <= 100 else 16},
            "whatsapp": {"rate_per_second": float(wa_rate), "per_chat_seconds": 6.0,
                         "concurrency": WA_CONCURRENCY}}},
        resources=REAL_RESOURCES,      # public channels refuse the example numbers
        moderation={"roles": {"telegram": {str(PUBLISHER_A): "publisher",
                                           str(PUBLISHER_B): "publisher"}}},
    )


# -- seeding -------------------------------------------------------------------------------

async def seed(config_path: Path, subscribers: int, tg_share: float = 0.6) -> dict[str, int]:
    """Writes `subscribers` people straight into the store, as Compa would after each had
    subscribed: a users row (address sealed with the real keys, pseudonym keyed), a subscriber
    row and their regions (every one in ALERT_REGION plus one other county; the first
    SMALL_COUNT of each channel also in SMALL_REGION). Written this way because 100,000
    conversations through the bot would take longer than the whole benchmark may."""
    from bot.app import App
    from bot.config import load
    from bot.messages import Address

    app = await App.create(load(config_path))
    counts = {"telegram": 0, "whatsapp": 0}
    try:
        now = int(app.clock.now() // 3600 * 3600)     # last_inbound: within WhatsApp's window
        tg_total = int(subscribers * tg_share)
        chunk = 20_000
        for start in range(0, subscribers, chunk):
            users, regions = [], []
            for i in range(start, min(start + chunk, subscribers)):
                channel = "telegram" if i < tg_total else "whatsapp"
                n = i if channel == "telegram" else i - tg_total
                base = TG_SUBSCRIBER_BASE if channel == "telegram" else WA_SUBSCRIBER_BASE
                chat = str(base + n)
                pid = app.pid_for(Address(channel, chat))
                users.append((pid, channel, app.privacy.seal_text(chat, f"address:{channel}"),
                              "en" if i % 3 == 0 else "es", now, now))
                regions.append((pid, ALERT_REGION))
                regions.append((pid, OTHER_REGIONS[i % len(OTHER_REGIONS)]))
                if n < SMALL_COUNT // 2:
                    regions.append((pid, SMALL_REGION))
                counts[channel] += 1
            async with app.db.write() as conn:
                await conn.executemany(
                    "INSERT INTO users (pid, channel, address_sealed, locale, created,"
                    " last_inbound) VALUES (?, ?, ?, ?, ?, ?)", users)
                await conn.executemany("INSERT INTO subscribers (pid) VALUES (?)",
                                       [(u[0],) for u in users])
                await conn.executemany(
                    "INSERT INTO subscription_regions (pid, region) VALUES (?, ?)", regions)
    finally:
        await app.close()
    return counts


# -- publishing ----------------------------------------------------------------------------

class Platform(Protocol):
    """What propose_and_confirm needs from the fake platform (bench/_raid_platform.py)."""

    async def post_telegram(self, update: dict[str, Any]) -> None: ...

    def tg_message(self, chat: int, text: str) -> dict[str, Any]: ...

    def tg_callback(self, chat: int, message: dict[str, Any], data: str) -> dict[str, Any]: ...

    async def next_tg_message(self, chat: int, match: Callable[[dict[str, Any]], bool],
                              within: float) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Confirmed:
    alert_id: int
    confirmed_at: float      # time.monotonic() when publisher B's confirmation left
    answered_at: float       # when B saw "published"
    text: str


def _buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", [])
            for b in row]


async def propose_and_confirm(platform: Platform, region: str, kind: str = "reten",
                              within: float = 150.0) -> Confirmed:
    """Publisher A types `/alerta <region> <kind>` on Telegram: that proposes it, and every
    other publisher (no moderators' group is configured) gets the preview with a confirm
    button bound to exactly those words (`pub:ok:N:VERSION`); publisher B presses it on their
    copy. Returns when B has been told the alert is confirmed and on its way."""
    def has_confirm(message: dict[str, Any]) -> bool:
        return any(d.startswith("pub:ok:") for d in _buttons(message))

    # Tasks, so each waiter is registered before the update goes in: the webhook answers only
    # once the update is handled, and the preview reaches B before that answer.
    waiting = asyncio.ensure_future(platform.next_tg_message(PUBLISHER_B, has_confirm, within))
    await asyncio.sleep(0)
    await platform.post_telegram(platform.tg_message(PUBLISHER_A, f"/alerta {region} {kind}"))
    preview = await waiting
    data = next(d for d in _buttons(preview) if d.startswith("pub:ok:"))
    alert_id = int(data.split(":")[2])
    done = asyncio.ensure_future(platform.next_tg_message(
        PUBLISHER_B, lambda m: f"#{alert_id}" in m.get("text", ""), within))
    await asyncio.sleep(0)
    confirmed_at = time.monotonic()
    await platform.post_telegram(platform.tg_callback(PUBLISHER_B, preview, data))
    answer = await done
    if not re.search(r"on its way|va en camino", answer.get("text", "")):
        raise RuntimeError(f"publishing alert #{alert_id} was refused: {answer.get('text')!r}")
    return Confirmed(alert_id, confirmed_at, time.monotonic(), answer.get("text", ""))


Awaiter = Callable[[], Awaitable[None]]
