"""The documented dispatch order: commands → current step → buttons → keywords → fallback."""

from __future__ import annotations

from typing import Any

from bot.context import Context, Session
from bot.messages import Address, Incoming, Reply
from bot.router import Dispatcher, Router, button_arg


def _ctx(state: str | None = None) -> Any:
    ctx = Context.__new__(Context)
    ctx.session = Session(state=state)
    ctx.arg = ""
    return ctx


def _router(calls: list[str]) -> Router:
    r = Router("probe")

    def record(name: str) -> Any:
        async def handler(ctx: Context, msg: Incoming) -> list[Reply]:
            calls.append(f"{name}:{ctx.arg}" if name == "button" else name)
            return [Reply(name)]
        return handler

    r.command("go")(record("command"))
    r.step("flow")(record("step"))
    r.button("area:act")(record("button"))
    r.keyword("Menú")(record("keyword"))
    r.text(lambda ctx, msg: "topic" in msg.text)(record("matcher"))
    r.fallback()(record("fallback"))
    return r


A = Address("console", "x")


async def _dispatch(msg: Incoming, state: str | None = None) -> list[str]:
    calls: list[str] = []
    await Dispatcher([_router(calls)]).dispatch(_ctx(state), msg)
    return calls


async def test_command_beats_current_step() -> None:
    assert await _dispatch(Incoming(A, text="/go now"), state="flow:x") == ["command"]


async def test_step_beats_buttons_and_keywords() -> None:
    assert await _dispatch(Incoming(A, button_id="area:act:1"), state="flow:x") == ["step"]
    assert await _dispatch(Incoming(A, text="menu"), state="flow:x") == ["step"]


async def test_button_prefix_gives_the_argument() -> None:
    assert await _dispatch(Incoming(A, button_id="area:act:42")) == ["button:42"]
    assert await _dispatch(Incoming(A, button_id="area:act")) == ["button:"]
    # A longer id that only shares characters is not a prefix match.
    assert await _dispatch(Incoming(A, button_id="area:actor")) == ["fallback"]


async def test_keywords_fold_accents_case_and_punctuation() -> None:
    for text in ("menu", "MENÚ", " menú! ", "Menu."):
        assert await _dispatch(Incoming(A, text=text)) == ["keyword"], text


async def test_matchers_after_keywords_then_fallback() -> None:
    assert await _dispatch(Incoming(A, text="a topic please")) == ["matcher"]
    assert await _dispatch(Incoming(A, text="something else")) == ["fallback"]
    assert await _dispatch(Incoming(A, text="/unknown")) == ["fallback"]


async def test_a_handler_returning_none_passes_to_the_next_stage() -> None:
    calls: list[str] = []
    r = _router(calls)

    @r.step("flow")     # replaces the recording step handler
    async def decline(ctx: Context, msg: Incoming) -> None:
        calls.append("declined")

    await Dispatcher([r]).dispatch(_ctx("flow:x"), Incoming(A, button_id="area:act:7"))
    assert calls == ["declined", "button:7"]


async def test_routers_are_tried_in_listed_order_within_a_stage() -> None:
    first, second = Router("first"), Router("second")
    seen: list[str] = []

    @first.keyword("hola")
    async def a(ctx: Context, msg: Incoming) -> list[Reply]:
        seen.append("first")
        return [Reply("first")]

    @second.keyword("hola")
    async def b(ctx: Context, msg: Incoming) -> list[Reply]:
        seen.append("second")
        return [Reply("second")]

    await Dispatcher([first, second]).dispatch(_ctx(), Incoming(A, text="hola"))
    assert seen == ["first"]


def test_button_arg() -> None:
    assert button_arg("kyr:topic:silence", "kyr:topic") == "silence"
    assert button_arg("kyr:topic", "kyr:topic") == ""
    assert button_arg("kyr:topics", "kyr:topic") is None


def test_command_parsing() -> None:
    assert Incoming(A, text="/Start@CompaBot hello").command == "start"
    assert Incoming(A, text="/report 12 reason").args == "12 reason"
    assert Incoming(A, text="hello /start").command is None
    assert Incoming(A, text="/").command is None
    assert Incoming(A, text="/start", button_id="x:y").command is None
