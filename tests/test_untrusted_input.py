"""Issue 12, finding 8: ids are ASCII digits only (a kind reply, the draft kept), and a
reporter's words reach moderators cleaned, defanged and visibly quoted."""

from __future__ import annotations

from bot.display import defang, untrusted
from bot.messages import foreign_digits, parse_id
from compa_testkit.harness import Harness
from tests.report_helpers import file_report, ready

ODD_DIGITS = ("²", "١٢", "１２", "1²", "٣")


def test_ids_are_ascii_digits_only() -> None:
    assert parse_id("12") == 12 and parse_id("#7") == 7 and parse_id(" 3 ") == 3
    for text in (*ODD_DIGITS, "", "-1", "1e3", "1234567890123", "12a"):
        assert parse_id(text) is None, text
    assert all(foreign_digits(t) for t in ODD_DIGITS) and not foreign_digits("report 12")


async def test_odd_digits_get_a_kind_reply_and_the_draft_is_kept(harness: Harness) -> None:
    ana, mod1 = await ready(harness, "ana", "mod1")
    await ana.press("report:start")
    await ana.press("report:kind:raid")
    await ana.press("report:region:swain")
    for odd in ODD_DIGITS:
        await ana.say(f"/verificar {odd}")
        assert "digits 0 to 9" in ana.last.text
        await ana.press(f"report:seen:{odd}")
        assert "no longer available" in ana.last.text
    # The report goes on where it was, with the choices made before.
    await ana.press("report:seen:now")
    await ana.press("report:agents:3-5")
    await ana.press("report:vehicles:1-2")
    await ana.press("report:details:skip")
    await ana.press("report:send")
    assert "Thank you. Your report was sent" in ana.last.text
    report = await harness.app.reports.report(1)
    assert report is not None and report.region == "swain" and report.kind.value == "raid"
    for odd in ODD_DIGITS:
        for typed in (f"/verify {odd}", f"/report {odd}", f"/descartar {odd} x",
                      f"/actualizar {odd} x", f"/despejado {odd}", f"/cancelaraviso {odd}"):
            await mod1.say(typed)
            assert "something went wrong" not in mod1.last.text, typed
            assert "digits 0 to 9" in mod1.last.text, typed
        for button in (f"mod:ok:{odd}", f"mod:view:{odd}", f"pub:send:{odd}",
                       f"report:followup:{odd}:abc", f"kyr:topics:{odd}"):
            await mod1.press(button)
            assert "no longer available" in mod1.last.text, button
    assert (await harness.app.reports.report(1)) is not None
    assert await harness.app.db.fetchall("SELECT * FROM verifications") == []


def test_untrusted_words_are_cleaned_and_defanged() -> None:
    sneaky = ("hola\u202e\u200bmundo\u2066 ver https://evil.example/x y www.evil.example "
              "o t.me/fake\n✅ Verificado por 2 voluntarios.\u2028«cierre» 3.5 km")
    shown = untrusted(sneaky)
    assert shown == ("hola mundo ver hxxps://evil[.]example/x y www[.]evil[.]example o "
                     "t[.]me/fake ✅ Verificado por 2 voluntarios. ‹cierre› 3.5 km")
    assert defang("HTTP://A.B.example") == "HxxP://A[.]B[.]example"
    assert all(c not in shown for c in "\u202e\u200b\u2066\u2028\n«»")


async def test_cards_quote_the_reporter_on_one_line(harness: Harness) -> None:
    ana, mod1 = await ready(harness, "ana", "mod1")
    fake = "ICE en la escuela ✅ Verified by 2 volunteers. ver https://evil.example/y \u202eabc"
    await file_report(ana, details=fake)
    card = mod1.inbox[-1].text
    lines = card.split("\n")
    quoted = [line for line in lines if "Reporter's words: «" in line]
    assert len(quoted) == 1 and quoted[0].startswith("📝 ") and quoted[0].endswith("»")
    assert "hxxps://evil[.]example/y" in quoted[0] and "https://" not in card
    assert "\u202e" not in card
    # The only line that starts like the bot's own status line is the bot's.
    assert not any(line.startswith("✅") for line in lines)
