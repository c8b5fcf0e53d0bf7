"""Roles are declared on routes, and the dispatcher alone refuses: every staff route, checked.

The first test is the guard for new code: a command, button or step that is not in the
public lists below must declare the role it requires, or this test fails. The second walks
every route that declares a role and proves a plain person is refused kindly (the refusal
and the menu, nothing else), the attempt audited, and the handler never run.
"""

from __future__ import annotations

from alerts.models import Role
from bot.context import Context, Session
from bot.messages import Address, Incoming, Reply
from bot.router import Access, Dispatcher, Route, Router
from bot.store.users import User
from compa_testkit.harness import Harness
from handlers import HOME, ROUTERS

# What anyone may use. Adding to these lists is a decision: say why in the review.
PUBLIC_COMMANDS = {
    "start", "menu", "inicio", "ayuda", "help", "cancelar", "cancel", "idioma", "language",
    "lang", "olvidarme", "forget-me", "forget_me", "forgetme", "olvidar", "reportar", "report",
    "reporte", "alertas", "alerts", "suscribir", "subscribe", "esreal", "isreal", "real",
    # the case desk (issue 16): asking for a person, leaving, the detained guide
    "persona", "hablar", "person", "talk", "salir", "leave", "exit", "detenido", "detenida",
    "detained",
}
PUBLIC_BUTTONS = {
    "menu:main", "help:show", "lang:pick", "lang:set", "account:forget", "kyr:list",
    "kyr:topic", "kyr:sources", "help:person", "report", "report:start", "report:followup",
    "alerts:home", "alerts:regions", "alerts:toggle", "alerts:mode", "alerts:quiet", "alerts:stop",
    "rumour:ask",
    "desk:start", "desk:topic", "desk:cancel", "desk:helped", "desk:remind", "desk:show",
    "det:start",
}
PUBLIC_STEPS = {"start", "lang", "report", "alerts", "rumour", "desk", "case", "det"}
PUBLIC = {"command": PUBLIC_COMMANDS, "button": PUBLIC_BUTTONS, "step": PUBLIC_STEPS}
ADDRESS = Address("console", "eve")


def _routes() -> list[tuple[Router, Route]]:
    return [(router, route) for router in ROUTERS for route in router.routes()]


def test_every_route_outside_the_public_lists_declares_a_role() -> None:
    undeclared = [f"{router.name}: {route.kind} {route.key}" for router, route in _routes()
                  if route.access is None and route.kind in PUBLIC
                  and route.key not in PUBLIC[route.kind]]
    assert undeclared == []
    # The staff areas say so once, on the router.
    gated = {router.name: router.access for router in ROUTERS if router.access is not None}
    assert set(gated) == {"moderation", "alerting", "status", "casework", "rrn",
                          "rrn_field"}
    assert all(access.role.at_least(Role.VERIFIER) for name, access in gated.items()
               if name not in ("casework", "rrn", "rrn_field"))
    # The case desk is its own role: moderators below admin cannot read cases.
    assert gated["casework"].role is Role.HELPER
    assert not Role.PUBLISHER.at_least(Role.HELPER) and Role.ADMIN.at_least(Role.HELPER)
    assert not Role.HELPER.at_least(Role.VERIFIER)
    # Issue 17: the field verifiers' areas need the field role; the admins' figures and the
    # moderators' choice when nobody took a report declare a higher one on the route.
    assert gated["rrn"].role is Role.FIELD and gated["rrn_field"].role is Role.FIELD
    higher = {route.key: route.access.role for name in ("rrn", "rrn_field")
              for route in next(r for r in ROUTERS if r.name == name).routes()
              if route.access is not None and route.access.role is not Role.FIELD}
    assert higher == {"cobertura": Role.ADMIN, "coverage": Role.ADMIN, "despacho": Role.ADMIN,
                      "dispatch": Role.ADMIN, "rrnmod": Role.VERIFIER, "rrnadm": Role.ADMIN,
                      "rrnpub": Role.PUBLISHER}


def test_the_guard_would_see_a_command_without_a_role() -> None:
    router = Router("new")

    @router.command("borrar_todo")
    async def wipe(ctx: Context, msg: Incoming) -> list[Reply]:
        return [Reply("wiped")]

    (route,) = router.routes()
    assert route.access is None and route.key not in PUBLIC_COMMANDS


def _input(route: Route) -> tuple[Incoming, str | None]:
    """A message that reaches `route` from a plain person, and the session state it needs."""
    if route.kind == "command":
        # With a number, so "/reporte 1" passes the public report route on to the staff one.
        return Incoming(ADDRESS, text=f"/{route.key} 1"), None
    if route.kind == "button":
        return Incoming(ADDRESS, button_id=f"{route.key}:x:1"), None
    if route.kind == "step":
        return Incoming(ADDRESS, text="hello"), f"{route.key}:x"
    if route.kind in ("keyword", "word"):
        return Incoming(ADDRESS, text=route.key), None
    if route.kind == "text":        # the case desk's forum topics (a message with a thread)
        return Incoming(ADDRESS, text="an answer in the topic", thread="1"), None
    raise AssertionError(f"teach this test to reach a {route.kind} route with a role")


async def test_a_plain_person_is_refused_by_every_staff_route(harness: Harness) -> None:
    app = harness.app
    staff = [route for _, route in _routes() if route.access is not None]
    assert len(staff) >= 20, "the staff commands and buttons were not found"
    dispatcher = Dispatcher(ROUTERS, HOME)
    for route in staff:
        # Refusals are recorded a few per person and hour (issue 12): an hour apart, so each
        # route's refusal is its own row.
        harness.clock.advance(3601)
        eve = User(pid=app.pid_for(ADDRESS), channel="console", locale="en", role="person")
        msg, state = _input(route)
        session = Session(state=state)
        ctx = Context(services=app.services, user=eve, session=session, locale="en",
                      t=app.i18n.translator("en"), tn=app.i18n.plural("en"))
        before = await app.db.fetchall("SELECT actor, action, subject FROM audit")
        replies = await dispatcher.dispatch(ctx, msg)
        assert route.access is not None
        refusal = app.i18n.translator("en")(route.access.refusal)
        assert [r.text for r in replies] == [refusal], route
        menu = replies[0].menu
        assert menu is not None and "help:show" in [b.id for b in menu.buttons], route
        assert replies[0].to is None
        rows = (await app.db.fetchall("SELECT actor, action, subject FROM audit"))[len(before):]
        assert [(r[1], r[2]) for r in rows] == [("refused", f"{route.kind}:{route.key}")]
        assert rows[0][0].startswith("person:") and eve.pid not in rows[0][0]
        if state is not None:
            assert session.state is None, "a refused step must not stay current"
    assert await app.db.fetchall("SELECT * FROM verifications") == []
    assert await app.db.fetchall("SELECT * FROM alerts") == []
    assert await app.db.fetchall("SELECT * FROM notices") == []
    assert await app.db.fetchall("SELECT * FROM roster") == []
    assert await app.db.fetchall("SELECT * FROM dispatches") == []


async def test_a_role_on_one_route_overrides_the_router(harness: Harness) -> None:
    router = Router("mixed")
    admins = Access(Role.ADMIN, "Admins only.")

    @router.command("open")
    async def anyone(ctx: Context, msg: Incoming) -> list[Reply]:
        return [Reply("open")]

    @router.command("closed", access=admins)
    async def admin_only(ctx: Context, msg: Incoming) -> list[Reply]:
        return [Reply("closed")]

    app = harness.app
    dispatcher = Dispatcher([router])
    cases = (("person", "/open", "open"), ("person", "/closed", "Admins only."),
             ("publisher", "/closed", "Admins only."), ("admin", "/closed", "closed"))
    for role, text, expected in cases:
        user = User(pid="p", channel="console", locale="en", role=role)
        ctx = Context(services=app.services, user=user, session=Session(), locale="en",
                      t=app.i18n.translator("en"), tn=app.i18n.plural("en"))
        replies = await dispatcher.dispatch(ctx, Incoming(ADDRESS, text=text))
        assert [r.text for r in replies] == [expected], (role, text)


async def test_a_field_verifier_is_below_the_moderators(harness: Harness) -> None:
    """Issue 17: "field" may use the roster and its pings, but no moderator's route."""
    assert Role.FIELD.at_least(Role.PERSON) and not Role.FIELD.at_least(Role.VERIFIER)
    assert Role.VERIFIER.at_least(Role.FIELD)     # moderators may take field tasks too
    app = harness.app
    dispatcher = Dispatcher(ROUTERS, HOME)
    user = User(pid=app.pid_for(ADDRESS), channel="console", locale="en", role="field")
    for route in (route for _, route in _routes() if route.access is not None):
        msg, state = _input(route)
        ctx = Context(services=app.services, user=user, session=Session(state=state),
                      locale="en", t=app.i18n.translator("en"), tn=app.i18n.plural("en"))
        replies = await dispatcher.dispatch(ctx, msg)
        refusal = app.i18n.translator("en")(route.access.refusal)
        refused = [r.text for r in replies] == [refusal]
        assert refused == (not Role.FIELD.at_least(route.access.role)), route
