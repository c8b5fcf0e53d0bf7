"""The WhatsApp channel's pure parts: ids, rendering within limits, webhook parsing, delivery
outcomes, the 24-hour window and configuration."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import tomllib
from pathlib import Path

import httpx
import pytest

from bot.channels import whatsapp_ids as ids
from bot.channels import whatsapp_render as render
from bot.channels.base import StatusOutcome as Outcome
from bot.channels.whatsapp_delivery import (
    CountingDeliveryEvents,
    backoff,
    classify_status,
    send_result,
)
from bot.channels.whatsapp_incoming import choice_from_text
from bot.channels.whatsapp_webhook import BadUpdate, Seen, sign, signature_ok, split
from bot.channels.whatsapp_window import WINDOW_SECONDS, recipient_window
from bot.config import ConfigError, ResourcesConfig, WhatsAppConfig, WhatsAppTemplate, parse
from bot.messages import Address, Button, Menu, Reply, SendOutcome
from bot.store import users as user_store
from compa_testkit.fakes.graph_api import fixture
from compa_testkit.harness import Harness, make_config
from tests.whatsapp_support import set_secrets

# --- identities ---------------------------------------------------------------------------


def test_both_ids_travel_together_and_the_wa_id_makes_the_pseudonym() -> None:
    chat_id = ids.encode("16505551234", "US.13491208655302741918")
    identity = ids.decode(chat_id)
    assert (identity.wa_id, identity.bsuid) == ("16505551234", "US.13491208655302741918")
    assert ids.person_key(chat_id) == "16505551234"
    assert ids.person_key("+1 (650) 555-1234") == "16505551234"
    assert ids.decode("US.13491208655302741918").bsuid == "US.13491208655302741918"
    assert ids.decode("US.13491208655302741918").wa_id is None
    assert ids.encode(None, "US.1") == "US.1"
    with pytest.raises(ValueError):
        ids.encode(None, "")
    assert "1650" not in repr(identity)


async def test_pseudonym_ignores_the_bsuid_when_a_wa_id_exists(harness: Harness) -> None:
    app = harness.app
    both = app.pid_for(Address("whatsapp", ids.encode("16505551234", "US.77")))
    assert both == app.pid_for(Address("whatsapp", "16505551234"))
    assert both != app.pid_for(Address("whatsapp", "US.77"))
    # Other channels are untouched: the chat id is the key.
    assert app.pid_for(Address("console", "ana")) != app.pid_for(Address("console", "bob"))


async def test_whatsapp_moderators_match_however_the_number_is_written(
        tmp_path: Path) -> None:
    config = make_config(tmp_path, channels={"whatsapp": {"moderators": ["+1 (828) 555-0199"]}})
    async with Harness.open(tmp_path, config) as h:
        chat_id = ids.encode("18285550199", "US.5")
        assert h.app.role_for("whatsapp", chat_id) == "verifier"
        assert h.app.role_for("whatsapp", "18285550100") == "person"


# --- rendering ----------------------------------------------------------------------------

def _menu(n: int, label: str = "Option", title: str | None = None) -> Menu:
    return Menu(tuple(Button(f"t:b:{i}", f"{label} {i}") for i in range(n)), title=title)


def test_one_to_three_choices_are_reply_buttons_with_short_titles(
        caplog: pytest.LogCaptureFixture) -> None:
    reply = Reply("Pick one", _menu(3, "A label far too long for a button"))
    with caplog.at_level(logging.WARNING):
        (part,) = render.render(reply, "Options")
    interactive = part["interactive"]
    assert interactive["type"] == "button"
    titles = [b["reply"]["title"] for b in interactive["action"]["buttons"]]
    assert all(len(t) <= 20 and t.endswith("…") for t in titles)
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == \
        ["t:b:0", "t:b:1", "t:b:2"]
    assert "label shortened to 20" in caplog.text
    assert "A label" not in caplog.text


def test_four_to_ten_choices_are_a_list_within_limits() -> None:
    menu = Menu((Button("t:a", "Short", "A description " * 10),
                 Button("t:b", "A row title that is much too long"),
                 Button("t:c", "C"), Button("t:d", "D")), title="Know your rights " * 5)
    (part,) = render.render(Reply("Choose", menu), "Options for everything here")
    interactive = part["interactive"]
    assert interactive["type"] == "list"
    rows = interactive["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == ["t:a", "t:b", "t:c", "t:d"]
    assert all(len(r["title"]) <= 24 for r in rows)
    assert len(rows[0]["description"]) == 72
    # A title cut short stays readable in full as the description.
    assert rows[1]["description"] == "A row title that is much too long"
    assert len(interactive["action"]["button"]) <= 20
    assert len(interactive["header"]["text"]) <= 60


def test_long_text_goes_first_and_the_end_stays_with_the_buttons() -> None:
    paragraphs = [f"Paragraph {i}. " + "word " * 60 for i in range(12)]
    text = "\n\n".join(paragraphs)
    parts = render.render(Reply(text, _menu(2)), "Options")
    assert [p["type"] for p in parts[:-1]] == ["text"] * (len(parts) - 1)
    assert parts[-1]["type"] == "interactive"
    body = parts[-1]["interactive"]["body"]["text"]
    assert len(body) <= 1024
    assert all(len(p["text"]["body"]) <= 4096 for p in parts[:-1])
    joined = " ".join([*(p["text"]["body"] for p in parts[:-1]), body])
    assert all(p.split(".")[0] in joined for p in paragraphs)


def test_plain_text_is_split_at_4096() -> None:
    parts = render.render(Reply("word " * 2000), "Options")
    assert len(parts) == 3 and all(len(p["text"]["body"]) <= 4096 for p in parts)


def test_template_parameters_are_one_line() -> None:
    spec = WhatsAppTemplate("compa_alerta", "es", ("text", "hotline"))
    payload = render.template(spec, Reply("Alerta:\n\n  retén   en\tla 19"), ResourcesConfig())
    params = payload["template"]["components"][0]["parameters"]
    assert params == [{"type": "text", "text": "Alerta: retén en la 19"},
                      {"type": "text", "text": ResourcesConfig().hotline}]
    assert payload["template"]["language"] == {"code": "es"}
    long = render.template(spec, Reply("x" * 5000), ResourcesConfig())
    assert len(long["template"]["components"][0]["parameters"][0]["text"]) == \
        render.TEMPLATE_TEXT_LIMIT


def test_typed_numbers_and_labels_pick_from_the_last_menu() -> None:
    menu = Menu((Button("lang:set:es", "Español"), Button("lang:set:en", "English")))
    assert choice_from_text(menu, "2") == "lang:set:en"
    assert choice_from_text(menu, " 1. ") == "lang:set:es"
    assert choice_from_text(menu, "2\ufe0f\u20e3") == "lang:set:en"
    assert choice_from_text(menu, "espanol") == "lang:set:es"
    assert choice_from_text(menu, "3") is None
    assert choice_from_text(menu, "0") is None
    assert choice_from_text(menu, "12 people") is None
    assert choice_from_text(None, "1") is None


# --- webhook parsing ----------------------------------------------------------------------

def test_signature_is_checked_on_the_raw_bytes() -> None:
    body = json.dumps(fixture("text")).encode()
    header = sign(body, "secret")
    assert signature_ok(body, header, "secret")
    assert not signature_ok(body, header, "other")
    assert not signature_ok(body + b" ", header, "secret")
    assert not signature_ok(json.dumps(json.loads(body), indent=1).encode(), header, "secret")
    assert not signature_ok(body, None, "secret")
    assert not signature_ok(body, "sha256=", "secret")


def test_a_batch_is_split_into_single_updates_pywa_can_read() -> None:
    data = fixture("text")
    value = data["entry"][0]["changes"][0]["value"]
    second = {**value["messages"][0], "id": "wamid.B", "from": "15550000002",
              "from_user_id": "US.2"}
    value["messages"].append(second)
    value["contacts"].append({"profile": {"name": "B"}, "wa_id": "15550000002",
                              "user_id": "US.2"})
    status = fixture("status_sent")["entry"][0]["changes"][0]["value"]["statuses"][0]
    value["statuses"] = [status]
    updates = split(json.dumps(data).encode())
    assert [u.key for u in updates] == [
        "m:" + value["messages"][0]["id"], "m:wamid.B", f"s:{status['id']}:sent"]
    assert [u.sender for u in updates] == ["16505551234", "15550000002", "16505551234"]
    for update in updates:
        single = json.loads(update.body)["entry"][0]["changes"][0]["value"]
        assert len(single["contacts"]) == 1 and "user_id" in single["contacts"][0]
        assert len(single.get("messages", [])) + len(single.get("statuses", [])) == 1
    second_value = json.loads(updates[1].body)["entry"][0]["changes"][0]["value"]
    assert second_value["contacts"][0]["wa_id"] == "15550000002"
    status_value = json.loads(updates[2].body)["entry"][0]["changes"][0]["value"]
    assert status_value["contacts"][0]["user_id"] == "US.13491208655302741918"


def test_a_status_without_contacts_gets_one_from_its_recipient() -> None:
    (update,) = split(json.dumps(fixture("status_sent")).encode())
    value = json.loads(update.body)["entry"][0]["changes"][0]["value"]
    assert value["contacts"] == [{"user_id": "", "wa_id": "16505551234"}]
    (update,) = split(json.dumps(fixture("status_failed")).encode())
    value = json.loads(update.body)["entry"][0]["changes"][0]["value"]
    assert value["contacts"] == [{"user_id": "US.13491208655302741918",
                                  "wa_id": "16505551234"}]


def test_legacy_contacts_get_the_user_id_pywa_needs() -> None:
    (update,) = split(json.dumps(fixture("text_legacy")).encode())
    contact = json.loads(update.body)["entry"][0]["changes"][0]["value"]["contacts"][0]
    assert contact["user_id"] == "" and contact["wa_id"] == "16505551234"


def test_a_list_reply_without_context_gets_one() -> None:
    data = fixture("list_reply")
    del data["entry"][0]["changes"][0]["value"]["messages"][0]["context"]
    (update,) = split(json.dumps(data).encode())
    msg = json.loads(update.body)["entry"][0]["changes"][0]["value"]["messages"][0]
    assert msg["context"] == {"id": ""}
    (untouched,) = split(json.dumps(fixture("list_reply")).encode())
    original = fixture("list_reply")["entry"][0]["changes"][0]["value"]["messages"][0]
    assert json.loads(untouched.body)["entry"][0]["changes"][0]["value"]["messages"][0] == \
        original


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"entry": 3}',
                                  b'{"entry": [{"changes": [{"value": 1}]}]}',
                                  b'{"entry": [{"changes": [{"value": {"messages": [{}]}}]}]}',
                                  b"\xff\xfe"])
def test_malformed_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(BadUpdate):
        split(body)


def test_other_fields_pass_through_whole() -> None:
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "message_template_status_update", "value": {"event": "APPROVED"}}]}]})
    (update,) = split(body.encode())
    assert update.key.startswith("o:") and json.loads(update.body) == json.loads(body)


def test_seen_is_bounded_and_reports_duplicates() -> None:
    seen = Seen(size=3)
    assert seen.add("a") and not seen.add("a")
    for key in "bcd":
        assert seen.add(key)
    assert len(seen) == 3
    assert seen.add("a")  # forgotten after the bound: a very late retry is handled again


# --- delivery outcomes --------------------------------------------------------------------

@pytest.mark.parametrize(("status", "code", "outcome", "permanent", "rate"), [
    ("sent", None, Outcome.SENT, False, False),
    ("delivered", None, Outcome.DELIVERED, False, False),
    ("read", None, Outcome.READ, False, False),
    ("played", None, Outcome.READ, False, False),
    ("failed", 131047, Outcome.SKIPPED_WINDOW, True, False),
    ("failed", 131050, Outcome.UNSUBSCRIBED, True, False),
    ("failed", 131056, Outcome.RETRY, False, True),
    ("failed", 130429, Outcome.RETRY, False, True),
    ("failed", 131026, Outcome.FAILED, True, False),
    ("failed", 131009, Outcome.FAILED, True, False),
    ("failed", 131000, Outcome.RETRY, False, False),
    ("failed", None, Outcome.RETRY, False, False),
])
def test_status_mapping(status: str, code: int | None, outcome: Outcome, permanent: bool,
                        rate: bool) -> None:
    verdict = classify_status(status, code)
    assert (verdict.outcome, verdict.permanent, verdict.rate_limited) == \
        (outcome, permanent, rate)


def test_send_errors_become_send_results() -> None:
    assert send_result(130429).retry_after == 2.0
    assert send_result(131056, attempt=1).retry_after == 6.0
    assert send_result(131056, attempt=3).retry_after == 24.0
    assert backoff(131056, 50) == 900.0
    gone = send_result(131026)
    assert gone.permanent and gone.retry_after is None and gone.error == "recipient:131026"
    window = send_result(131047)
    assert window.outcome is SendOutcome.WINDOW_CLOSED
    assert send_result(131050).outcome is SendOutcome.BLOCKED
    assert send_result(131056).outcome is SendOutcome.RETRY_AFTER
    for transient in (None, 500, 131000, 131016, 190):
        result = send_result(transient)
        assert result.outcome is SendOutcome.FAILED and not result.permanent
        assert result.retry_after is None
    assert send_result(None).error == "network"
    assert send_result(190).error == "auth:190"


async def test_counting_events_count_only() -> None:
    events = CountingDeliveryEvents()
    await events.on_status("wamid.1", Outcome.DELIVERED, None)
    await events.on_status("wamid.2", Outcome.DELIVERED, None)
    await events.on_status("wamid.3", Outcome.READ, None)
    await events.on_unsubscribe("pid")
    assert events.counts == {"delivered": 2, "read": 1}
    assert events.unsubscribes == 1


# --- the 24-hour window -------------------------------------------------------------------

async def test_window_is_conservative_because_last_inbound_is_rounded_down(
        harness: Harness) -> None:
    db, contacts, start = harness.app.db, harness.app, harness.clock.now()
    assert not (await recipient_window(contacts, "nobody", start)).open
    wrote_at = start + 59 * 60  # 12:59; stored as 12:00
    await user_store.touch(db, "pid1", "whatsapp", b"x", wrote_at, "person")
    await user_store.set_locale(db, "pid1", "en")
    window = await recipient_window(contacts, "pid1", wrote_at + 23 * 3600)
    assert window.open and window.locale == "en"
    # Really still open until 12:59 the next day, but we only know "12:00": closed.
    assert not (await recipient_window(contacts, "pid1", start + WINDOW_SECONDS + 60)).open
    assert not (await recipient_window(contacts, "pid1", start + WINDOW_SECONDS)).open


# --- configuration ------------------------------------------------------------------------

def test_enabling_whatsapp_without_secrets_lists_every_missing_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        make_config(tmp_path, channels={"whatsapp": {"enabled": True}})
    text = str(err.value)
    for expected in ("WHATSAPP_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN",
                     "phone_number_id"):
        assert expected in text


def test_templates_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_secrets(monkeypatch)
    good = make_config(tmp_path, channels={"whatsapp": {
        "enabled": True, "phone_number_id": "1",
        "templates": {"es": {"name": "compa_alerta", "language": "es"}}}})
    assert good.channels.whatsapp.templates["es"] == WhatsAppTemplate("compa_alerta", "es")
    with pytest.raises(ConfigError) as err:
        make_config(tmp_path, channels={"whatsapp": {"templates": {
            "fr": {"name": "x", "language": "fr"},
            "es": {"name": "", "language": "es", "parameters": ["phone"]}}}})
    text = str(err.value)
    assert "templates.fr: the locale" in text
    assert "templates.es: needs a name" in text
    assert "unknown 'phone'" in text


def test_config_example_documents_every_whatsapp_key(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (Path(__file__).resolve().parent.parent / "config.example.toml").read_text()
    for cls in (WhatsAppConfig, WhatsAppTemplate):
        for f in dataclasses.fields(cls):
            documented = rf"^(# )?{f.name} = |^(# )?\[channels\.whatsapp\.{f.name}\."
            assert re.search(documented, text, re.M), f.name
    assert parse(tomllib.loads(text)).channels.whatsapp.templates == {}
    # The commented-out templates are valid once uncommented.
    uncommented = re.sub(r"^# (\[channels\.whatsapp\.(moderator_)?templates\.\w+\]$|"
                         r"(name|language|parameters) = )", r"\1", text, flags=re.M)
    whatsapp = parse(tomllib.loads(uncommented)).channels.whatsapp
    assert whatsapp.templates["es"] == WhatsAppTemplate("compa_alerta", "es", ("text",))
    assert whatsapp.templates["en"].language == "en_US"
    # The moderators' own, never the alerts' (README: WhatsApp step 6).
    assert whatsapp.moderator_templates["es"] == WhatsAppTemplate("compa_moderacion", "es",
                                                                  ("text",))
    assert whatsapp.moderator_templates["en"].name == "compa_moderation"



async def test_graph_requests_are_rewritten_to_the_configured_base() -> None:
    from bot.channels.whatsapp import RewriteTransport

    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    transport = RewriteTransport("http://proxy.local:8088/graph/",
                                 inner=httpx.MockTransport(record))
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post("https://graph.facebook.com/v26.0/123/messages?x=1", json={})
        await client.get("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1")
    assert str(seen[0].url) == "http://proxy.local:8088/graph/v26.0/123/messages?x=1"
    assert seen[0].headers["host"] == "proxy.local:8088"
    assert seen[1].url.host == "lookaside.fbsbx.com"  # media URLs are left alone
