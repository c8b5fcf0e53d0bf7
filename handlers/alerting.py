"""Publishing alerts: the preview of a verified report, /alerta, the lifecycle commands
(/actualizar, /despejado, /retirar) and community notices (/aviso). Publishers only.

Buttons: `pub:send:N` publish (or confirm) alert N, `pub:note:N` edit its note,
`pub:drop:N` cancel it. The router requires the publisher role (refused and audited by the
dispatcher); every action is audited. Alerts are reached through `ctx.alerts` only.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.models import Kind, Role
from alerts.moderators import room
from alerts.publish import PublishError
from alerts.status import AlertStatus, MessageType
from bot.context import Context
from bot.i18n import N_, fold
from bot.messages import Button, Incoming, Menu, Reply
from bot.router import Access, Result, Router
from handlers.cards import channel_counts

PUBLISHERS = Access(Role.PUBLISHER, N_("Sorry, only the volunteers who publish alerts can do "
                                       "that. Here is the menu."))
router = Router("alerting", access=PUBLISHERS)

KIND_WORDS = {
    "reten": Kind.CHECKPOINT, "checkpoint": Kind.CHECKPOINT, "control": Kind.CHECKPOINT,
    "agentes": Kind.AGENTS, "agents": Kind.AGENTS, "ice": Kind.AGENTS,
    "redada": Kind.RAID, "raid": Kind.RAID, "operativo": Kind.RAID,
    "arresto": Kind.ARREST, "arrest": Kind.ARREST, "detencion": Kind.ARREST,
    "otro": Kind.OTHER, "other": Kind.OTHER,
}
FOLLOW_UPS = {
    "actualizar": MessageType.UPDATE, "update": MessageType.UPDATE,
    "despejado": MessageType.ALL_CLEAR, "allclear": MessageType.ALL_CLEAR,
    "all_clear": MessageType.ALL_CLEAR,
    "retirar": MessageType.RETRACTION, "retract": MessageType.RETRACTION,
    "falsaalarma": MessageType.RETRACTION,
}
FOLLOW_UP_SENT = {
    MessageType.UPDATE: N_("Update to alert #{n} on its way. Recipients: {count}."),
    MessageType.ALL_CLEAR: N_("All clear for alert #{n} on its way. Recipients: {count}."),
    MessageType.RETRACTION: N_("False alarm notice for alert #{n} on its way. Recipients: "
                               "{count}. Whatever had not gone out yet was stopped."),
}


def _error(ctx: Context, exc: PublishError) -> list[Reply]:
    return [Reply(ctx.t(exc.msgid, **exc.kwargs))]


async def preview_text(ctx: Context, alert_id: int) -> str | None:
    """Both languages as subscribers will read them, with the recipients per channel."""
    alert = await ctx.alerts.get(alert_id)
    if alert is None:
        return None
    note = ctx.alerts.note(alert)
    counts = await ctx.alerts.reach(alert.region or "")
    reach = channel_counts(ctx, counts)
    observed = float(alert.observed or alert.created)
    parts = [ctx.t("Alert #{n} preview. It will reach {reach} (right away).", n=alert_id,
                   reach=reach)]
    for locale in ("es", "en"):
        t = ctx.i18n.translator(locale)
        parts.append(f"— {locale.upper()} —\n" + ctx.alerts.alert_text(
            t, locale, kind=alert.kind or "", region=alert.region or "", observed=observed,
            note=note, number=alert_id, now=ctx.now))
    if alert.status == AlertStatus.AWAITING_CONFIRMATION:
        parts.append(ctx.t("A different publisher must confirm it before it goes out."))
    return "\n\n".join(parts)


def preview_menu(ctx: Context, alert_id: int, status: str) -> Menu:
    send = ctx.t("Confirm and publish") if status == AlertStatus.AWAITING_CONFIRMATION \
        else ctx.t("Publish")
    return Menu((Button(f"pub:send:{alert_id}", send),
                 Button(f"pub:note:{alert_id}", ctx.t("Edit note")),
                 Button(f"pub:drop:{alert_id}", ctx.t("Cancel alert"))))


async def previews_for_room(ctx: Context, alert_id: int) -> list[Reply]:
    """The preview for every moderator address (in the moderators' room, or each one)."""
    alert = await ctx.alerts.get(alert_id)
    text = await preview_text(ctx, alert_id)
    if alert is None or text is None:
        return []
    return [Reply(text, preview_menu(ctx, alert_id, alert.status), to=address)
            for address in room(ctx.config)]


async def draft_for_verified_report(ctx: Context, report_id: int, region: str, kind: str,
                                    observed: int | None) -> list[Reply]:
    """Called when a report has just been verified: a draft alert and its preview."""
    alert_id = await ctx.alerts.draft_from_report(report_id=report_id, region=region,
                                               kind=kind, observed=observed, actor=ctx.user.pid)
    await ctx.record("draft", f"alert:{alert_id}")
    return await previews_for_room(ctx, alert_id)


@router.button("pub")
async def preview_button(ctx: Context, msg: Incoming) -> Result:
    """Publish / Edit note / Cancel on an alert preview."""
    action, _, arg = ctx.arg.partition(":")
    if not arg.isdigit() or len(arg) > 12 or action not in ("send", "note", "drop"):
        return None
    alert_id = int(arg)
    if action == "note":
        ctx.session.set("pub:note", alert=alert_id)
        return [Reply(ctx.t("Type the note for alert #{n} (region and time only: no names, "
                            "plates or phone numbers). /cancel to keep it as it is.",
                            n=alert_id))]
    if action == "drop":
        done = await ctx.alerts.cancel(alert_id)
        await ctx.record("cancel" if done else "cancel:late", f"alert:{alert_id}")
        text = ctx.t("Alert #{n} cancelled: it will not go out.", n=alert_id) if done \
            else ctx.t("Alert #{n} can no longer be cancelled.", n=alert_id)
        return [Reply(text, replace=True)]
    try:
        out = await ctx.alerts.confirm(alert_id, ctx.user.pid, progress_to=msg.address)
    except PublishError as exc:
        await ctx.record("publish:refused", f"alert:{alert_id}")
        return _error(ctx, exc)
    await ctx.record("publish", f"alert:{alert_id}")
    return [Reply(ctx.t("Alert #{n} published. Recipients: {count}. I will report progress "
                        "here.", n=alert_id, count=out.recipients), replace=True)]


@router.step("pub")
async def typed_note(ctx: Context, msg: Incoming) -> Result:
    """The new note for a preview, then the preview again."""
    if msg.button_id is not None or msg.command is not None or not msg.text.strip():
        return None
    alert_id = int(ctx.session.data.get("alert", 0))
    ctx.session.clear()
    try:
        await ctx.alerts.set_note(alert_id, msg.text[:1000])
    except PublishError as exc:
        ctx.session.set("pub:note", alert=alert_id)
        return _error(ctx, exc)
    await ctx.record("note", f"alert:{alert_id}")
    return await previews_for_room(ctx, alert_id)


def parse_alert_command(ctx: Context, args: str) -> tuple[str, str, str] | None:
    """`buncombe reten two vans on Patton` → (region id, kind, note)."""
    words = args.split()
    for cut in range(min(len(words), 4), 0, -1):
        region = ctx.regions.match(" ".join(words[:cut]))
        if region is not None and cut < len(words):
            kind = KIND_WORDS.get(fold(words[cut]))
            if kind is not None:
                return region.id, str(kind), " ".join(words[cut + 1:])
    return None


@router.command("alerta", "alert")
async def alert_command(ctx: Context, msg: Incoming) -> list[Reply]:
    """/alerta región tipo nota: a direct alert (a second publisher confirms it)."""
    parsed = parse_alert_command(ctx, msg.args)
    if parsed is None:
        return [Reply(ctx.t("Write: /alerta region kind note. Kinds: reten, agentes, redada, "
                            "arresto, otro. Example: /alerta buncombe reten near the bridge"))]
    region, kind, note = parsed
    try:
        out = await ctx.alerts.create(region=region, kind=kind, note=note,
                                   actor=ctx.user.pid, progress_to=msg.address)
    except PublishError as exc:
        return _error(ctx, exc)
    await ctx.record("alert:create", f"alert:{out.alert_id}")
    if out.status == AlertStatus.PUBLISHED:
        return [Reply(ctx.t("Alert #{n} published. Recipients: {count}. I will report "
                            "progress here.", n=out.alert_id, count=out.recipients))]
    return await previews_for_room(ctx, out.alert_id)


async def _follow_up(ctx: Context, msg: Incoming) -> list[Reply]:
    """/actualizar N nota, /despejado N, /retirar N: a follow-up to alert N's recipients."""
    type_ = FOLLOW_UPS[msg.command or ""]
    number, _, note = msg.args.partition(" ")
    if not number.lstrip("#").isdigit() or len(number) > 12:
        return [Reply(ctx.t("Write the alert number, e.g. /{command} 12 (and a note for an "
                            "update).", command=msg.command))]
    if type_ == MessageType.UPDATE and not note.strip():
        return [Reply(ctx.t("An update needs a note, e.g. /actualizar 12 the agents left "
                            "the bridge."))]
    alert_id = int(number.lstrip("#"))
    try:
        out = await ctx.alerts.follow_up(alert_id, type_, note.strip(), ctx.user.pid,
                                      progress_to=msg.address)
    except PublishError as exc:
        return _error(ctx, exc)
    await ctx.record(f"followup:{type_}", f"alert:{alert_id}")
    return [Reply(ctx.t(FOLLOW_UP_SENT[type_], n=alert_id, count=out.recipients))]


for _name in FOLLOW_UPS:
    router.command(_name)(_follow_up)


@router.command("aviso", "notice")
async def notice_command(ctx: Context, msg: Incoming) -> list[Reply]:
    """/aviso AAAA-MM-DD HH:MM regiones|todas texto-es || text-en."""
    parsed = _parse_notice(ctx, msg.args)
    if isinstance(parsed, str):
        return [Reply(parsed)]
    when, regions, text_es, text_en = parsed
    notice_id = await ctx.alerts.schedule_notice(when, regions, text_es, text_en,
                                               ctx.user.pid)
    await ctx.record("notice:schedule", f"notice:{notice_id}")
    where = ctx.t("all subscribers") if regions is None else ", ".join(
        ctx.regions.name(r, ctx.locale) for r in regions)
    return [Reply(ctx.t("Notice #{n} scheduled for {when} to {where}. /avisos lists them; "
                        "/cancelaraviso {n} cancels it.", n=notice_id,
                        when=_local(ctx, when), where=where))]


def _parse_notice(ctx: Context, args: str
                  ) -> tuple[float, list[str] | None, str, str] | str:
    usage = ctx.t("Write: /aviso YYYY-MM-DD HH:MM regions|todas Spanish text || English text. "
                  "Regions are separated by commas, e.g. buncombe,madison.")
    parts = args.split(maxsplit=3)
    if len(parts) < 4 or "||" not in parts[3]:
        return usage
    day, clock, where, texts = parts
    try:
        when = datetime.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M").replace(
            tzinfo=ZoneInfo(ctx.config.bot.timezone)).timestamp()
    except ValueError:
        return usage
    if when <= ctx.now:
        return ctx.t("That time has already passed.")
    regions: list[str] | None = None
    if fold(where) not in ("todas", "all", "todos"):
        regions = []
        for name in where.split(","):
            region = ctx.regions.match(name)
            if region is None:
                return ctx.t("I do not know the region {name}.", name=name[:40])
            regions.append(region.id)
    text_es, _, text_en = texts.partition("||")
    if not text_es.strip() or not text_en.strip():
        return usage
    return when, regions, text_es.strip()[:1000], text_en.strip()[:1000]


def _local(ctx: Context, ts: float) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(ctx.config.bot.timezone)).strftime(
        "%Y-%m-%d %H:%M")


@router.command("avisos", "notices")
async def list_notices(ctx: Context, msg: Incoming) -> list[Reply]:
    """The scheduled notices."""
    notices = await ctx.alerts.list_notices()
    if not notices:
        return [Reply(ctx.t("No notices are scheduled."))]
    lines = [ctx.t("Scheduled notices:")] + [
        f"#{n.id} · {_local(ctx, n.run_at)} · "
        + (ctx.t("all subscribers") if n.regions is None else ",".join(n.regions))
        for n in notices]
    return [Reply("\n".join(lines))]


@router.command("cancelaraviso", "cancelnotice")
async def cancel_notice(ctx: Context, msg: Incoming) -> list[Reply]:
    """Cancels a scheduled notice."""
    number = msg.args.lstrip("#")
    if not number.isdigit() or len(number) > 12:
        return [Reply(ctx.t("Write the notice number, e.g. /cancelaraviso 3."))]
    done = await ctx.alerts.cancel_notice(int(number))
    await ctx.record("notice:cancel", f"notice:{number}")
    return [Reply(ctx.t("Notice #{n} cancelled.", n=number) if done
                  else ctx.t("There is no scheduled notice #{n}.", n=number))]
