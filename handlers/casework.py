"""The helpers' side of the case desk: /casos, /tomar, /responder, /nota, /cerrar.

Helpers (and admins) only, declared on the router. A helper sees a case's code, topic,
language, county and messages; never who the person is. Answers are re-sent as text.
"""

from __future__ import annotations

import statistics

from alerts.desk import TOPIC_LABELS, CaseRow, Line, normalise_code
from alerts.models import Role
from bot.context import Context
from bot.i18n import N_
from bot.messages import Button, Incoming, Menu, Reply, SendOutcome
from bot.router import Access, Router

HELPERS = Access(Role.HELPER, N_("Only the desk's helpers can do that."))
ADMINS = Access(Role.ADMIN, N_("Only an administrator can see the statistics."))
router = Router("casework", access=HELPERS)
MAX_ANSWER = 1500


async def _case(ctx: Context, msg: Incoming) -> tuple[CaseRow | None, str, list[Reply]]:
    """The case named by the first word after the command (in a case's forum topic, the
    topic's case when no code is given), the rest, or a kind error."""
    word, _, rest = msg.args.partition(" ")
    code = normalise_code(word)
    if code is None and msg.thread is not None:
        row, rest = await ctx.desk.case_in_thread(msg.thread), msg.args
    else:
        row = await ctx.desk.case(code) if code else None
    if row is None or row.status == "closed":
        return None, "", [Reply(ctx.t("There is no open case with that code. /casos lists "
                                      "them."))]
    return row, rest.strip(), []


def _label(ctx: Context, row: CaseRow) -> str:
    county = f" · {row.county}" if row.county else ""
    return f"{row.code} · {ctx.t(TOPIC_LABELS.get(row.topic, row.topic))} · {row.locale}{county}"


@router.command("casos", "cases")
async def list_cases(ctx: Context, msg: Incoming) -> list[Reply]:
    """/casos: the open cases, waiting ones first."""
    cases = await ctx.desk.queue(ctx.user.pid, ctx.now)
    if not cases:
        return [Reply(ctx.t("No open cases."))]
    lines = []
    for case in sorted(cases, key=lambda c: (c.status != "queued", c.code)):
        state = ctx.t("waiting") if case.status == "queued" else \
            ctx.t("yours") if case.mine else ctx.t("taken")
        wait = "" if case.waiting_minutes is None else \
            " · " + ctx.t("unanswered {minutes} min", minutes=case.waiting_minutes)
        county = f" · {case.county}" if case.county else ""
        lines.append(f"{case.code} · {ctx.t(TOPIC_LABELS.get(case.topic, case.topic))} · "
                     f"{case.locale}{county} · {state}{wait}")
    return [Reply(ctx.t("Open cases:") + "\n" + "\n".join(lines)
                  + "\n\n" + ctx.t("/tomar CODE takes one."))]


def _transcript(ctx: Context, lines: list[Line]) -> str:
    who = {"person": ctx.t("Person"), "helper": ctx.t("Helper"), "note": ctx.t("Note")}
    return "\n".join(f"{who.get(line.author, line.author)}: {line.text}" for line in lines)


@router.command("tomar", "take")
async def take(ctx: Context, msg: Incoming) -> list[Reply]:
    """/tomar C-XXXX: the case is yours; shows what was said so far."""
    row, _rest, error = await _case(ctx, msg)
    if row is None:
        return error
    await ctx.desk.claim(row, ctx.user.pid, ctx.now)
    await ctx.record("case:take", row.code)
    lines = await ctx.desk.transcript(row)
    return [Reply(ctx.t("You have taken {case}.", case=_label(ctx, row)) + "\n\n"
                  + _transcript(ctx, lines) + "\n\n"
                  + ctx.t("Answer with /responder {code} your text (or !name for a prepared "
                          "answer, see /respuestas).", code=row.code))]


def _in_topic(ctx: Context, msg: Incoming) -> bool:
    return msg.thread is not None and msg.command is None and bool(msg.text.strip())


@router.text(_in_topic)
async def answer_in_topic(ctx: Context, msg: Incoming) -> list[Reply]:
    """A helper writes in a case's forum topic: it goes to the person."""
    row = await ctx.desk.case_in_thread(msg.thread or "")
    if row is None:
        return [Reply(ctx.t("This topic's case is closed."))]
    return await _answer(ctx, row, msg.text.strip())


@router.command("responder", "reply")
async def answer(ctx: Context, msg: Incoming) -> list[Reply]:
    """/responder C-XXXX texto: the text goes to the person, re-sent by the bot."""
    row, text, error = await _case(ctx, msg)
    if row is None:
        return error
    return await _answer(ctx, row, text)


async def _answer(ctx: Context, row: CaseRow, text: str) -> list[Reply]:
    """Sends a helper's text (or !name, a prepared answer) to the person; says how it went."""
    if text.startswith("!"):
        canned = ctx.config.desk.canned.get(text[1:].strip().lower())
        if canned is None:
            return [Reply(ctx.t("There is no prepared answer with that name. /respuestas "
                                "lists them."))]
        text = canned.es if row.locale == "es" else canned.en
    if not text:
        return [Reply(ctx.t("Write the answer after the code: /responder {code} your text",
                            code=row.code))]
    text = text[:MAX_ANSWER]
    address = await ctx.desk.reply(row, ctx.user.pid, text, ctx.now)
    await ctx.record("case:reply", row.code)
    if address is None:
        return [Reply(ctx.t("The person is no longer reachable; close the case with /cerrar."))]
    t = ctx.i18n.translator(row.locale)
    result = await ctx.desk.deliver(Reply(
        t("{org} ({code}):", org=ctx.config.resources.org_name, code=row.code)
        + f"\n{text}\n\n" + t("Answer here. /salir leaves the conversation."),
        to=address, template="case"))
    if not result.ok:
        return [Reply(ctx.t("Saved in {code}, but it could not be delivered now ({why}).",
                            code=row.code, why=ctx.t(_WHY.get(result.outcome, _WHY_OTHER))))]
    return [Reply(ctx.t("Sent to {code}.", code=row.code))]


# Why an answer did not reach the person, in words a helper understands (never the platform's).
_WHY = {
    SendOutcome.WINDOW_CLOSED: N_("the person has not written for a day and the answer "
                                  "template is not set up"),
    SendOutcome.BLOCKED: N_("the person has blocked or left the bot"),
    SendOutcome.RETRY_AFTER: N_("the platform is busy; try again in a moment"),
}
_WHY_OTHER = N_("the platform refused it; try again later")


@router.command("nota", "note")
async def add_note(ctx: Context, msg: Incoming) -> list[Reply]:
    """/nota C-XXXX texto: an internal note the person never sees."""
    row, text, error = await _case(ctx, msg)
    if row is None:
        return error
    if not text:
        return [Reply(ctx.t("Write the note after the code."))]
    await ctx.desk.note(row, text[:MAX_ANSWER], ctx.now)
    return [Reply(ctx.t("Note saved in {code}.", code=row.code))]


@router.command("cerrar", "close")
async def close(ctx: Context, msg: Incoming) -> list[Reply]:
    """/cerrar C-XXXX resultado: closes; the person is asked whether we helped."""
    row, result, error = await _case(ctx, msg)
    if row is None:
        return error
    address = await ctx.desk.person_address(row)
    outcome = await ctx.desk.close(row, result, ctx.now)
    await ctx.record("case:close", f"{row.code} {outcome}")
    replies = [Reply(ctx.t("{code} is closed ({outcome}).", code=row.code, outcome=outcome))]
    if address is not None:
        t = ctx.i18n.translator(row.locale)
        buttons = [Button("desk:helped:yes", t("Yes")), Button("desk:helped:no", t("No"))]
        text = t("Your conversation {code} is closed. Did we help you?", code=row.code)
        if row.topic == "detained":
            buttons.append(Button("desk:remind", t("Remind me to check the locator")))
            text += "\n\n" + t("A detained person can take time to appear in the ICE locator. "
                               "I can remind you tomorrow to look again.")
        replies.insert(0, Reply(text, Menu(tuple(buttons)), to=address))
    return replies


@router.command("respuestas", "answers")
async def canned(ctx: Context, msg: Incoming) -> list[Reply]:
    """/respuestas: the prepared answers a helper can send with !name."""
    if not ctx.config.desk.canned:
        return [Reply(ctx.t("No prepared answers are configured."))]
    lines = [f"!{name}: {(c.es if ctx.locale == 'es' else c.en)[:80]}…"
             for name, c in sorted(ctx.config.desk.canned.items())]
    return [Reply(ctx.t("Prepared answers:") + "\n" + "\n".join(lines))]


@router.command("estadisticas", "stats", access=ADMINS)
async def stats(ctx: Context, msg: Incoming) -> list[Reply]:
    """/estadisticas: per week, cases, median time to first reply and to close."""
    weeks = await ctx.desk.weekly()
    if not weeks:
        return [Reply(ctx.t("No cases yet."))]
    lines = []
    for week, rows in weeks.items():
        first = [r for r, _c, _h in rows if r is not None]
        closed = [c for _r, c, _h in rows if c is not None]
        helped = sum(1 for *_x, h in rows if h == "yes")
        lines.append(ctx.t(
            "Week of {week}: {cases} cases · first reply {first} min · closed in {close} min "
            "· helped {helped}",
            week=week, cases=len(rows),
            first=int(statistics.median(first)) if first else "—",
            close=int(statistics.median(closed)) if closed else "—", helped=helped))
    return [Reply(ctx.t("Case desk (medians):") + "\n" + "\n".join(lines))]
