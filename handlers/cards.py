"""The moderators' report card: one incident, its buttons, and who receives it.

Each moderator gets the card in their own language; the Telegram moderators' group gets one in
the default language. A card never names the moderators who decided, only how many did.
The reporter's words are shown quoted, on one line, cleaned by bot/display.untrusted: they
cannot pass for the bot's own lines, hide text, or carry a clickable link.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alerts import moderators
from alerts.models import (
    AGENTS_LABELS,
    KIND_LABELS,
    SEEN_LABELS,
    STATUS_LABELS,
    VEHICLES_LABELS,
    Decision,
    Incident,
    Report,
    Status,
)
from bot.context import Context
from bot.display import untrusted
from bot.i18n import N_, Translate
from bot.messages import Address, Button, Menu, Reply

CARD_LIMIT = 1000          # under WhatsApp's 1024 for a message with buttons
LINKED_SHOWN = 5
DETAILS_SHOWN = 300
LINKED_DETAILS_SHOWN = 80

# Button id action → decision. Short, so `mod:unver:123456` stays far below 64 bytes.
DECISION_ACTIONS = {"ok": Decision.CONFIRM, "false": Decision.FALSE_ALARM,
                    "unver": Decision.UNVERIFIABLE}
DECISION_LABELS = {
    Decision.CONFIRM: N_("✅ Confirm"),
    Decision.FALSE_ALARM: N_("❌ False alarm"),
    Decision.UNVERIFIABLE: N_("❔ Could not verify"),
}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _hour(ctx: Context, ts: int) -> str:
    when = datetime.fromtimestamp(ts, UTC).astimezone(ZoneInfo(ctx.config.bot.timezone))
    return when.strftime("%H:%M")


def _status_line(ctx: Context, t: Translate, incident: Incident) -> str:
    required = ctx.config.moderation.verifications_required
    done = incident.confirmations
    status = incident.status
    if status is Status.VERIFIED:
        return t("✅ Verified by {done} volunteers.", done=done)
    if not status.is_open:
        line = t("Closed: {status}.", status=t(STATUS_LABELS[status]))
        notes = [v.note for v in incident.votes if v.note and v.decision is not Decision.CONFIRM]
        return line + (" " + t("Reason: {reason}", reason=untrusted(notes[0])) if notes else "")
    progress = t("Confirmed {done}/{required} by a volunteer", done=done, required=required) \
        if done == 1 else t("Confirmed {done}/{required}", done=done, required=required)
    return t("Status: {status}.", status=t(STATUS_LABELS[status])) + " " + progress


def card_text(ctx: Context, locale: str, incident: Incident) -> str:
    t = ctx.i18n.translator(locale)
    head = incident.head
    lines = [
        t("🚨 Report #{id}: {kind}", id=head.id, kind=t(KIND_LABELS[head.kind])),
        "📍 " + ctx.regions.name(head.region, locale),
        "🕒 " + t("{seen} (received around {time})", seen=t(SEEN_LABELS[head.seen]),
                  time=_hour(ctx, head.received)),
        "👥 " + t(AGENTS_LABELS[head.agents]) + " · 🚗 " + t(VEHICLES_LABELS[head.vehicles]),
    ]
    if head.details:
        lines.append("📝 " + t("Reporter's words: «{words}»",
                              words=_clip(untrusted(head.details), DETAILS_SHOWN)))
    if head.has_photo:
        lines.append("📷 " + t("A photo is attached (its metadata was removed)."))
    others = incident.reports[1:]
    if others:
        # Issue 17: reports of the same kind in the same county within the window.
        lines.append("🔗 " + t("{n} independent reports", n=len(incident.reports)))
        lines.extend(_linked_line(t, r) for r in others[:LINKED_SHOWN])
    else:
        lines.append(t("No similar reports in this region in the last hour."))
    # Issue 17: a confirmation's note (a field verifier's outcome says what they saw).
    lines.extend("🗒️ " + _clip(v.note, DETAILS_SHOWN) for v in incident.votes
                 if v.decision is Decision.CONFIRM and v.note)
    lines.append(_status_line(ctx, t, incident))
    return _clip("\n".join(lines), CARD_LIMIT)


def _linked_line(t: Translate, report: Report) -> str:
    line = f"  #{report.id} {t(KIND_LABELS[report.kind])} · {t(AGENTS_LABELS[report.agents])}"
    if report.details:
        line += ": «" + _clip(untrusted(report.details), LINKED_DETAILS_SHOWN) + "»"
    return line


def card_menu(t: Translate, incident: Incident) -> Menu | None:
    if not incident.status.is_open:
        return None
    return Menu(tuple(Button(f"mod:{action}:{incident.id}", t(DECISION_LABELS[decision]))
                      for action, decision in DECISION_ACTIONS.items()))


async def recipient_locale(ctx: Context, address: Address) -> str:
    group = getattr(getattr(ctx.config.channels, address.channel, None), "moderators_chat_id",
                    "")
    if group and str(group) == address.chat_id:
        return str(ctx.config.bot.default_locale)
    locale = await ctx.users.locale_of(address)
    return locale or str(ctx.config.bot.default_locale)


async def card_replies(ctx: Context, incident: Incident, pressed: Address | None = None,
                       headline: str | None = None, *, fresh: bool = False,
                       photo_of: int | None = None) -> list[Reply]:
    """The card for every moderator; the chat where a button was `pressed` gets it in place.

    A `fresh` card (a new report) is a new message, preceded by the photo of report
    `photo_of` when it has one; otherwise each chat's card is edited in place, or gets one
    short status line where the channel cannot edit (bot/staff_sends.py)."""
    photo = await ctx.reports.photo(photo_of) if fresh and photo_of is not None else None
    replies = []
    for address in moderators.room(ctx.config):
        locale = await recipient_locale(ctx, address)
        t = ctx.i18n.translator(locale)
        text = card_text(ctx, locale, incident)
        if headline:
            text = t(headline) + "\n\n" + text
        if photo:
            replies.append(photo_reply(t, photo_of or incident.id, photo, to=address))
        replies.append(Reply(text, card_menu(t, incident), to=address,
                             replace=address == pressed, staff=True, card=incident.id,
                             update=None if fresh else update_line(ctx, t, incident)))
    return replies


def update_line(ctx: Context, t: Translate, incident: Incident) -> str:
    """The one line a chat that cannot edit its card gets when the report changes."""
    line = t("🚨 Report #{id}: {status}", id=incident.id,
             status=_status_line(ctx, t, incident))
    # The newest confirmation's note travels with it (a field verifier's outcome, issue 17).
    notes = [v.note for v in incident.votes if v.decision is Decision.CONFIRM and v.note]
    return line + ("\n🗒️ " + _clip(notes[-1], DETAILS_SHOWN) if notes else "")


def photo_reply(t: Translate, report_id: int, photo: bytes, to: Address | None = None
                ) -> Reply:
    """A report's stripped photo, with a caption saying which report it belongs to."""
    return Reply(t("📷 Photo of report #{id} (its metadata was removed).", id=report_id),
                 to=to, staff=True, photo=photo)


async def room_notices(ctx: Context, message: str, **kwargs: object) -> list[Reply]:
    """A plain message (an N_ string) to every moderator, each in their language."""
    replies = []
    for address in moderators.room(ctx.config):
        t = ctx.i18n.translator(await recipient_locale(ctx, address))
        replies.append(Reply(t(message, **kwargs), to=address, staff=True))
    return replies


# Channel names as people say them (brand names are not translated; the console is).
CHANNEL_NAMES = {"telegram": "Telegram", "whatsapp": "WhatsApp", "console": N_("console")}


def channel_counts(ctx: Context, counts: dict[str, int]) -> str:
    """"Telegram: 12, WhatsApp: 3": one counter per enabled channel, none for the others."""
    enabled = [name for name in CHANNEL_NAMES
               if getattr(getattr(ctx.config.channels, name, None), "enabled", False)]
    return ", ".join(f"{ctx.t(CHANNEL_NAMES[name])}: {counts.get(name, 0)}"
                     for name in enabled) or "0"
