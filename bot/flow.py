"""Multi-step conversations as a table of steps, one handler per step.

As python-telegram-bot's `ConversationHandler` states, but channel-neutral and kept in our
own session store. A `Flow` owns the session states `"<name>:<step>"`:

    flow = Flow("report", router, passes=not_mine)
    flow.step("kind", question=ask_kind)(on_kind)           # in order: the table
    flow.step("photo", question=ask_photo, when=photos_on)(on_photo)

    @flow.guard                  # optional: runs before every step's handler
    async def common(ctx, msg, step): ...   # a reply, or None to go on to the step

- `flow.ask(ctx, step, note)` sets the state and asks the step's question (after `note`).
- `flow.advance(ctx, step, note)` asks the next step whose `when` holds.
- The flow registers one step route on the router (with the router's `access`); while the
  session is in the flow, each message goes to the guard, then to the current step's handler.
  A message `passes` lets through returns None, so the later stages (menu, topics) see it.

The flow keeps what it collects in `ctx.session` (the step handlers read and write it): the
session store decides where that lives.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.messages import Incoming, Menu, Reply
from bot.router import Access, Handler, Result, Router

if TYPE_CHECKING:
    from bot.context import Context

# A step's question: (text, menu), given the options `ask` was called with (a page…).
Question = Callable[..., tuple[str, Menu | None]]
Guard = Callable[["Context", Incoming, str], Awaitable[Result]]
Condition = Callable[["Context"], bool]


@dataclass(frozen=True)
class Step:
    name: str
    question: Question
    handler: Handler
    when: Condition | None = None


class Flow:
    """An ordered table of steps sharing the session state prefix `name`."""

    def __init__(self, name: str, router: Router, *,
                 passes: Callable[[Incoming], bool] | None = None,
                 access: Access | None = None) -> None:
        self.name = name
        self.steps: dict[str, Step] = {}
        self.passes = passes
        self._guard: Guard | None = None
        router.step(name, access=access)(self.dispatch)

    def step(self, name: str, question: Question, *, when: Condition | None = None
             ) -> Callable[[Handler], Handler]:
        """Adds a step at the end of the table; the decorated function handles its answers."""
        def deco(fn: Handler) -> Handler:
            self.steps[name] = Step(name, question, fn, when)
            return fn
        return deco

    def guard(self, fn: Guard) -> Guard:
        self._guard = fn
        return fn

    @property
    def first(self) -> str:
        return next(iter(self.steps))

    def current(self, ctx: Context) -> str | None:
        area, _, step = (ctx.session.state or "").partition(":")
        return step if area == self.name and step in self.steps else None

    def ask(self, ctx: Context, step: str, note: str | None = None, **options: Any
            ) -> list[Reply]:
        """Moves the session to `step` and asks its question, after an optional line."""
        ctx.session.set(f"{self.name}:{step}")
        text, menu = self.steps[step].question(ctx, **options)
        return [Reply(f"{note}\n\n{text}" if note else text, menu)]

    def following(self, ctx: Context, step: str) -> str:
        names = list(self.steps)
        for name in names[names.index(step) + 1:]:
            when = self.steps[name].when
            if when is None or when(ctx):
                return name
        raise LookupError(f"{self.name}: no step after {step}")

    def advance(self, ctx: Context, step: str, note: str | None = None) -> list[Reply]:
        return self.ask(ctx, self.following(ctx, step), note)

    async def dispatch(self, ctx: Context, msg: Incoming) -> Result:
        """The flow's step route: the guard, then the current step's handler."""
        step = self.current(ctx)
        if step is None:
            ctx.session.clear()     # a state from an older version of the flow
            return None
        if self.passes is not None and self.passes(msg):
            return None
        if self._guard is not None:
            result = await self._guard(ctx, msg, step)
            if result is not None:
                return result
        return await self.steps[step].handler(ctx, msg)
