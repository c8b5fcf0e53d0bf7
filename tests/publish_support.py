"""Steps shared by the publishing tests: find the confirm button a preview carries, and
publish with two people."""

from __future__ import annotations

from compa_testkit.harness import Chat


def confirm_button(chat: Chat, prefix: str = "pub:ok:") -> str:
    """The newest confirm button (`pub:ok:N:CODE` or `pub:nok:N:CODE`) this person was shown."""
    for reply in reversed(chat.inbox):
        if reply.menu is None:
            continue
        for button in reply.menu.buttons:
            if button.id.startswith(prefix):
                return button.id
    raise AssertionError(f"{chat.name} was shown no {prefix} button")


async def second_confirms(second: Chat, prefix: str = "pub:ok:") -> None:
    """The second person presses the confirm button of the newest preview they were shown."""
    await second.press(confirm_button(second, prefix))


async def two_person_alert(first: Chat, second: Chat, command: str) -> None:
    """`first` proposes with `command` (/alerta, /actualizar…), `second` confirms it."""
    await first.say(command)
    assert "preview" in first.text, first.text
    await second_confirms(second)
    assert "confirmed and on its way" in second.last.text, second.last.text
