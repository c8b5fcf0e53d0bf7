"""WhatsApp end to end: `compa run`'s Runner with real pywa over HTTP, signed real-shaped
webhooks (compa_testkit/data/whatsapp/), and the fake Graph API checking everything that
reaches it.

pywa drops updates it cannot read with only a log line, so every test asserts on what reached
the fake server, not on what pywa was given.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import httpx
import pytest

from bot.channels import whatsapp_ids as ids
from bot.channels.base import StatusOutcome as Outcome
from bot.channels.whatsapp_webhook import sign
from bot.logs import setup_logging
from bot.messages import Address, Button, Media, Menu, Reply, SendOutcome
from compa_testkit.fakes.graph_api import FakePerson
from tests.whatsapp_support import TEMPLATES, VERIFY_TOKEN, whatsapp_env

ANA_WA, ANA_BSUID = "16505551234", "US.13491208655302741918"


async def _start_in(person: FakePerson, locale: str = "es") -> None:
    await person.says("hola")
    await person.presses(f"lang:set:{locale}")


def _address(wa_id: str | None = ANA_WA, bsuid: str | None = ANA_BSUID) -> Address:
    return Address("whatsapp", ids.encode(wa_id, bsuid))


# --- the conversation -----------------------------------------------------------------------

async def test_language_choice_kyr_list_buttons_and_typed_numbers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person(ANA_WA, ANA_BSUID)
        (welcome,) = await ana.says("hola")
        assert welcome.interactive["type"] == "button"
        assert welcome.ids == ["lang:set:es", "lang:set:en"]
        assert "¿Qué idioma prefiere?" in welcome.text
        assert welcome.to == ANA_WA  # the wa_id is preferred over the BSUID

        (menu,) = await ana.presses("lang:set:es")
        assert "Listo: le escribiré en español." in menu.text
        assert menu.interactive["type"] == "list"
        assert menu.interactive["header"]["text"] == "Menú"
        assert menu.interactive["action"]["button"] == "Opciones"
        assert "kyr:list" in menu.ids

        (topics,) = await ana.presses("kyr:list")
        assert topics.interactive["type"] == "list"
        assert len(topics.ids) == 9 and "kyr:topic:silence" in topics.ids  # 7 topics, More, Menu

        (page,) = await ana.presses("kyr:topic:silence")
        assert page.interactive["type"] == "button"
        assert page.ids[-1] == "menu:main" and len(page.ids) <= 3

        # Typing the number of a choice presses it: the last one is "Menú".
        (back,) = await ana.says(str(len(page.ids)))
        assert "kyr:list" in back.ids
        # …and typing a label works as well.
        (topics_again,) = await ana.says("Conozca sus derechos")
        assert "kyr:topic:silence" in topics_again.ids
        (silence,) = await ana.says("1")
        assert silence.ids == page.ids
        assert env.fake.rejected == []


@pytest.mark.parametrize("locale", ["es", "en"])
async def test_every_topic_page_fits_whatsapp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture,
                                              locale: str) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person()
        await _start_in(ana, locale)
        slugs = [p.slug for p in env.app.content.topics(locale)]
        with caplog.at_level(logging.WARNING):
            for slug in slugs:
                (page,) = await ana.presses(f"kyr:topic:{slug}")
                while (more := [i for i in page.ids if i.startswith(f"kyr:topic:{slug}:")]):
                    (page,) = await ana.presses(more[0])
            for page_no in range(4):
                (listing,) = await ana.presses(f"kyr:list:{page_no}")
                assert listing.interactive["type"] == "list"
        assert len(ana.inbox) > len(slugs) + 2
        assert env.fake.rejected == []
        assert "shortened" not in caplog.text  # the shipped content needs no clipping


async def test_english_person_and_numbers_outside_a_menu(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        bob = env.person("15557654321", None, "Bob")
        await bob.says("hi")
        (menu,) = await bob.says("2")  # "2" on the welcome = English
        assert menu.interactive["action"]["button"] == "Options"
        assert "Know your rights" in [title for _, title in menu.choices]
        (reply,) = await bob.says("12")  # no twelfth item: an ordinary message
        assert reply.text == "Sorry, I did not understand. Please choose an option."
        assert env.fake.rejected == []


async def test_location_and_image_are_understood_and_media_downloads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person()
        await _start_in(ana)
        (thanks,) = await ana.shares_location(35.5951, -82.5515)
        assert "ubicación" in thanks.text
        (photo,) = await ana.sends_image(b"\xff\xd8jpeg-bytes")
        assert "fotos" in photo.text
        media_id = max(env.fake.media)
        data = await env.channel.fetch_media(Media("photo", ref=media_id))
        assert data == b"\xff\xd8jpeg-bytes"
        assert await env.channel.fetch_media(Media("photo", ref="404")) is None


async def test_media_upload_and_download_through_pywa(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        uploaded = await env.channel.wa.upload_media(media=b"PNGDATA", mime_type="image/png",
                                                     filename="x.png")
        assert env.fake.media[uploaded.id] == (b"PNGDATA", "image/png")
        assert await env.channel.fetch_media(Media("photo", ref=uploaded.id)) == b"PNGDATA"


async def test_payload_without_user_id_is_still_answered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person(ANA_WA, None)
        _, data = ana.payload("text", "text_legacy")
        (reply,) = await ana.deliver(data)
        assert reply.ids == ["lang:set:es", "lang:set:en"]


async def test_list_reply_without_context_is_still_answered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person()
        await _start_in(ana)
        _, data = ana.payload("list_reply")
        msg = data["entry"][0]["changes"][0]["value"]["messages"][0]
        del msg["context"]
        msg["interactive"]["list_reply"].update(id="kyr:list", title="Conozca sus derechos")
        (topics,) = await ana.deliver(data)
        assert "kyr:topic:silence" in topics.ids
        assert env.channel.stats["dropped"] == 0


async def test_bsuid_only_person_is_answered_by_bsuid_and_both_ids_are_sealed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        user = env.person(None, "US.99887766554433")
        (reply,) = await user.says("hola")
        assert reply.to == "US.99887766554433"
        assert "recipient" in reply.body and "to" not in reply.body
        both = env.person(ANA_WA, ANA_BSUID)
        await both.says("hola")
        row = await env.app.db.fetchone("SELECT address_sealed FROM users WHERE pid = ?",
                                        (env.app.pid_for(_address()),))
        assert row is not None
        sealed = bytes(row[0])
        assert ANA_WA.encode() not in sealed
        identity = ids.decode(env.app.privacy.unseal_text(sealed, "address:whatsapp"))
        assert (identity.wa_id, identity.bsuid) == (ANA_WA, ANA_BSUID)


async def test_a_batch_of_two_people_is_answered_to_each(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana, bob = env.person(ANA_WA), env.person("15557654321", None, "Bob")
        _, first = ana.payload("text")
        _, second = bob.payload("text")
        value = first["entry"][0]["changes"][0]["value"]
        other = second["entry"][0]["changes"][0]["value"]
        value["messages"] += other["messages"]
        value["contacts"] += other["contacts"]
        await ana.deliver(first)
        assert len(ana.inbox) == 1 and len(bob.inbox) == 1


async def test_updates_for_another_number_are_dropped_visibly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person()
        _, data = ana.payload("text")
        data["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
        with caplog.at_level(logging.WARNING, logger="bot.channels.whatsapp"):
            assert await ana.deliver(data) == []
        assert env.channel.stats["dropped"] == 1
        assert "not handled" in caplog.text


# --- the webhook itself ---------------------------------------------------------------------

async def test_signatures_missing_wrong_tampered_or_reserialised_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person()
        _, data = ana.payload("text")
        body = json.dumps(data).encode()
        good = sign(body, env.fake.app_secret)
        tampered = body.replace(b"Does it come", b"Does it go")
        reserialised = json.dumps(json.loads(body), indent=2).encode()
        cases = [(body, None), (body, "sha256=" + "0" * 64), (body, sign(body, "wrong")),
                 (tampered, good), (reserialised, good), (body, good.upper())]
        for raw, signature in cases:
            response = await env.fake.post(raw, signature=signature)
            assert response.status_code == 403
        await env.settle()
        assert env.fake.sent == [] and env.channel.stats["rejected"] == len(cases)
        assert (await env.fake.post(body, signature=good)).status_code == 200
        await env.settle()
        assert len(ana.inbox) == 1


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"object": "x"}',
                                  b'{"entry": [{"changes": [{"value": {"messages": [1]}}]}]}'])
async def test_malformed_signed_bodies_get_400(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               body: bytes) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        assert (await env.fake.post(body)).status_code == 400
        assert env.fake.sent == []


async def test_verify_handshake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env, httpx.AsyncClient() as http:
        query = {"hub.mode": "subscribe", "hub.challenge": "1158201444",
                 "hub.verify_token": VERIFY_TOKEN}
        ok = await http.get(env.webhook_url, params=query)
        assert (ok.status_code, ok.text) == (200, "1158201444")
        for bad in ({**query, "hub.verify_token": "meatyhamhock"},
                    {**query, "hub.mode": "unsubscribe"}, {"hub.challenge": "1"}):
            refused = await http.get(env.webhook_url, params=bad)
            assert refused.status_code == 403 and "1158201444" not in refused.text


async def test_meta_retries_are_handled_once(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person()
        _, data = ana.payload("text")
        await ana.deliver(data)
        await ana.deliver(data)
        # Same message id, re-serialised differently by Meta's retry: still a duplicate.
        await env.fake.post(json.dumps(data, indent=1).encode())
        await env.settle()
        assert len(ana.inbox) == 1
        assert env.channel.stats["duplicates"] == 2
        await ana.says("hola")
        assert len(ana.inbox) == 2


# --- pushing: the 24-hour window, templates, errors ----------------------------------------

async def test_inside_the_window_alerts_go_free_form(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person(ANA_WA, ANA_BSUID)
        await _start_in(ana)
        menu = Menu((Button("menu:main", "Menú"),))
        result = await env.app.send(_address(), Reply("Alerta verificada", menu))
        assert result.ok and result.provider_id == ana.inbox[-1].id
        assert ana.inbox[-1].text == "Alerta verificada"
        (back,) = await ana.says("1")  # the alert's menu can be answered by number
        assert "kyr:list" in back.ids


async def test_window_closed_without_template_is_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person()
        await _start_in(ana)
        before = len(env.fake.sent)
        env.clock.advance(25 * 3600)
        result = await env.app.send(_address(ANA_WA, None), Reply("Alerta"))
        assert result.outcome is SendOutcome.WINDOW_CLOSED and result.permanent
        assert len(env.fake.sent) == before
        never = await env.app.send(_address("15550000000", None), Reply("Alerta"))
        assert never.outcome is SendOutcome.WINDOW_CLOSED


async def test_window_closed_with_templates_uses_the_persons_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch, {"templates": TEMPLATES}) as env:
        ana, bob = env.person(), env.person("15557654321", None, "Bob")
        await _start_in(ana, "es")
        await _start_in(bob, "en")
        env.clock.advance(25 * 3600)
        text = "ALERTA: retén en la 19-23.\n\nEvite la zona."
        result = await env.app.send(_address(ANA_WA, None), Reply(text, Menu(
            (Button("menu:main", "Menú"),))))
        assert result.ok and result.extra == {"template": "compa_alerta"}
        sent = ana.inbox[-1]
        assert sent.type == "template" and sent.id == result.provider_id
        template = sent.body["template"]
        assert template["language"] == {"code": "es"}
        assert template["components"][0]["parameters"][0]["text"] == \
            "ALERTA: retén en la 19-23. Evite la zona."
        assert (await env.app.send(Address("whatsapp", "15557654321"), Reply("Alert"))).ok
        assert bob.inbox[-1].body["template"]["name"] == "compa_alert"
        assert env.fake.rejected == []


async def test_meta_closing_the_window_at_send_time_falls_back_to_the_template(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch, {"templates": TEMPLATES}) as env:
        ana = env.person()
        await _start_in(ana)
        env.fake.fail_next(131047, recipient=ANA_WA)
        result = await env.app.send(_address(ANA_WA, None), Reply("Alerta"))
        assert result.ok and ana.inbox[-1].type == "template"
        # Until Ana writes again, we know her window is closed: straight to the template.
        await env.app.send(_address(ANA_WA, None), Reply("Otra alerta"))
        assert ana.inbox[-1].type == "template"
        await ana.says("hola")
        await env.app.send(_address(ANA_WA, None), Reply("Tercera"))
        assert ana.inbox[-1].type == "text"


async def test_late_131047_status_resends_as_template_or_skips(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch, {"templates": TEMPLATES},
                            window_errors="status") as env:
        ana = env.person()
        await _start_in(ana)
        env.fake.last_inbound.clear()  # Meta's clock says the window has closed
        events = env.channel.events
        result = await env.app.send(_address(ANA_WA, None), Reply("Alerta"))
        assert result.ok
        await env.settle()
        assert [s.type for s in ana.inbox[-2:]] == ["text", "template"]
        assert events.counts[Outcome.RESENT_TEMPLATE] == 1  # type: ignore[attr-defined]

    async with whatsapp_env(tmp_path / "2", monkeypatch, window_errors="status") as env:
        ana = env.person()
        await _start_in(ana)
        env.fake.last_inbound.clear()
        assert (await env.app.send(_address(ANA_WA, None), Reply("Alerta"))).ok
        await env.settle()
        assert ana.inbox[-1].type == "text"
        assert env.channel.events.counts[Outcome.SKIPPED_WINDOW] == 1  # type: ignore[attr-defined]


class RecordingEvents:
    def __init__(self) -> None:
        self.statuses: list[tuple[str, Outcome, int | None, float | None]] = []
        self.unsubscribed: list[str] = []

    async def on_status(self, provider_id: str, outcome: Outcome, error_code: int | None, *,
                        retry_after: float | None = None, resent_as: str | None = None) -> None:
        self.statuses.append((provider_id, outcome, error_code, retry_after))

    async def on_unsubscribe(self, pid: str) -> None:
        self.unsubscribed.append(pid)


async def test_status_webhooks_reconcile_by_provider_id(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        events = RecordingEvents()
        env.channel.events = events
        ana = env.person()
        await _start_in(ana)
        address = _address(ANA_WA, None)
        pid = env.app.pid_for(address)
        first = (await env.app.send(address, Reply("Alerta"))).provider_id
        assert first is not None
        for status in ("sent", "delivered", "read", "read"):  # the last is Meta's retry
            await env.fake.post_status(first, status, ANA_WA)
        failures = [131056, 131056, 130429, 131026, 131050]
        ids_ = []
        for code in failures:
            ids_.append((await env.app.send(address, Reply("Alerta"))).provider_id)
            await env.fake.post_status(ids_[-1], "failed", ANA_WA, error_code=code)
        await env.settle()
        assert [(p, o, c, r) for p, o, c, r in events.statuses] == [
            (first, Outcome.SENT, None, None), (first, Outcome.DELIVERED, None, None),
            (first, Outcome.READ, None, None),
            (ids_[0], Outcome.RETRY, 131056, 6.0), (ids_[1], Outcome.RETRY, 131056, 12.0),
            (ids_[2], Outcome.RETRY, 130429, 8.0), (ids_[3], Outcome.FAILED, 131026, None),
            (ids_[4], Outcome.UNSUBSCRIBED, 131050, None)]
        assert events.unsubscribed == [pid]


async def test_a_status_without_recipient_ids_is_still_counted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        await env.fake.post_status("wamid.UNKNOWN", "delivered", "")
        await env.settle()
        assert env.channel.events.counts == {"delivered": 1}  # type: ignore[attr-defined]
        assert env.channel.stats["dropped"] == 0


async def test_send_maps_platform_errors_and_never_raises(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person()
        await _start_in(ana)
        address = _address(ANA_WA, None)
        cases = [(131026, 400), (131056, 400), (130429, 429), (131000, 500), (131050, 400)]
        results = []
        for code, status in cases:
            env.fake.fail_next(code, http_status=status)
            results.append(await env.app.send(address, Reply("Alerta")))
        gone, pair, throughput, server, stopped = results
        assert gone.permanent and gone.outcome is SendOutcome.FAILED and gone.retry_after is None
        assert pair.outcome is SendOutcome.RETRY_AFTER and pair.retry_after == 6.0
        assert throughput.retry_after == 4.0  # second rate-limit hit in a row for Ana
        assert server.outcome is SendOutcome.FAILED and not server.permanent
        assert stopped.outcome is SendOutcome.BLOCKED
        ok = await env.app.send(address, Reply("Alerta"))
        assert ok.ok
        env.fake.token = "rotated"
        auth = await env.app.send(address, Reply("Alerta"))
        assert (auth.ok, auth.permanent, auth.error) == (False, False, "auth:190")


async def test_pair_rate_limit_enforced_by_the_fake(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch, pair_limit=(1, 6.0)) as env:
        ana = env.person()
        await ana.says("hola")
        env.clock.advance(7)
        first = await env.app.send(_address(ANA_WA, None), Reply("uno"))
        second = await env.app.send(_address(ANA_WA, None), Reply("dos"))
        assert first.ok and not second.ok and second.retry_after == 6.0
        env.clock.advance(7)
        assert (await env.app.send(_address(ANA_WA, None), Reply("dos"))).ok


async def test_network_errors_are_transient(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person()
        await ana.says("hola")
        await env.fake.stop_server()
        result = await env.app.send(_address(ANA_WA, None), Reply("Alerta"))
        assert (result.ok, result.permanent, result.error) == (False, False, "network")


# --- privacy --------------------------------------------------------------------------------

async def test_no_number_name_or_text_reaches_the_logs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.level, {n: logging.getLogger(n).level for n in ("pywa", "pywa_async", "httpx")}
    handler = setup_logging("DEBUG", stream)
    canaries = ["16505559876", "US.55501234567890", "Rosalinda Canary", "CANARYTEXT",
                "8285550142"]
    try:
        with caplog.at_level(logging.DEBUG):
            async with whatsapp_env(tmp_path, monkeypatch, {"templates": TEMPLATES}) as env:
                person = env.person("16505559876", "US.55501234567890", "Rosalinda Canary")
                await person.says("hola CANARYTEXT mi numero 828-555-0142")
                await person.presses("lang:set:es")
                await person.says("CANARYTEXT")
                await person.shares_location(35.123456, -82.654321)
                await env.fake.post(b"{broken CANARYTEXT")
                await env.fake.post(b'{"CANARYTEXT": 1}', signature="sha256=bad")
                env.clock.advance(25 * 3600)
                address = Address("whatsapp", ids.encode("16505559876", "US.55501234567890"))
                await env.app.send(address, Reply("CANARYTEXT alerta"))
                env.fake.fail_next(131026)
                await env.app.send(address, Reply("CANARYTEXT"))
                assert len(person.inbox) >= 4
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)
    output = stream.getvalue() + "\n".join(r.getMessage() for r in caplog.records)
    assert "whatsapp" in output  # the run did log
    for canary in [*canaries, "35.123456", "-82.654321"]:
        assert canary not in output, canary


# --- `compa run` ----------------------------------------------------------------------------

def test_compa_run_refuses_whatsapp_without_secrets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    for name in ("WHATSAPP_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config.toml"
    config.write_text(f'[bot]\ndata_dir = "{tmp_path / "data"}"\n'
                      '[channels.whatsapp]\nenabled = true\nphone_number_id = "1"\n')
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", str(config), "run"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    for name in ("WHATSAPP_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"):
        assert name in err
