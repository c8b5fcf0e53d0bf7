"""The case desk's WhatsApp template (issue 16): "you have an answer", with one button.

A helper may answer more than 24 hours after the person's last message; WhatsApp then only
carries an approved template. This one says only that an answer is waiting (never the answer:
a template's text is reviewed by Meta and shows on a locked screen); its quick-reply button
"desk:show" opens the window again and the bot shows the answer (handlers/desk.py).
"""

from __future__ import annotations

from typing import Any

from bot.config import Config

SHOW = "desk:show"


def case_template(config: Config, locale: str | None) -> dict[str, Any] | None:
    """The template payload in the person's language (else the default, else any); None
    when none is configured."""
    templates = config.desk.whatsapp_templates
    for candidate in (locale, config.bot.default_locale, *templates):
        if candidate and candidate in templates:
            spec = templates[candidate]
            return {"type": "template", "template": {
                "name": spec.name, "language": {"code": spec.language},
                "components": [
                    {"type": "body", "parameters": [
                        {"type": "text", "text": config.resources.org_name}]},
                    {"type": "button", "sub_type": "quick_reply", "index": "0",
                     "parameters": [{"type": "payload", "payload": SHOW}]},
                ]}}
    return None
