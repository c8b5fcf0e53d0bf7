"""Routing: one `Router` per handler module, combined by a `Dispatcher` in priority order.

Dispatch order (each stage tries every router, in the order `handlers/__init__.py` lists them):

1. **global commands** — `/start`, `/cancel`, `/menu`…, and the few global words (`STOP`,
   `BAJA`): always win, even mid-conversation, so a person can always get out.
2. **current conversation step** — the handler registered for the session's state prefix
   (`"report:details"` → step `"report"`). It may return `None` to pass the message on (a button
   from an older menu), and the later stages then see it.
3. **button ids** — an exact id or an `area:action` prefix (`"kyr:topic"` matches
   `"kyr:topic:silence"`, with the rest given as `arg`).
4. **keywords** — folded text (case-, accent- and punctuation-insensitive) equal to a keyword,
   then free-text matchers (topic search).
5. **fallback** — a kind answer and the menu; never silence.

Handlers return `list[Reply]` (or `None` to decline); they do no I/O to the person themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.i18n import fold
from bot.messages import Incoming, Reply

if TYPE_CHECKING:
    from bot.context import Context

Result = list[Reply] | None
Handler = Callable[["Context", Incoming], Awaitable[Result]]
Matcher = Callable[["Context", Incoming], bool]


@dataclass(frozen=True)
class _Route:
    key: str
    handler: Handler


class Router:
    """The routes of one handler module."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: dict[str, Handler] = {}
        self.steps: dict[str, Handler] = {}
        self.buttons: list[_Route] = []
        self.keywords: dict[str, Handler] = {}
        self.global_keywords: dict[str, Handler] = {}
        self.matchers: list[tuple[Matcher, Handler]] = []
        self.fallbacks: list[Handler] = []

    def command(self, *names: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            for name in names:
                self.commands[name.lower()] = fn
            return fn
        return deco

    def step(self, prefix: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.steps[prefix] = fn
            return fn
        return deco

    def button(self, *prefixes: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.buttons.extend(_Route(p, fn) for p in prefixes)
            return fn
        return deco

    def keyword(self, *words: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            for word in words:
                self.keywords[fold(word)] = fn
            return fn
        return deco

    def global_keyword(self, *words: str) -> Callable[[Handler], Handler]:
        """Words that act like commands: tried first, even in the middle of a step."""
        def deco(fn: Handler) -> Handler:
            for word in words:
                self.global_keywords[fold(word)] = fn
            return fn
        return deco

    def text(self, matcher: Matcher) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.matchers.append((matcher, fn))
            return fn
        return deco

    def fallback(self) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.fallbacks.append(fn)
            return fn
        return deco


def button_arg(button_id: str, prefix: str) -> str | None:
    """`("kyr:topic:silence", "kyr:topic")` → "silence"; "" for an exact match; else None."""
    if button_id == prefix:
        return ""
    if button_id.startswith(prefix + ":"):
        return button_id[len(prefix) + 1:]
    return None


class Dispatcher:
    def __init__(self, routers: Iterable[Router]) -> None:
        self.routers = list(routers)

    async def dispatch(self, ctx: Context, msg: Incoming) -> list[Reply]:
        for stage in (self._command, self._step, self._button, self._keyword, self._fallback):
            result = await stage(ctx, msg)
            if result is not None:
                return result
        return []

    async def _command(self, ctx: Context, msg: Incoming) -> Result:
        name = msg.command
        if name is None:
            if msg.button_id is None and len(msg.text) <= 40:
                folded = fold(msg.text)
                for router in self.routers:
                    handler = router.global_keywords.get(folded)
                    if handler is not None:
                        result = await handler(ctx, msg)
                        if result is not None:
                            return result
            return None
        for router in self.routers:
            handler = router.commands.get(name)
            if handler is not None:
                result = await handler(ctx, msg)
                if result is not None:
                    return result
        return None

    async def _step(self, ctx: Context, msg: Incoming) -> Result:
        state = ctx.session.state
        if not state:
            return None
        prefix = state.split(":", 1)[0]
        for router in self.routers:
            handler = router.steps.get(prefix)
            if handler is not None:
                result = await handler(ctx, msg)
                if result is not None:
                    return result
        return None

    async def _button(self, ctx: Context, msg: Incoming) -> Result:
        if msg.button_id is None:
            return None
        # Longest prefix first, so "kyr:topic" wins over "kyr".
        routes = sorted(((len(r.key), r) for router in self.routers for r in router.buttons),
                        key=lambda pair: -pair[0])
        for _, route in routes:
            arg = button_arg(msg.button_id, route.key)
            if arg is not None:
                ctx.arg = arg
                result = await route.handler(ctx, msg)
                if result is not None:
                    return result
        return None

    async def _keyword(self, ctx: Context, msg: Incoming) -> Result:
        if msg.button_id is not None or not msg.text.strip() or msg.command:
            return None
        folded = fold(msg.text)
        for router in self.routers:
            handler = router.keywords.get(folded)
            if handler is not None:
                result = await handler(ctx, msg)
                if result is not None:
                    return result
        for router in self.routers:
            for matcher, handler in router.matchers:
                if matcher(ctx, msg):
                    result = await handler(ctx, msg)
                    if result is not None:
                        return result
        return None

    async def _fallback(self, ctx: Context, msg: Incoming) -> Result:
        for router in self.routers:
            for handler in router.fallbacks:
                result = await handler(ctx, msg)
                if result is not None:
                    return result
        return None
