"""Composition root: config → keys → store → i18n/content → router → channels."""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerts import moderators
from alerts.audit import AuditLog
from alerts.regions import Regions, RegionsError
from alerts.reports import ReportService
from alerts.retention import purge
from alerts.rrn.service import FieldDesk
from bot import privacy
from bot.channels.base import Channel, person_key
from bot.clock import Clock, SystemClock
from bot.config import Config, ConfigError
from bot.content import Content, default_content_dir
from bot.context import Context, Session
from bot.i18n import I18n
from bot.messages import Address, Incoming, Menu, Reply, SendResult
from bot.operations import StatusFacts, status_facts
from bot.router import Dispatcher
from bot.search import TopicIndex
from bot.services import AlertDesk, Services, Subscriptions, Users
from bot.store import Database
from bot.store import sessions as session_store
from bot.store import users as user_store

log = logging.getLogger(__name__)

DB_FILE = "compa.sqlite3"


@dataclass
class App:
    config: Config
    privacy: privacy.Privacy
    db: Database
    i18n: I18n
    content: Content
    dispatcher: Dispatcher
    clock: Clock
    search: TopicIndex
    regions: Regions
    reports: ReportService
    audit: AuditLog
    channels: dict[str, Channel] = field(default_factory=dict)
    # The alert fan-out (alerts.dispatcher.AlertDispatcher) once the runner has started it.
    alert_dispatcher: Any = None
    _locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary)
    # What handlers may use (through Context), built from the fields above.
    services: Services = field(init=False)

    def __post_init__(self) -> None:
        self.services = Services(
            config=self.config, clock=self.clock, i18n=self.i18n, content=self.content,
            search=self.search, regions=self.regions, reports=self.reports, audit=self.audit,
            users=Users(self.db, self.privacy), subscriptions=Subscriptions(self.db),
            alerts=AlertDesk(self), fetch_media=self.fetch_media,
            button_text_limit=self.button_text_limit, status=self.status_facts,
            rrn=FieldDesk(self.db, self.privacy, self.config, self.regions))

    @classmethod
    async def create(cls, config: Config, clock: Clock | None = None) -> App:
        from handlers import HOME, ROUTERS

        data_dir = config.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        keys = privacy.load_keys(config.keys_path, config.privacy.pepper_env,
                                 config.privacy.seal_key_env)
        content_dir = Path(config.bot.content_dir) if config.bot.content_dir \
            else default_content_dir()
        content = Content.load(content_dir, config.resources)
        try:
            regions = Regions.load(Path(config.reports.regions_file) if config.reports.regions_file
                                   else content_dir / "regions.toml")
        except RegionsError as exc:
            raise ConfigError(exc.problems) from None
        i18n = I18n()
        clock = clock or SystemClock()
        db = await Database.open(data_dir / DB_FILE)
        sealer = privacy.Privacy(keys)
        audit = AuditLog(db, sealer)
        try:
            await purge(db, audit, config, clock.now())
        except BaseException:
            await db.close()
            raise
        if moderators.count(config) < config.moderation.verifications_required:
            log.warning("fewer moderators are configured than moderation.verifications_required:"
                        " reports cannot be verified")
        return cls(config=config, privacy=sealer, db=db, i18n=i18n, content=content,
                   dispatcher=Dispatcher(ROUTERS, HOME), clock=clock, search=TopicIndex(content),
                   regions=regions, reports=ReportService(db, sealer, config, regions),
                   audit=audit)

    async def purge(self) -> None:
        """The retention purge (start-up and hourly)."""
        await purge(self.db, self.audit, self.config, self.clock.now())

    async def close(self) -> None:
        await self.db.close()

    def role_for(self, channel: str, actor: str) -> str:
        """"verifier", "publisher" or "admin" for the ids the config lists, else "person".

        Ids are compared by person key, so a WhatsApp number matches however it is written."""
        key = person_key(Address(channel, actor))
        for moderator, role in moderators.roles_on(self.config, channel).items():
            if person_key(Address(channel, moderator)) == key:
                return role.value
        return "person"

    def pid_for(self, address: Address) -> str:
        return self.privacy.pseudonym(address.channel, person_key(address))

    async def status_facts(self) -> StatusFacts:
        """Uptime, outbox, backup, webhook and moderators' window, for /estado."""
        return await status_facts(self)

    def button_text_limit(self, channel: str) -> int | None:
        """How much text `channel` shows in one message that carries buttons."""
        adapter = self.channels.get(channel)
        return adapter.limits.text_with_buttons if adapter is not None else None

    async def fetch_media(self, msg: Incoming) -> bytes | None:
        """A photo's bytes from channels that download on demand (`fetch_media(media)`)."""
        fetch = getattr(self.channels.get(msg.address.channel), "fetch_media", None)
        if msg.media is None or fetch is None:
            return None
        data = await fetch(msg.media)
        return data if isinstance(data, bytes) else None

    async def handle(self, msg: Incoming) -> list[Reply]:
        """Runs one incoming message through the router; returns the replies to send."""
        actor = Address(msg.address.channel, msg.actor)
        pid = self.pid_for(actor)
        lock = self._locks.get(pid)
        if lock is None:
            lock = self._locks[pid] = asyncio.Lock()
        async with lock:
            return await self._handle_locked(msg, actor, pid)

    async def _handle_locked(self, msg: Incoming, actor: Address, pid: str) -> list[Reply]:
        now = self.clock.now()
        sealed = self.privacy.seal_text(actor.chat_id, f"address:{actor.channel}")
        user = await user_store.touch(self.db, pid, actor.channel, sealed, now,
                                      self.role_for(actor.channel, actor.chat_id))
        ttl = self.config.bot.session_ttl_minutes * 60
        state, data_sealed = await session_store.load(self.db, pid, now, ttl)
        session = Session(state=state)
        if data_sealed:
            session.data = json.loads(self.privacy.unseal(data_sealed, f"session:{pid}"))
        if user.locale is None and session.state is None and user.role == "person":
            # Nobody has chosen a language yet: everything leads to the bilingual welcome
            # (not for moderators, whose first message may be a card's button).
            session.state = "start:language"
        locale = user.locale or self.i18n.negotiate(msg.locale_hint,
                                                    self.config.bot.default_locale)
        ctx = Context(services=self.services, user=user, session=session, locale=locale,
                      t=self.i18n.translator(locale), tn=self.i18n.plural(locale))
        try:
            replies = await self.dispatcher.dispatch(ctx, msg)
        except Exception:
            # Never leave a person without an answer, and never log what they sent.
            log.exception("handler failed for %r", msg)
            session.clear()
            replies = [Reply(ctx.t("Sorry, something went wrong on our side. "
                                   "Here is the menu."), self.dispatcher.home(ctx))]
        await self._save_session(pid, session, now, stored=state is not None)
        return replies

    async def _save_session(self, pid: str, session: Session, now: float, *,
                            stored: bool) -> None:
        if session.state is None or session.state == "start:language":
            if session.changed and stored:
                await session_store.clear(self.db, pid)
            return
        sealed = self.privacy.seal(session.encode(), f"session:{pid}") if session.data else None
        await session_store.save(self.db, pid, session.state, sealed, now)

    async def respond(self, msg: Incoming, replies: list[Reply]) -> None:
        """Sends the replies: to the sender through its channel, the rest where they go."""
        own = [r for r in replies if r.to is None or r.to == msg.address]
        if own:
            await self.channels[msg.address.channel].respond(msg, own)
        for reply in replies:
            if reply.to is not None and reply.to != msg.address:
                await self.send(reply.to, reply)

    async def send(self, address: Address, reply: Reply) -> SendResult:
        channel = self.channels.get(address.channel)
        if channel is None:
            return SendResult(ok=False, permanent=True, error="channel not running")
        return await channel.send(address, reply)

    async def process(self, msg: Incoming) -> None:
        """handle + respond: what every channel calls for each incoming message."""
        await self.respond(msg, await self.handle(msg))


def menu_of(replies: list[Reply]) -> Menu | None:
    """The last menu in a list of replies (what a typed number refers to)."""
    for reply in reversed(replies):
        if reply.menu is not None:
            return reply.menu
    return None
