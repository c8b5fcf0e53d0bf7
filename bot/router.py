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

**Roles are declared, not checked by hand.** `Router("moderation", access=VERIFIERS)` (or
`access=` on one route) makes the dispatcher refuse everyone below that role when it reaches one
of the router's routes, before the handler runs: one kind answer with the menu, and one
`refused` audit entry (the actor as a per-day pseudonym, the subject the route, never what was
typed). A handler in such a router can therefore assume the role.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alerts.models import Role
from bot.i18n import N_, fold
from bot.messages import Incoming, Menu, Reply, foreign_digits

if TYPE_CHECKING:
    from bot.context import Context

Result = list[Reply] | None
Handler = Callable[["Context", Incoming], Awaitable[Result]]
Matcher = Callable[["Context", Incoming], bool]
_Deco = Callable[[Handler], Handler]


@dataclass(frozen=True)
class Access:
    """Who may use a route (`role` or above) and what everyone else is told (an N_ msgid)."""

    role: Role
    refusal: str


@dataclass(frozen=True)
class Route:
    """One registered route: `kind` is command, step, button, keyword, word, text or fallback;
    `key` the command name, step prefix, button prefix or folded word."""

    kind: str
    key: str
    handler: Handler
    access: Access | None = None
    matcher: Matcher | None = None


class Router:
    """The routes of one handler module; `access` is the role all of them require."""

    def __init__(self, name: str, access: Access | None = None) -> None:
        self.name = name
        self.access = access
        self.commands: dict[str, Route] = {}
        self.steps: dict[str, Route] = {}
        self.buttons: list[Route] = []
        self.keywords: dict[str, Route] = {}
        self.global_keywords: dict[str, Route] = {}
        self.matchers: list[Route] = []
        self.fallbacks: list[Route] = []

    def routes(self) -> list[Route]:
        """Every route, for the dispatcher's tests and the role audit."""
        return [*self.commands.values(), *self.steps.values(), *self.buttons,
                *self.keywords.values(), *self.global_keywords.values(), *self.matchers,
                *self.fallbacks]

    def _route(self, kind: str, key: str, fn: Handler, access: Access | None,
               matcher: Matcher | None = None) -> Route:
        return Route(kind, key, fn, access or self.access, matcher)

    def command(self, *names: str, access: Access | None = None) -> _Deco:
        def deco(fn: Handler) -> Handler:
            for name in names:
                self.commands[name.lower()] = self._route("command", name.lower(), fn, access)
            return fn
        return deco

    def step(self, prefix: str, access: Access | None = None) -> _Deco:
        def deco(fn: Handler) -> Handler:
            self.steps[prefix] = self._route("step", prefix, fn, access)
            return fn
        return deco

    def button(self, *prefixes: str, access: Access | None = None) -> _Deco:
        def deco(fn: Handler) -> Handler:
            self.buttons.extend(self._route("button", p, fn, access) for p in prefixes)
            return fn
        return deco

    def keyword(self, *words: str, access: Access | None = None) -> _Deco:
        def deco(fn: Handler) -> Handler:
            for word in words:
                self.keywords[fold(word)] = self._route("keyword", fold(word), fn, access)
            return fn
        return deco

    def global_keyword(self, *words: str, access: Access | None = None) -> _Deco:
        """Words that act like commands: tried first, even in the middle of a step."""
        def deco(fn: Handler) -> Handler:
            for word in words:
                self.global_keywords[fold(word)] = self._route("word", fold(word), fn, access)
            return fn
        return deco

    def text(self, matcher: Matcher, access: Access | None = None) -> _Deco:
        def deco(fn: Handler) -> Handler:
            self.matchers.append(self._route("text", fn.__name__, fn, access, matcher))
            return fn
        return deco

    def fallback(self) -> _Deco:
        def deco(fn: Handler) -> Handler:
            self.fallbacks.append(self._route("fallback", fn.__name__, fn, None))
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
    """Runs the stages in order; `home` is the menu a refused person is shown."""

    def __init__(self, routers: Iterable[Router],
                 home: Callable[[Context], Menu | None] = lambda ctx: None) -> None:
        self.routers = list(routers)
        self.home = home

    async def dispatch(self, ctx: Context, msg: Incoming) -> list[Reply]:
        odd = _odd_digits(ctx, msg)
        if odd is not None:
            return odd
        for stage in (self._command, self._step, self._button, self._keyword, self._fallback):
            result = await stage(ctx, msg)
            if result is not None:
                return result
        return []

    async def _run(self, route: Route, ctx: Context, msg: Incoming) -> Result:
        """The one place a route's role is checked: refused, audited, and never run."""
        if route.access is not None and not ctx.has_role(route.access.role):
            return await self._refuse(ctx, route, route.access)
        return await route.handler(ctx, msg)

    async def _refuse(self, ctx: Context, route: Route, access: Access) -> list[Reply]:
        audit = ctx.audit
        await audit.append(audit.person(ctx.user.pid, ctx.now), "refused",
                           f"{route.kind}:{route.key}", ctx.now)
        if route.kind == "step":
            ctx.session.clear()
        return [Reply(ctx.t(access.refusal), self.home(ctx))]

    async def _first(self, routes: Iterable[Route | None], ctx: Context, msg: Incoming
                     ) -> Result:
        for route in routes:
            if route is not None:
                result = await self._run(route, ctx, msg)
                if result is not None:
                    return result
        return None

    async def _command(self, ctx: Context, msg: Incoming) -> Result:
        name = msg.command
        if name is not None:
            return await self._first((r.commands.get(name) for r in self.routers), ctx, msg)
        if msg.button_id is None and len(msg.text) <= 40:
            folded = fold(msg.text)
            return await self._first((r.global_keywords.get(folded) for r in self.routers),
                                     ctx, msg)
        return None

    async def _step(self, ctx: Context, msg: Incoming) -> Result:
        state = ctx.session.state
        if not state:
            return None
        prefix = state.split(":", 1)[0]
        return await self._first((r.steps.get(prefix) for r in self.routers), ctx, msg)

    async def _button(self, ctx: Context, msg: Incoming) -> Result:
        if msg.button_id is None:
            return None
        # Longest prefix first, so "kyr:topic" wins over "kyr".
        routes = sorted((r for router in self.routers for r in router.buttons),
                        key=lambda r: -len(r.key))
        for route in routes:
            arg = button_arg(msg.button_id, route.key)
            if arg is not None:
                ctx.arg = arg
                result = await self._run(route, ctx, msg)
                if result is not None:
                    return result
        return None

    async def _keyword(self, ctx: Context, msg: Incoming) -> Result:
        if msg.button_id is not None or not msg.text.strip() or msg.command:
            return None
        folded = fold(msg.text)
        result = await self._first((r.keywords.get(folded) for r in self.routers), ctx, msg)
        if result is not None:
            return result
        matching = (m for r in self.routers for m in r.matchers
                    if m.matcher is not None and m.matcher(ctx, msg))
        return await self._first(matching, ctx, msg)

    async def _fallback(self, ctx: Context, msg: Incoming) -> Result:
        return await self._first((f for r in self.routers for f in r.fallbacks), ctx, msg)


def _odd_digits(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Ids are ASCII: button data or a command's first words with other digits ("²") get a
    kind answer here, before any handler, so nothing crashes and the session (a report being
    written) is left as it was."""
    if msg.button_id is not None and not msg.button_id.isascii():
        return [Reply(ctx.t(N_("That option is no longer available.")))]
    if msg.command is not None and foreign_digits(" ".join(msg.args.split()[:2])):
        return [Reply(ctx.t(N_("Please write numbers with the digits 0 to 9, for example "
                               "/verify 12.")))]
    return None
