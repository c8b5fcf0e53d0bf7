"""Composition root: config → keys → store → i18n/content → router → channels."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from alerts import moderators
from alerts.audit import AuditLog
from alerts.audit_head import HEAD_FILE
from alerts.desk import Desk
from alerts.dispatcher import DeliveryDispatcher
from alerts.integrity import adopt_legacy
from alerts.models import Role
from alerts.regions import Regions, RegionsError
from alerts.reports import ReportService
from alerts.retention import purge
from alerts.rrn.service import FieldDesk
from alerts.schedule import Job
from alerts.service import AlertService
from bot import privacy, staff_sends
from bot.channels.base import CanEdit, Channel, FetchesMedia
from bot.channels.identity import person_key
from bot.clock import Clock, SystemClock
from bot.config import Config, ConfigError
from bot.content import Content, default_content_dir
from bot.context import Context, Session
from bot.i18n import I18n
from bot.keyguard import keys_for, prepare_data_dir
from bot.messages import Address, Incoming, Menu, Reply, SendResult
from bot.operations import StatusFacts, status_facts
from bot.public.service import PublicAlerts
from bot.router import Dispatcher
from bot.search import TopicIndex
from bot.services import Services, Subscriptions, Users
from bot.store import Database
from bot.store import sessions as session_store
from bot.store import users as user_store
from bot.store.migrations import ROW_MACS

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
    alerts: AlertService
    channels: dict[str, Channel] = field(default_factory=dict)
    # Report drafts: in memory only, never in the sessions table (see CONTRIBUTING).
    drafts: session_store.Ephemeral = field(default_factory=session_store.Ephemeral)
    _locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary)
    # What handlers may use (through Context), built from the fields above.
    services: Services = field(init=False)

    def __post_init__(self) -> None:
        self.services = Services(
            config=self.config, clock=self.clock, i18n=self.i18n, content=self.content,
            search=self.search, regions=self.regions, reports=self.reports, audit=self.audit,
            users=Users(self.db, self.privacy), subscriptions=Subscriptions(self.db),
            alerts=self.alerts, fetch_media=self.fetch_media,
            button_text_limit=self.button_text_limit, status=self.status_facts,
            public=PublicAlerts(self.db, self.privacy, self.config),
            desk=Desk(self.db, self.privacy, self.config, self.i18n, self.pid_for, self.send,
                      self.create_topic),
            rrn=FieldDesk(self.db, self.privacy, self.config, self.regions))

    @classmethod
    async def create(cls, config: Config, clock: Clock | None = None) -> App:
        from handlers import HOME, ROUTERS

        data_dir = config.data_dir
        prepare_data_dir(data_dir)
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
        try:
            keys = await keys_for(config, db)
        except BaseException:
            await db.close()
            raise
        sealer = privacy.Privacy(keys)
        audit = AuditLog(db, sealer, config.keys_path.parent / HEAD_FILE)
        try:
            await audit.ensure_head()
            if ROW_MACS in db.applied:
                await adopt_legacy(db, sealer)   # rows from before MACs existed
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
                   audit=audit, alerts=AlertService(db, sealer, clock, config, i18n, regions))

    def delivery_dispatcher(self, rng: random.Random | None = None) -> DeliveryDispatcher:
        """The alert fan-out over this app's channels (the runner starts one per process)."""
        return DeliveryDispatcher(self.alerts, self, rng)

    def jobs(self) -> list[Job]:
        """The scheduled jobs beside the alerts' own: retention, the audit head, held-report
        summaries, the integrity check, the case desk's and the field dispatch's timers, and
        (when configured) the daily backup."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        from alerts.audit_head import post_head
        from alerts.flood import SUMMARY_EVERY_MINUTES, post_held_summary
        from alerts.integrity import check_and_report
        from alerts.rrn import timers as rrn_timers

        jobs = [Job("retention-purge", IntervalTrigger(hours=1), self.purge),
                Job("audit-head", IntervalTrigger(hours=1), lambda: post_head(self),
                    at_start=True),
                Job("held-summary", IntervalTrigger(minutes=SUMMARY_EVERY_MINUTES),
                    lambda: post_held_summary(self)),
                Job("integrity", IntervalTrigger(minutes=1), lambda: check_and_report(self),
                    at_start=True),
                Job("case-desk", IntervalTrigger(minutes=1), self.run_desk),
                # Field verifiers' escalation and check-ins (issue 17, alerts/rrn/timers.py).
                Job("rrn-timers", IntervalTrigger(minutes=1), lambda: rrn_timers.run(self))]
        if self.config.backup.enabled:
            from bot.backup import scheduled_backup

            hour, minute = (int(x) for x in self.config.backup.time.split(":"))
            at = CronTrigger(hour=hour, minute=minute, timezone=self.alerts.tz)
            jobs.append(Job("backup", at,
                            lambda: scheduled_backup(self)))
        return jobs

    async def run_desk(self) -> int:
        """The case desk's timers (reminders, requeues, purge): sends what they produce."""
        replies = await self.services.desk.tick(self.clock.now())
        for reply in replies:
            if reply.to is not None:
                await self.send(reply.to, reply)
        return len(replies)

    async def purge(self) -> None:
        """The retention purge (start-up and hourly)."""
        await purge(self.db, self.audit, self.config, self.clock.now())
        self.drafts.purge_expired(self.clock.now(), self.config.bot.session_ttl_minutes * 60)

    async def close(self) -> None:
        await self.db.close()

    def role_for(self, channel: str, actor: str) -> str:
        """"verifier", "publisher" or "admin" for the people the config lists, else "person".

        Ids are normalised, so a WhatsApp number matches however it is written. Case-desk
        helpers (issue 16) are "helper"; a moderator role wins."""
        address = Address(channel, actor)
        role = self.reports.roster.role(address)
        if role is not Role.PERSON:
            return role.value
        key = person_key(address)
        if any(person_key(Address(channel, helper)) == key
               for helper in self.config.desk.helpers.get(channel, ())):
            return Role.HELPER.value
        return role.value

    def moderator_key(self, address: Address) -> str | None:
        """The person key of the moderator at `address` (the same on every channel they use);
        None for anyone else. Votes and confirmations are keyed by it (alerts/moderators.py)."""
        return self.reports.roster.person(address)

    def moderator_key_of(self, pid: str) -> str | None:
        """The same person key from a user pseudonym (`ctx.user.pid`); None for non-moderators."""
        return self.reports.roster.person_of(pid)

    def pid_for(self, address: Address) -> str:
        return self.privacy.pseudonym(address.channel, person_key(address))

    async def status_facts(self) -> StatusFacts:
        """Uptime, outbox, backup, webhook and moderators' window, for /estado."""
        return await status_facts(self)

    def button_text_limit(self, channel: str) -> int | None:
        """How much text `channel` shows in one message that carries buttons."""
        adapter = self.channels.get(channel)
        return adapter.limits.text_with_buttons if adapter is not None else None

    async def create_topic(self, name: str) -> str | None:
        """A case's topic in the helpers' Telegram forum, when Telegram runs (issue 16)."""
        create = getattr(self.channels.get("telegram"), "create_topic", None)
        topic = await create(name) if create is not None else None
        return topic if isinstance(topic, str) else None

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
        role = self.role_for(actor.channel, actor.chat_id)
        ttl = self.config.bot.session_ttl_minutes * 60
        memory = self.drafts.load(pid, now, ttl)
        # During a report the person is only read: nothing keyed to them is written until
        # it is sent (see CONTRIBUTING, "Reports that cannot be traced").
        user = await user_store.peek(self.db, pid, actor.channel, role) \
            if memory is not None else None
        if user is None:
            sealed = self.privacy.seal_text(actor.chat_id, f"address:{actor.channel}")
            user = await user_store.touch(self.db, pid, actor.channel, sealed, now, role)
        state, data_sealed = (None, None) if memory is not None \
            else await session_store.load(self.db, pid, now, ttl)
        session = Session(state=memory[0] if memory else state,
                          data=dict(memory[1]) if memory else {})
        if data_sealed:
            session.data = json.loads(self.privacy.unseal(data_sealed, f"session:{pid}"))
        if session.state is None and await self.services.desk.open_for(pid) is not None:
            session.state = "case:open"     # an open case takes the person's words (issue 16)
        if user.locale is None and session.state is None and user.role == "person" \
                and msg.thread is None:     # not in the helpers' forum (issue 16)
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
        if session_store.is_ephemeral(session.state):
            assert session.state is not None
            self.drafts.save(pid, session.state, session.data, now)
            if stored:
                # Entering a report from another step: the old step goes now, before the
                # report, never next to it.
                await session_store.clear(self.db, pid)
            return
        self.drafts.clear(pid)
        if session.state is None or session.state == "start:language":
            if session.changed and stored:
                await session_store.clear(self.db, pid)
            return
        sealed = self.privacy.seal(session.encode(), f"session:{pid}") if session.data else None
        await session_store.save(self.db, pid, session.state, sealed, now)

    async def respond(self, msg: Incoming, replies: list[Reply]) -> None:
        """Sends the replies: to the sender through its channel, the rest where they go."""
        replies = [await staff_sends.settle_own(self, r, msg) for r in replies]
        own = [r for r in replies if r.to is None or r.to == msg.address]
        if own:
            await self.channels[msg.address.channel].respond(msg, own)
        for reply in replies:
            to = reply.to
            if to is not None and to != msg.address:
                # What a handler sends to the moderators' room is moderator traffic (cards,
                # previews, notices): never under the alerts' WhatsApp template.
                if staff_sends.is_room(self, to):
                    reply = staff_sends.as_staff(reply)
                await self.send(to, reply)

    async def send(self, address: Address, reply: Reply) -> SendResult:
        channel = self.channels.get(address.channel)
        if channel is None:
            return SendResult.failed("channel not running", permanent=True)
        if reply.card is not None:
            result = await staff_sends.send_card(self, channel, address, reply)
        else:
            result = await channel.send(address, reply)
        await staff_sends.record_skip(self, address, reply, result)
        return result

    async def edit(self, address: Address, message_id: str, reply: Reply
                   ) -> SendResult | None:
        """Replaces a message sent earlier; None when that channel cannot edit."""
        channel = self.channels.get(address.channel)
        if not isinstance(channel, CanEdit):
            return None
        return await channel.edit(address, message_id, reply)

    def channel_names(self) -> tuple[str, ...]:
        return tuple(self.channels)

    async def fetch_media(self, msg: Incoming) -> bytes | None:
        """The photo a person sent, from channels that download on demand; None otherwise."""
        source = self.channels.get(msg.address.channel)
        if msg.media is None or not isinstance(source, FetchesMedia):
            return None
        return await source.fetch_media(msg.media)

    async def last_contact(self, pid: str) -> tuple[float, str | None] | None:
        """When a person last wrote (to the hour) and their language (the WhatsApp window)."""
        return await user_store.last_contact(self.db, pid)

    async def process(self, msg: Incoming) -> None:
        """handle + respond: what every channel calls for each incoming message."""
        await self.respond(msg, await self.handle(msg))


def menu_of(replies: list[Reply]) -> Menu | None:
    """The last menu in a list of replies (what a typed number refers to)."""
    for reply in reversed(replies):
        if reply.menu is not None:
            return reply.menu
    return None
