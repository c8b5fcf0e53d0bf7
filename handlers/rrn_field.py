"""In the field (issue 17): the ping's buttons, the check-in, the outcome form, and the
moderators' choice when nobody took a report.

The first "On my way" claims the report and gets its details; nobody else does. The outcome
form is a step table (bot/flow.py); a confirmed outcome counts as ONE confirmation under the
two-person rule (alerts/verification.py), so one moderator's confirmation completes it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.models import Decision
from alerts.publish import PublishError
from alerts.rrn import render
from alerts.rrn.service import Answer, Claim, FieldResult
from alerts.verification import Outcome, decide
from bot.context import Context
from bot.flow import Flow, Question
from bot.i18n import N_
from bot.messages import Button, Incoming, Menu, Reply
from bot.router import Handler, Result, Router, button_arg
from handlers.alerting import PUBLISHERS, draft_for_verified_report
from handlers.cards import card_replies, room_notices
from handlers.menu import main_menu, main_menu_reply
from handlers.moderation import VERIFIERS
from handlers.previews import alert_previews, person
from handlers.report import outcome_text
from handlers.rrn import ADMINS, FIELD

router = Router("rrn_field", access=FIELD)
MAX_ID_DIGITS = 12
NOTES_MAX = 200


def _incident(arg: str) -> int | None:
    return int(arg) if arg.isdigit() and len(arg) <= MAX_ID_DIGITS else None


def _clock(ctx: Context, ts: float) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(ctx.config.bot.timezone)).strftime("%H:%M")


@router.button("rrn")
async def ping_button(ctx: Context, msg: Incoming) -> Result:
    """On my way / Too far / I can't on a ping; I'm OK, I left, Send outcome in the field."""
    action, _, arg = ctx.arg.partition(":")
    incident = _incident(arg)
    if incident is None:
        return None
    if action in ("go15", "go30", "far", "no"):
        return await _answer(ctx, incident, action)
    if action == "ok" and await ctx.rrn.checkin_ok(incident, ctx.user.pid, ctx.now):
        due = ctx.now + ctx.config.rrn.checkin_every_minutes * 60
        return [Reply(ctx.t("Thank you. I will ask again at {time}.", time=_clock(ctx, due)),
                      render.field_menu(ctx.t, incident), replace=True)]
    if action == "left" and await ctx.rrn.left_zone(incident, ctx.user.pid):
        await ctx.record("rrn:left", f"report:{incident}")
        return [Reply(ctx.t("Good, take care. Please send what you saw."),
                      Menu((Button(f"rrn:out:{incident}", ctx.t("📋 Send outcome")),)),
                      replace=True)]
    if action == "out" and await ctx.rrn.role_in(incident, ctx.user.pid) is not None:
        ctx.session.set("fout:result", fout={"incident": incident})
        return outcome_flow.ask(ctx, "result", ctx.t(
            "What did you find? This closes your field check (and its check-in)."))
    return [Reply(ctx.t("This field check has ended or is not yours."), main_menu(ctx))]


async def _answer(ctx: Context, incident: int, action: str) -> list[Reply]:
    found = await ctx.reports.incident(incident)
    if found is None or not found.status.is_open:
        # Decided before the minute's timer noticed: nobody goes out for it.
        dispatch = await ctx.rrn.dispatch(incident)
        if dispatch is not None and dispatch.status == "open":
            await ctx.rrn.close(incident, "decided", ctx.now)
    claim = await ctx.rrn.answer(incident, ctx.user.pid, action, ctx.now)
    await ctx.record(f"rrn:{action}:{claim.answer}", f"report:{incident}")
    if claim.answer in (Answer.CLAIMED, Answer.BACKUP):
        return await _details(ctx, incident, claim.answer is Answer.BACKUP, claim)
    text = {
        Answer.TAKEN: ctx.t("Thank you: this one is already taken (with a backup)."),
        Answer.NOTED: ctx.t("Thank you, noted."),
        Answer.ENDED: ctx.t("This field check has already ended. Thank you."),
        Answer.NOT_PINGED: ctx.t("That field check was not sent to you."),
    }[claim.answer]
    return [Reply(text, replace=True)]


async def _details(ctx: Context, incident_id: int, backup: bool, claim: Claim) -> list[Reply]:
    """The details, to the claimant only; the other pings say "assigned"; the room is told."""
    incident = await ctx.reports.incident(incident_id)
    dispatch = claim.dispatch
    if incident is None or dispatch is None:
        return [Reply(ctx.t("This field check has already ended. Thank you."))]
    eta = 15 if ctx.arg.startswith("go15") else 30
    due = ctx.now + (eta + ctx.config.rrn.onsite_minutes) * 60
    replies = [Reply(render.details(ctx.t, ctx.regions, ctx.locale, incident, backup,
                                    _clock(ctx, due)), render.field_menu(ctx.t, incident_id),
                     replace=True)]
    for target in claim.others:
        t = ctx.i18n.translator(target.locale)
        text, menu = render.assigned(t, ctx.regions, target.locale, dispatch)
        replies.append(Reply(text, menu, to=target.address))
    message = N_("🛰️ A backup field verifier joined report #{id}.") if backup \
        else N_("🛰️ A field verifier is on the way to report #{id} (≤{eta} min).")
    replies += await room_notices(ctx, message, id=incident_id, eta=eta)
    return replies


# -- the outcome form: result → agents → vehicles → police → place → notes ------------------

YES_NO = {"yes": N_("Yes"), "no": N_("No"), "unsure": N_("Not sure")}
CHOICES: dict[str, tuple[dict[str, str], str]] = {
    "result": ({r.value: label for r, label in render.RESULT_LABELS.items()},
               N_("What did you find?")),
    "agents": (YES_NO, N_("Did you see immigration agents?")),
    "vehicles": (YES_NO, N_("Did you see their vehicles?")),
    "police": (YES_NO, N_("Were local police there?")),
    "place": ({"home": N_("At a home"), "public": N_("In a public place"),
               "work": N_("At a workplace"), "unsure": N_("Not sure")}, N_("Where was it?")),
}
SUMMARY_LABELS = {"agents": N_("agents"), "vehicles": N_("vehicles"), "police": N_("police")}


def _not_mine(msg: Incoming) -> bool:
    bid = msg.button_id
    return bid is not None and not bid.startswith("fout:")


outcome_flow = Flow("fout", router, passes=_not_mine)


def _cancel(ctx: Context) -> Button:
    return Button("fout:cancel", ctx.t("✖️ Cancel"))


@outcome_flow.guard
async def every_step(ctx: Context, msg: Incoming, step: str) -> Result:
    """Cancel works on every step (the field check stays open); commands ask again."""
    if msg.button_id == "fout:cancel":
        ctx.session.clear()
        return main_menu_reply(ctx, ctx.t("Cancelled: nothing was sent. Your field check is "
                                          "still open."))
    if msg.command is not None:
        return outcome_flow.ask(ctx, step, ctx.t("That command does not work here. Please "
                                                 "answer, or press Cancel."))
    return None


def _question(step: str) -> Question:
    def question(ctx: Context) -> tuple[str, Menu]:
        labels, text = CHOICES[step]
        buttons = [Button(f"fout:{step}:{value}", ctx.t(label)) for value, label in labels.items()]
        return ctx.t(text), Menu((*buttons, _cancel(ctx)))
    return question


def _answer_step(step: str) -> Handler:
    async def on_choice(ctx: Context, msg: Incoming) -> list[Reply]:
        """One option pressed; anything else gets the question again."""
        choice = button_arg(msg.button_id or "", f"fout:{step}")
        if choice not in CHOICES[step][0]:
            return outcome_flow.ask(ctx, step, ctx.t("Please choose one of the options."))
        ctx.session.data.setdefault("fout", {})[step] = choice
        return outcome_flow.advance(ctx, step)
    return on_choice


for _step in CHOICES:
    outcome_flow.step(_step, _question(_step))(_answer_step(_step))


def _notes_question(ctx: Context) -> tuple[str, Menu]:
    return (ctx.t("Anything else the moderators should know? Short, and without names, plates "
                  "or exact addresses (numbers are removed)."),
            Menu((Button("fout:notes:skip", ctx.t("Skip")), _cancel(ctx))))


@outcome_flow.step("notes", _notes_question)
async def on_notes(ctx: Context, msg: Incoming) -> list[Reply]:
    """A short scrubbed note, or Skip: the outcome is recorded and the moderators told."""
    if msg.button_id == "fout:notes:skip":
        notes = ""
    elif msg.button_id is None and msg.text.strip():
        notes = ctx.reports.clean_details(msg.text)[:NOTES_MAX]
    else:
        return outcome_flow.ask(ctx, "notes", ctx.t("Please type a short note, or press Skip."))
    data = dict(ctx.session.data.get("fout", {}))
    ctx.session.clear()
    return await _record(ctx, data, notes)


def summary(ctx: Context, data: dict[str, str], notes: str) -> str:
    """"Field check: ✅ Confirmed · agents: Yes · …" in the verifier's language."""
    parts = [ctx.t(CHOICES["result"][0][data["result"]])]
    parts += [ctx.t(SUMMARY_LABELS[k]) + ": " + ctx.t(YES_NO[data[k]]) for k in SUMMARY_LABELS]
    parts.append(ctx.t(CHOICES["place"][0][data["place"]]))
    text = ctx.t("Field check: {summary}", summary=" · ".join(parts))
    return text + (f" · “{notes}”" if notes else "")


async def _record(ctx: Context, data: dict[str, str], notes: str) -> list[Reply]:
    incident = int(data.get("incident", 0))
    if any(k not in data for k in CHOICES):
        return [Reply(ctx.t("This field check has ended or is not yours."), main_menu(ctx))]
    result = FieldResult(data["result"])
    text = summary(ctx, data, notes)
    if not await ctx.rrn.record_outcome(incident, ctx.user.pid, result, text, ctx.now):
        return [Reply(ctx.t("This field check has ended or is not yours."), main_menu(ctx))]
    await ctx.record(f"rrn:outcome:{result}", f"report:{incident}")
    replies = [Reply(ctx.t("Thank you. The moderators have your outcome; take care."),
                     main_menu(ctx))]
    if result is FieldResult.CONFIRMED:
        # One confirmation under the two-person rule: a moderator's completes it.
        return replies + await decided(ctx, incident, Decision.CONFIRM, text)
    found = await ctx.reports.incident(incident)
    replies += await room_notices(ctx, N_("🛰️ Field outcome for report #{id}: {summary}. "
                                          "Please decide on its card."), id=incident,
                                  summary=text)
    return replies + (await card_replies(ctx, found) if found is not None else [])


async def decided(ctx: Context, number: int, decision: Decision, note: str) -> list[Reply]:
    """Records a decision for this person and returns the cards, notices and any draft."""
    result = await decide(ctx.reports, ctx.user.pid, number, decision, ctx.now, note)
    await ctx.record(f"{decision}:{result.outcome}", f"report:{number}")
    incident = result.incident
    if incident is None or result.outcome in (Outcome.NOT_FOUND, Outcome.CLOSED):
        return [Reply(ctx.t("Report #{id} was already decided.", id=number))]
    if result.outcome is Outcome.DUPLICATE:
        return [Reply(ctx.t("You have already given your decision on report #{id}. A different "
                            "volunteer must confirm it.", id=incident.id))]
    replies = await card_replies(ctx, incident)
    for notice in result.notices:
        replies.append(Reply(outcome_text(ctx.i18n.translator(notice.locale), notice.status),
                             to=notice.address))
    if result.outcome is Outcome.VERIFIED:
        head = incident.head
        replies += await draft_for_verified_report(ctx, incident.id, head.region,
                                                   str(head.kind), None)
    return replies


# -- the moderators, when nobody took it ----------------------------------------------------

@router.button("rrnmod", access=VERIFIERS)
async def unstaffed_choice(ctx: Context, msg: Incoming) -> Result:
    """No field verifier: keep waiting (the escalation starts over) or close as unverifiable."""
    action, _, arg = ctx.arg.partition(":")
    incident = _incident(arg)
    if incident is None or action not in ("wait", "close"):
        return None
    if action == "wait":
        done = await ctx.rrn.wait_again(incident, ctx.now)
        await ctx.record("rrn:wait", f"report:{incident}")
        text = ctx.t("Waiting again: the field verifiers will be asked again in {n} min.",
                     n=ctx.config.rrn.claim_minutes) if done \
            else ctx.t("This field check is no longer waiting.")
        return [Reply(text, replace=True)]
    await ctx.rrn.close(incident, "closed", ctx.now)
    return await decided(ctx, incident, Decision.UNVERIFIABLE,
                         ctx.t("No field verifier was available."))


@router.button("rrnpub", access=PUBLISHERS)
async def publish_unconfirmed(ctx: Context, msg: Incoming) -> Result:
    """No field verifier: propose an alert labelled unconfirmed; another publisher confirms."""
    number = _incident(ctx.arg)
    if number is None:
        return None
    incident = await ctx.reports.incident(number)
    dispatch = await ctx.rrn.dispatch(number)
    if incident is None or not incident.status.is_open:
        return [Reply(ctx.t("Report #{id} was already decided.", id=number))]
    if dispatch is None or dispatch.status != "open":
        return [Reply(ctx.t("This field check is no longer waiting."))]
    head = incident.head
    try:
        out = await ctx.alerts.propose_unconfirmed(
            report_id=incident.id, region=head.region, kind=str(head.kind),
            actor=person(ctx, msg), progress_to=msg.address)
    except PublishError as exc:
        return [Reply(ctx.t(exc.msgid, **exc.kwargs))]
    await ctx.record("rrn:unconfirmed", f"alert:{out.alert_id}")
    return await alert_previews(ctx, out.alert_id, here=msg.address)


@router.button("rrnadm", access=ADMINS)
async def ask_again(ctx: Context, msg: Incoming) -> Result:
    """An admin, after a missed check-in: "Are you OK?" again to whoever did not answer."""
    action, _, arg = ctx.arg.partition(":")
    incident = _incident(arg)
    if incident is None or action != "ask":
        return None
    targets = await ctx.rrn.ask_again(incident, ctx.now)
    await ctx.record("rrn:ask", f"report:{incident}")
    if not targets:
        return [Reply(ctx.t("Nobody on report #{id} is missing a check-in any more.",
                            id=incident), replace=True)]
    replies = [Reply(ctx.t("Asked again. If there is no answer in {n} min, you will be told "
                           "again.", n=ctx.config.rrn.checkin_grace_minutes), replace=True)]
    for target in targets:
        text, menu = render.checkin(ctx.i18n.translator(target.locale), incident)
        replies.append(Reply(text, menu, to=target.address))
    return replies
