"""The console channel: chat with the bot in a terminal, or drive it with piped input.

One message per line. A number presses that button of the speaker's last menu (typing the
label works too). `@ana hola` speaks as "ana" (the default person is "you"), so a whole
moderation flow can be tried without any account; replies addressed to someone other than the
current speaker are printed with a `[→ name]` prefix.
"""

from __future__ import annotations

import asyncio
import re
import sys
from typing import TextIO

from bot.app import App
from bot.channels.base import CONSOLE_LIMITS, Limits
from bot.i18n import N_, fold
from bot.messages import Address, Incoming, Menu, Reply, SendResult

DEFAULT_SPEAKER = "you"
CONSOLE_HINT = N_("Type a message and press Enter (Ctrl-D to quit). "
                  "@name speaks as another person.")
_SPEAKER = re.compile(r"^@([A-Za-z0-9_.-]{1,32})\s*(.*)$", re.S)


class ConsoleChannel:
    name = "console"
    limits: Limits = CONSOLE_LIMITS

    def __init__(self, app: App, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 prompt: bool | None = None) -> None:
        self.app = app
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.prompt = self.stdin.isatty() if prompt is None else prompt
        self.speaker = DEFAULT_SPEAKER
        self._menus: dict[str, Menu] = {}
        self._counter = 0

    async def start(self) -> None:
        self.app.channels[self.name] = self

    async def stop(self) -> None:
        self.app.channels.pop(self.name, None)

    def parse(self, line: str) -> Incoming | None:
        """One typed line → Incoming (None for a blank line)."""
        text = line.rstrip("\r\n")
        match = _SPEAKER.match(text.strip())
        if match:
            self.speaker, text = match.group(1), match.group(2)
        if not text.strip():
            return None
        self._counter += 1
        address = Address(self.name, self.speaker)
        button_id = self._pressed(self.speaker, text.strip())
        if button_id is not None:
            return Incoming(address, text="", button_id=button_id,
                            message_id=str(self._counter))
        return Incoming(address, text=text, message_id=str(self._counter))

    def _pressed(self, speaker: str, text: str) -> str | None:
        menu = self._menus.get(speaker)
        if menu is None:
            return None
        if text.isascii() and text.isdigit() and len(text) < 4:
            index = int(text) - 1
            return menu.buttons[index].id if 0 <= index < len(menu.buttons) else None
        folded = fold(text)
        for button in menu.buttons:
            if fold(button.label) == folded:
                return button.id
        return None

    def _print(self, address: Address, reply: Reply) -> None:
        prefix = "" if address.chat_id == self.speaker else f"[→ {address.chat_id}] "
        lines = [prefix + reply.text]
        if reply.menu is not None:
            if reply.menu.title:
                lines.append(f"  [{reply.menu.title}]")
            lines.extend(f"  {i}) {b.label}" for i, b in enumerate(reply.menu.buttons, 1))
            self._menus[address.chat_id] = reply.menu
        self.stdout.write("\n".join(lines) + "\n\n")
        self.stdout.flush()

    async def send(self, address: Address, reply: Reply) -> SendResult:
        self._print(address, reply)
        return SendResult.sent(f"console-{self._counter}")

    async def respond(self, msg: Incoming, replies: list[Reply]) -> None:
        for reply in replies:
            self._print(msg.address, reply)

    async def run(self) -> None:
        """Reads until EOF (or Ctrl-D), answering each line."""
        loop = asyncio.get_running_loop()
        if self.prompt:
            t = self.app.i18n.translator(self.app.config.bot.default_locale)
            self.stdout.write(t(CONSOLE_HINT) + "\n\n")
        while True:
            if self.prompt:
                self.stdout.write(f"{self.speaker}> ")
                self.stdout.flush()
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                break
            msg = self.parse(line)
            if msg is None:
                continue
            await self.app.process(msg)
