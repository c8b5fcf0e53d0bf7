"""Publishing: the preview of a verified report, /alerta, the follow-ups (/actualizar,
/despejado, /retirar) and community notices (/aviso). Publishers only.

Nothing goes out on one person's word: every broadcast is proposed, previewed (both languages,
recipients per channel) and confirmed by a different person (by person key: one human on two
channels is one person), for exactly the version previewed (alerts/publish.py).

Buttons: `pub:send:N` proposes a report's draft, `pub:ok:N:CODE` confirms proposal N at that
version, `pub:note:N` edits its note, `pub:drop:N` cancels it; `pub:nok:N:CODE` confirms
notice N, `pub:ndrop:N` cancels it. Commands `/confirmar N CODE` and `/confirmaraviso N CODE`
do the same. The router requires the publisher role (refused and audited by the
dispatcher); every action is audited. Alerts are reached through `ctx.alerts` only.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.models import Kind, Role
from alerts.publish import PublishError, Stale
from alerts.status import MessageType
from bot.context import Context
from bot.i18n import N_, fold
from bot.messages import Incoming, Reply
from bot.router import Access, Result, Router
from handlers.previews import alert_previews, local_time, notice_previews, person

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

def _error(ctx: Context, exc: PublishError) -> list[Reply]:
    return [Reply(ctx.t(exc.msgid, **exc.kwargs))]


async def draft_for_verified_report(ctx: Context, report_id: int, region: str, kind: str,
                                    observed: int | None) -> list[Reply]:
    """Called when a report has just been verified: a draft alert and its preview."""
    actor = ctx.reports.roster.person_of(ctx.user.pid) or ctx.user.pid
    alert_id = await ctx.alerts.draft_from_report(report_id=report_id, region=region,
                                                  kind=kind, observed=observed, actor=actor)
    await ctx.record("draft", f"alert:{alert_id}")
    return await alert_previews(ctx, alert_id)


def _ids(arg: str, parts: int) -> list[str] | None:
    """`12` or `12:abc…`: ASCII ids and codes only, or None (forged or stale)."""
    pieces = arg.split(":")
    if len(pieces) != parts or not pieces[0].isascii() or not pieces[0].isdigit() \
            or len(pieces[0]) > 12 or not all(p.isascii() and p.isalnum() for p in pieces[1:]):
        return None
    return pieces


@router.button("pub")
async def preview_button(ctx: Context, msg: Incoming) -> Result:
    """Propose / Confirm / Edit note / Cancel on a preview; Confirm / Cancel on a notice."""
    action, _, arg = ctx.arg.partition(":")
    ids = _ids(arg, 2 if action in ("ok", "nok") else 1)
    if ids is None or action not in ("send", "ok", "note", "drop", "nok", "ndrop"):
        return None
    number = int(ids[0])
    if action == "ok":
        return await _confirm(ctx, msg, number, ids[1])
    if action == "nok":
        return await _confirm_notice(ctx, msg, number, ids[1])
    if action == "ndrop":
        return await _cancel_notice(ctx, number)
    if action == "note":
        ctx.session.set("pub:note", alert=number)
        return [Reply(ctx.t("Type the note for alert #{n} (region and time only: no names, "
                            "plates, links or phone numbers). /cancel to keep it as it is.",
                            n=number))]
    if action == "drop":
        done = await ctx.alerts.cancel(number)
        await ctx.record("cancel" if done else "cancel:late", f"alert:{number}")
        text = ctx.t("Alert #{n} cancelled: it will not go out.", n=number) if done \
            else ctx.t("Alert #{n} can no longer be cancelled.", n=number)
        return [Reply(text, replace=True)]
    try:
        await ctx.alerts.propose(number, person(ctx, msg), progress_to=msg.address)
    except PublishError as exc:
        await ctx.record("propose:refused", f"alert:{number}")
        return _error(ctx, exc)
    await ctx.record("propose", f"alert:{number}")
    return await alert_previews(ctx, number, here=msg.address)


async def _confirm(ctx: Context, msg: Incoming, number: int, version: str) -> list[Reply]:
    """The second person's confirmation of exactly the version they saw."""
    try:
        out = await ctx.alerts.confirm(number, person(ctx, msg), version,
                                       progress_to=msg.address)
    except Stale as exc:
        await ctx.record("publish:stale", f"alert:{number}")
        return _error(ctx, exc) + await alert_previews(ctx, number, here=msg.address)
    except PublishError as exc:
        await ctx.record("publish:refused", f"alert:{number}")
        return _error(ctx, exc)
    await ctx.record("publish", f"alert:{number}")
    return [Reply(ctx.t("{what} confirmed and on its way. Recipients: {count}. I will report "
                        "progress here.", what=await _named(ctx, number),
                        count=out.recipients), replace=True)]


# A follow-up is named by its alert's public number: its own id is internal (issue 13).
FOLLOW_UP_NAMES = {
    MessageType.UPDATE: N_("The update to alert #{n}"),
    MessageType.ALL_CLEAR: N_("The all clear for alert #{n}"),
    MessageType.RETRACTION: N_("The false alarm notice for alert #{n}"),
}


async def _named(ctx: Context, number: int) -> str:
    alert = await ctx.alerts.get(number)
    if alert is None or alert.parent_id is None or alert.type not in FOLLOW_UP_NAMES:
        return ctx.t("Alert #{n}", n=number)
    return ctx.t(FOLLOW_UP_NAMES[MessageType(alert.type)], n=alert.parent_id)


@router.command("confirmar", "confirm")
async def confirm_command(ctx: Context, msg: Incoming) -> list[Reply]:
    """/confirmar N CÓDIGO: confirms the proposal N whose preview shows that code."""
    parts = msg.args.replace("#", "").split()
    ids = _ids(":".join(parts), 2) if len(parts) == 2 else None
    if ids is None:
        return [Reply(ctx.t("Write the number and the code from the preview, e.g. "
                            "/confirmar 12 3fa94c01b2."))]
    return await _confirm(ctx, msg, int(ids[0]), ids[1])


@router.step("pub")
async def typed_note(ctx: Context, msg: Incoming) -> Result:
    """The new note for a preview, then the preview again (the editor is now its proposer)."""
    if msg.button_id is not None or msg.command is not None or not msg.text.strip():
        return None
    alert_id = int(ctx.session.data.get("alert", 0))
    ctx.session.clear()
    try:
        await ctx.alerts.set_note(alert_id, msg.text[:1000], person(ctx, msg))
    except PublishError as exc:
        ctx.session.set("pub:note", alert=alert_id)
        return _error(ctx, exc)
    await ctx.record("note", f"alert:{alert_id}")
    return await alert_previews(ctx, alert_id, here=msg.address)


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
                                      actor=person(ctx, msg), progress_to=msg.address)
    except PublishError as exc:
        return _error(ctx, exc)
    await ctx.record("alert:create", f"alert:{out.alert_id}")
    return await alert_previews(ctx, out.alert_id, here=msg.address)


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
        out = await ctx.alerts.follow_up(alert_id, type_, note.strip(), person(ctx, msg),
                                         progress_to=msg.address)
    except PublishError as exc:
        return _error(ctx, exc)
    await ctx.record(f"followup:{type_}", f"alert:{out.alert_id}")
    return await alert_previews(ctx, out.alert_id, here=msg.address)


for _name in FOLLOW_UPS:
    router.command(_name)(_follow_up)


@router.command("aviso", "notice")
async def notice_command(ctx: Context, msg: Incoming) -> list[Reply]:
    """/aviso AAAA-MM-DD HH:MM regiones|todas texto-es || text-en: a proposed notice."""
    parsed = _parse_notice(ctx, msg.args)
    if isinstance(parsed, str):
        return [Reply(parsed)]
    when, regions, text_es, text_en = parsed
    try:
        notice_id = await ctx.alerts.schedule_notice(when, regions, text_es, text_en,
                                                     person(ctx, msg))
    except PublishError as exc:
        return _error(ctx, exc)
    await ctx.record("notice:propose", f"notice:{notice_id}")
    return await notice_previews(ctx, notice_id, here=msg.address)


async def _confirm_notice(ctx: Context, msg: Incoming, number: int, version: str
                          ) -> list[Reply]:
    """The second person's confirmation of a notice: scheduled."""
    try:
        notice = await ctx.alerts.confirm_notice(number, person(ctx, msg), version)
    except Stale as exc:
        await ctx.record("notice:stale", f"notice:{number}")
        return _error(ctx, exc) + await notice_previews(ctx, number, here=msg.address)
    except PublishError as exc:
        await ctx.record("notice:refused", f"notice:{number}")
        return _error(ctx, exc)
    await ctx.record("notice:schedule", f"notice:{number}")
    where = ctx.t("all subscribers") if notice.regions is None else ", ".join(
        ctx.regions.name(r, ctx.locale) for r in notice.regions)
    return [Reply(ctx.t("Notice #{n} scheduled for {when} to {where}. /avisos lists them; "
                        "/cancelaraviso {n} cancels it.", n=number,
                        when=local_time(ctx, notice.run_at), where=where), replace=True)]


@router.command("confirmaraviso", "confirmnotice")
async def confirm_notice_command(ctx: Context, msg: Incoming) -> list[Reply]:
    """/confirmaraviso N CÓDIGO: confirms the proposed notice N."""
    parts = msg.args.replace("#", "").split()
    ids = _ids(":".join(parts), 2) if len(parts) == 2 else None
    if ids is None:
        return [Reply(ctx.t("Write the notice number and the code from the preview, e.g. "
                            "/confirmaraviso 3 3fa94c01b2."))]
    return await _confirm_notice(ctx, msg, int(ids[0]), ids[1])


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


@router.command("avisos", "notices")
async def list_notices(ctx: Context, msg: Incoming) -> list[Reply]:
    """The scheduled notices."""
    notices = await ctx.alerts.list_notices()
    if not notices:
        return [Reply(ctx.t("No notices are scheduled."))]
    lines = [ctx.t("Scheduled notices:")] + [
        f"#{n.id} · {local_time(ctx, n.run_at)} · "
        + (ctx.t("all subscribers") if n.regions is None else ",".join(n.regions))
        + (" · " + ctx.t("awaiting confirmation") if n.status == "proposed" else "")
        for n in notices]
    return [Reply("\n".join(lines))]


@router.command("cancelaraviso", "cancelnotice")
async def cancel_notice(ctx: Context, msg: Incoming) -> list[Reply]:
    """Cancels a proposed or scheduled notice."""
    number = msg.args.lstrip("#")
    if not number.isascii() or not number.isdigit() or len(number) > 12:
        return [Reply(ctx.t("Write the notice number, e.g. /cancelaraviso 3."))]
    return await _cancel_notice(ctx, int(number))


async def _cancel_notice(ctx: Context, number: int) -> list[Reply]:
    done = await ctx.alerts.cancel_notice(number)
    await ctx.record("notice:cancel", f"notice:{number}")
    return [Reply(ctx.t("Notice #{n} cancelled.", n=number) if done
                  else ctx.t("There is no scheduled notice #{n}.", n=number))]
