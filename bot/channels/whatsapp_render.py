"""A neutral `Reply` → WhatsApp Cloud API message objects, within Meta's limits.

pywa checks no lengths and Meta answers 131009 to anything too long, so every limit is applied
here: 1–3 choices become reply buttons (title ≤ 20), 4–10 a list (row title ≤ 24, description
≤ 72, button ≤ 20), an interactive body is ≤ 1024 (longer text goes first as plain messages),
header ≤ 60, text ≤ 4096. Labels that do not fit are shortened with "…" and logged.

Each part is the message body without its recipient: `{"type": "text", "text": {…}}`.
"""

from __future__ import annotations

import re
from typing import Any

from bot.channels.base import WHATSAPP_LIMITS, shorten
from bot.config import ResourcesConfig, WhatsAppTemplate
from bot.messages import Menu, Reply
from bot.text import split_text

HEADER_LIMIT = 60
CAPTION_LIMIT = 1024
# A template body is ≤ 1024 characters with its parameters filled in; the template's own words
# take some of that, so the message parameter gets what is left with a margin.
TEMPLATE_TEXT_LIMIT = 700
_SPACES = re.compile(r"\s+")

Payload = dict[str, Any]


def text_parts(text: str) -> list[Payload]:
    return [{"type": "text", "text": {"body": part, "preview_url": False}}
            for part in split_text(text, WHATSAPP_LIMITS.text) if part.strip()]


def render(reply: Reply, list_button: str) -> list[Payload]:
    """The messages for one reply; `list_button` opens a list ("Options", translated)."""
    if reply.menu is None:
        return text_parts(reply.text)
    limits = WHATSAPP_LIMITS
    leading: list[Payload] = []
    body = reply.text.strip()
    if len(body) > limits.text_with_buttons:
        # The end of the text stays with the buttons; the rest goes first, as plain messages.
        chunks = split_text(body, limits.text_with_buttons)
        body = chunks[-1]
        leading = text_parts("\n\n".join(chunks[:-1]))
    if not body:
        body = reply.menu.title or "…"
    interactive = (_buttons(body, reply.menu) if len(reply.menu.buttons) <= limits.buttons
                   else _list(body, reply.menu, list_button))
    return [*leading, {"type": "interactive", "interactive": interactive}]


def _header(menu: Menu) -> dict[str, Any]:
    if not menu.title:
        return {}
    return {"header": {"type": "text", "text": shorten(menu.title, HEADER_LIMIT, "header")}}


def _buttons(body: str, menu: Menu) -> dict[str, Any]:
    limit = WHATSAPP_LIMITS.button_label
    buttons = [{"type": "reply",
                "reply": {"id": b.id, "title": shorten(b.label, limit, "button")}}
               for b in menu.buttons]
    return {"type": "button", **_header(menu), "body": {"text": body},
            "action": {"buttons": buttons}}


def _list(body: str, menu: Menu, list_button: str) -> dict[str, Any]:
    limits = WHATSAPP_LIMITS
    rows = []
    for b in menu.buttons:
        row: dict[str, str] = {"id": b.id,
                               "title": shorten(b.label, limits.list_title, "list row")}
        # A label too long for a row title is still readable in full as the description.
        description = b.description or (b.label if len(b.label) > limits.list_title else None)
        if description:
            row["description"] = shorten(description, limits.list_description,
                                         "list description")
        rows.append(row)
    return {"type": "list", **_header(menu), "body": {"text": body},
            "action": {"button": shorten(list_button, limits.button_label, "list button"),
                       "sections": [{"rows": rows}]}}


def one_line(text: str, limit: int = TEMPLATE_TEXT_LIMIT) -> str:
    """Template parameters may hold no newline, tab or run of 4+ spaces."""
    return shorten(_SPACES.sub(" ", text).strip(), limit, "template parameter")


def template(spec: WhatsAppTemplate, reply: Reply, resources: ResourcesConfig) -> Payload:
    """The approved template carrying `reply` (its menu cannot travel with it)."""
    values = {"text": one_line(reply.text), "org_name": one_line(resources.org_name),
              "hotline": one_line(resources.hotline)}
    body: dict[str, Any] = {"name": spec.name, "language": {"code": spec.language}}
    if spec.parameters:
        body["components"] = [{"type": "body", "parameters": [
            {"type": "text", "text": values[p]} for p in spec.parameters]}]
    return {"type": "template", "template": body}


def image(media_id: str, caption: str) -> Payload:
    """An uploaded picture with its caption."""
    body: dict[str, Any] = {"id": media_id}
    if caption.strip():
        body["caption"] = shorten(caption.strip(), CAPTION_LIMIT, "caption")
    return {"type": "image", "image": body}
