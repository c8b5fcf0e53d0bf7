"""The moderators' side: cards' buttons, /pendientes, /reporte N, /verificar N, /descartar N,
/liberar REGIÓN (held reports).

The router requires the verifier role: the dispatcher gives anyone else one and the same polite
refusal and audits the attempt (bot/router.py). Every moderator action writes one audit entry.
"""

from __future__ import annotations

from alerts.flood import held_line
from alerts.models import KIND_LABELS, STATUS_LABELS, Decision, Incident, Role
from alerts.verification import Outcome, decide
from bot.context import Context
from bot.i18n import N_
from bot.messages import Button, Incoming, Menu, Reply, parse_id
from bot.router import Access, Result, Router
from handlers.alerting import draft_for_verified_report
from handlers.cards import (
    DECISION_ACTIONS,
    card_menu,
    card_replies,
    card_text,
    photo_reply,
    update_line,
)
from handlers.menu import main_menu
from handlers.report import is_report_number, outcome_text

VERIFIERS = Access(Role.VERIFIER, N_("Sorry, that is only for the volunteers who verify "
                                     "reports. Here is the menu."))
router = Router("moderation", access=VERIFIERS)

PENDING_SHOWN = 9     # + Menu = 10 buttons
MAX_ID_DIGITS = 12


def _number(text: str) -> int | None:
    return parse_id(text.split(maxsplit=1)[0]) if text.strip() else None


@router.command("pendientes", "pending")
async def list_pending(ctx: Context, msg: Incoming) -> list[Reply]:
    """The reports waiting for a decision, each with a button to open its card."""
    incidents = await ctx.reports.open_incidents()
    await ctx.record("list", "reports:open")
    if not incidents:
        return [Reply(ctx.t("No reports are waiting for a decision."), main_menu(ctx))]
    lines = [ctx.t("Reports waiting for a decision:")]
    lines += [_pending_line(ctx, i) for i in incidents]
    buttons = [Button(f"mod:view:{i.id}", ctx.t("Report #{id}", id=i.id),
                      ctx.t(KIND_LABELS[i.head.kind]) + " · "
                      + ctx.regions.name(i.head.region, ctx.locale))
               for i in incidents[:PENDING_SHOWN]]
    return [Reply("\n".join(lines), Menu((*buttons, Button("menu:main", ctx.t("Menu")))))]


def _pending_line(ctx: Context, incident: Incident) -> str:
    line = ctx.t("#{id} {kind} · {region} · confirmed {done}/{required} · {status}",
                 id=incident.id, kind=ctx.t(KIND_LABELS[incident.head.kind]),
                 region=ctx.regions.name(incident.head.region, ctx.locale),
                 done=incident.confirmations,
                 required=ctx.config.moderation.verifications_required,
                 status=ctx.t(STATUS_LABELS[incident.status]))
    if len(incident.reports) > 1:
        line += " · " + ctx.t("{count} reports", count=len(incident.reports))
    return line


@router.command("reporte", "report", "reportar")
async def view_report(ctx: Context, msg: Incoming) -> Result:
    """/reporte N: one report's card (without a number, handlers/report starts a report)."""
    if not is_report_number(msg.args):
        return None
    number = _number(msg.args)
    return await _show(ctx, number) if number is not None else [Reply(_usage(ctx))]


async def _show(ctx: Context, number: int, replace: bool = False) -> list[Reply]:
    incident = await ctx.reports.incident(number)
    await ctx.record("view", f"report:{number}")
    if incident is None:
        return [Reply(ctx.t("There is no report #{id}.", id=number), replace=replace)]
    text = card_text(ctx, ctx.locale, incident)
    if number != incident.id:
        text = ctx.t("Report #{id} is part of incident #{incident}.", id=number,
                     incident=incident.id) + "\n\n" + text
    replies = [Reply(text, card_menu(ctx.t, incident), replace=replace)]
    photo = await ctx.reports.photo(number)
    if photo:
        replies.append(photo_reply(ctx.t, number, photo))
    return replies


def _usage(ctx: Context) -> str:
    return ctx.t("Use: /verify N to confirm report N, /reject N reason for a false alarm, "
                 "/report N to see it, /pending for the list.")


@router.command("verificar", "verify")
async def verify_command(ctx: Context, msg: Incoming) -> list[Reply]:
    """/verificar N: confirms report N (the same as its card's Confirm button)."""
    return await _typed_decision(ctx, msg, Decision.CONFIRM)


@router.command("descartar", "reject")
async def reject_command(ctx: Context, msg: Incoming) -> list[Reply]:
    """/descartar N reason: closes report N as a false alarm, with an optional reason."""
    return await _typed_decision(ctx, msg, Decision.FALSE_ALARM)


async def _typed_decision(ctx: Context, msg: Incoming, decision: Decision) -> list[Reply]:
    """A decision typed as "/command N [reason]"."""
    number = _number(msg.args)
    if number is None:
        return [Reply(_usage(ctx))]
    reason = msg.args.split(maxsplit=1)[1:]
    return await _decide(ctx, msg, number, decision, reason[0] if reason else "")


@router.button("mod")
async def card_button(ctx: Context, msg: Incoming) -> list[Reply]:
    """A card's Confirm / False alarm / Could not verify, or a report in the pending list."""
    action, _, arg = ctx.arg.partition(":")
    number = parse_id(arg) if arg.isascii() and "#" not in arg else None
    if number is not None and action == "view":
        return await _show(ctx, number, replace=True)
    decision = DECISION_ACTIONS.get(action)
    if number is None or decision is None:
        await ctx.record("refused:forged", "button:mod")
        return [Reply(ctx.t("That option is no longer available.") + "\n\n" + _usage(ctx))]
    return await _decide(ctx, msg, number, decision, pressed=True)


async def _decide(ctx: Context, msg: Incoming, number: int, decision: Decision,
                  note: str = "", pressed: bool = False) -> list[Reply]:
    result = await decide(ctx.reports, ctx.user.pid, number, decision, ctx.now, note)
    await ctx.record(f"{decision}:{result.outcome}", f"report:{number}")
    if result.forged:   # a decision forged in this moderator's name, replaced by theirs
        await ctx.record("integrity:forged", f"verification:report {number}")
    incident = result.incident
    if result.outcome is Outcome.NOT_FOUND or incident is None:
        return [Reply(ctx.t("There is no report #{id}.", id=number))]
    if result.outcome is Outcome.CLOSED:
        # An old card's button: the card as it is now (Telegram edits it, buttons gone).
        decided = ctx.t("Report #{id} was already decided: {status}.", id=incident.id,
                        status=ctx.t(STATUS_LABELS[incident.status]))
        return [Reply(decided + "\n\n" + card_text(ctx, ctx.locale, incident), replace=pressed,
                      staff=True, card=incident.id, update=decided)]
    if result.outcome is Outcome.DUPLICATE:
        return [Reply(ctx.t("You have already given your decision on report #{id}. A different "
                            "volunteer must confirm it.", id=incident.id))]
    replies = await card_replies(ctx, incident, pressed=msg.address if pressed else None)
    if not any(r.to == msg.address for r in replies):
        # Acting outside the room (a Telegram moderator in a private chat): answer here too.
        replies.insert(0, Reply(card_text(ctx, ctx.locale, incident),
                                card_menu(ctx.t, incident), replace=pressed, staff=True,
                                card=incident.id, update=update_line(ctx, ctx.t, incident)))
    for notice in result.notices:
        t = ctx.i18n.translator(notice.locale)
        replies.append(Reply(outcome_text(t, notice.status), to=notice.address))
    if result.outcome is Outcome.VERIFIED:
        # Report times are kept to the hour; the draft's own time (now) is what "20 minutes
        # ago" should count from.
        head = incident.head
        replies += await draft_for_verified_report(ctx, incident.id, head.region,
                                                   str(head.kind), None)
    return replies


ALL_REGIONS = ("todas", "todos", "all")


@router.command("liberar", "release")
async def release_held(ctx: Context, msg: Incoming) -> list[Reply]:
    """/liberar REGIÓN|todas: reports held during a flood get their cards again."""
    arg = " ".join(msg.args.split())
    region = ctx.regions.match(arg) if arg else None
    if arg.casefold() not in ALL_REGIONS and region is None:
        held = await ctx.reports.held()
        return [Reply(ctx.t("Use: /release REGION or /release all. Held now: {held}.",
                            held=held_line(ctx.regions, held, ctx.locale) if held else "0"))]
    released = await ctx.reports.release({region.id} if region else None)
    await ctx.record("release", f"region:{region.id if region else 'all'} "
                     f"reports={len(released)}")
    replies = [Reply(ctx.t("Released held reports: {count}. They are in /pending now, and new "
                           "reports there get a card again.", count=len(released)))]
    for head in sorted({incident for incident, _ in released})[:PENDING_SHOWN]:
        incident = await ctx.reports.incident(head)
        if incident is not None and incident.status.is_open:
            replies += await card_replies(ctx, incident, fresh=True, photo_of=incident.id)
    return replies
