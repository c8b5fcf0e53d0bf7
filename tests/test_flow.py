"""bot/flow.py: a conversation as a table of steps, one handler per step."""

from __future__ import annotations

from typing import Any

from bot.context import Context, Session
from bot.flow import Flow
from bot.messages import Address, Incoming, Menu, Reply
from bot.router import Dispatcher, Result, Router

A = Address("console", "x")


def _ctx(state: str | None = None) -> Any:
    ctx = Context.__new__(Context)
    ctx.session = Session(state=state)
    ctx.arg = ""
    return ctx


def _survey(log: list[str], *, extra: bool) -> tuple[Router, Flow]:
    """name → (extra, only when asked for) → done; "skip" buttons pass through."""
    router = Router("survey")
    flow = Flow("survey", router, passes=lambda msg: msg.button_id == "elsewhere")

    def question(label: str) -> Any:
        def ask(ctx: Context, page: int = 0) -> tuple[str, Menu | None]:
            return f"{label}?{page or ''}", None
        return ask

    @flow.step("name", question("name"))
    async def on_name(ctx: Context, msg: Incoming) -> Result:
        log.append(f"name:{msg.text}")
        ctx.session.data["name"] = msg.text
        return flow.advance(ctx, "name", "thanks")

    @flow.step("extra", question("extra"), when=lambda ctx: extra)
    async def on_extra(ctx: Context, msg: Incoming) -> Result:
        log.append("extra")
        return flow.advance(ctx, "extra")

    @flow.step("done", question("done"))
    async def on_done(ctx: Context, msg: Incoming) -> Result:
        log.append("done")
        ctx.session.clear()
        return [Reply("bye")]

    @flow.guard
    async def stop(ctx: Context, msg: Incoming, step: str) -> Result:
        if msg.text == "stop":
            ctx.session.clear()
            return [Reply(f"stopped at {step}")]
        return None

    return router, flow


async def test_each_step_has_its_handler_and_advance_follows_the_table() -> None:
    log: list[str] = []
    router, flow = _survey(log, extra=True)
    ctx = _ctx()
    assert [r.text for r in flow.ask(ctx, flow.first)] == ["name?"]
    assert ctx.session.state == "survey:name"
    dispatcher = Dispatcher([router])
    assert [r.text for r in await dispatcher.dispatch(ctx, Incoming(A, text="Ana"))] \
        == ["thanks\n\nextra?"]
    assert ctx.session.state == "survey:extra" and ctx.session.data == {"name": "Ana"}
    await dispatcher.dispatch(ctx, Incoming(A, text="x"))
    assert ctx.session.state == "survey:done"
    assert [r.text for r in await dispatcher.dispatch(ctx, Incoming(A, text="x"))] == ["bye"]
    assert log == ["name:Ana", "extra", "done"] and ctx.session.state is None


async def test_a_step_whose_condition_fails_is_skipped() -> None:
    log: list[str] = []
    router, _ = _survey(log, extra=False)
    ctx = _ctx("survey:name")
    replies = await Dispatcher([router]).dispatch(ctx, Incoming(A, text="Ana"))
    assert [r.text for r in replies] == ["thanks\n\ndone?"]
    assert ctx.session.state == "survey:done"


async def test_guard_first_then_passes_then_stale_states() -> None:
    log: list[str] = []
    router, _ = _survey(log, extra=True)
    ctx = _ctx("survey:extra")
    dispatcher = Dispatcher([router])
    assert [r.text for r in await dispatcher.dispatch(ctx, Incoming(A, text="stop"))] \
        == ["stopped at extra"]
    # A message the flow lets through goes to the later stages (none here).
    ctx = _ctx("survey:extra")
    assert await dispatcher.dispatch(ctx, Incoming(A, button_id="elsewhere")) == []
    assert ctx.session.state == "survey:extra"
    # A state from an older version of the flow is dropped, not crashed on.
    ctx = _ctx("survey:gone")
    assert await dispatcher.dispatch(ctx, Incoming(A, text="hi")) == []
    assert ctx.session.state is None and log == []


def test_ask_passes_options_to_the_question() -> None:
    _, flow = _survey([], extra=True)
    ctx = _ctx()
    assert flow.ask(ctx, "extra", page=2)[0].text == "extra?2"
