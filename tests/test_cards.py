"""Cards in the chat harness (a channel that cannot edit, like the console): the photo with the
card and on /reporte N, gone with the report; where cards went is forgotten with the report
and with a moderator who asks; the preview's reach names only enabled channels."""

from __future__ import annotations

from pathlib import Path

from compa_testkit.harness import Harness, make_config
from tests.report_helpers import photo_with_metadata, ready


async def report_with_photo(harness: Harness) -> bytes:
    ana, = await ready(harness, "ana")
    for button in ("report:start", "report:kind:checkpoint", "report:region:buncombe",
                   "report:seen:now", "report:agents:3-5", "report:vehicles:1-2",
                   "report:details:skip"):
        await ana.press(button)
    await ana.send_photo(photo_with_metadata())
    await ana.press("report:send")
    photo = await harness.app.reports.photo(1)
    assert photo is not None
    return photo


async def card_rows(harness: Harness) -> int:
    return len(await harness.app.db.fetchall("SELECT 1 FROM card_messages"))


async def test_photo_with_the_card_and_on_report_until_purged(tmp_path: Path) -> None:
    config = make_config(tmp_path, reports={"allow_photos": True})
    async with Harness.open(tmp_path, config) as harness:
        mod1, mod2, mod3 = await ready(harness, "mod1", "mod2", "mod3")
        stored = await report_with_photo(harness)
        for mod in (mod1, mod2, mod3):
            photo, card = mod.inbox[-2:]
            assert photo.photo == stored and b"canary-7f3a" not in stored
            assert photo.text == "📷 Photo of report #1 (its metadata was removed)."
            assert card.card == 1 and card.menu is not None and photo.staff and card.staff
        assert await card_rows(harness) == 3
        await mod1.say("/report 1")
        assert [r.photo == stored for r in mod1.replies] == [False, True]
        assert mod1.replies[0].text.startswith("🚨 Report #1: Checkpoint")

        # Gone with the report: no photo, no card rows, and /report says so.
        harness.clock.advance(73 * 3600)
        await harness.app.purge()
        assert await harness.app.reports.photo(1) is None
        assert await card_rows(harness) == 0
        await mod1.say("/report 1")
        assert [(r.text, r.photo) for r in mod1.replies] == [("There is no report #1.", None)]


async def test_a_forgotten_moderator_leaves_no_card_rows(tmp_path: Path) -> None:
    config = make_config(tmp_path, reports={"allow_photos": True})
    async with Harness.open(tmp_path, config) as harness:
        mod1, = await ready(harness, "mod1")
        await report_with_photo(harness)
        key = harness.app.pid_for(mod1.address)
        assert await harness.app.db.fetchall(
            "SELECT 1 FROM card_messages WHERE chat_key = ?", (key,))
        await mod1.say("/forget-me")
        await mod1.press("account:forget:yes")
        assert await harness.app.db.fetchall(
            "SELECT 1 FROM card_messages WHERE chat_key = ?", (key,)) == []
        assert await card_rows(harness) == 2     # mod2's and mod3's stay


async def test_old_card_button_answers_with_the_state_now(harness: Harness) -> None:
    ana, mod1, mod2, mod3 = await ready(harness, "ana", "mod1", "mod2", "mod3")
    for button in ("report:start", "report:kind:checkpoint", "report:region:buncombe",
                   "report:seen:now", "report:agents:3-5", "report:vehicles:1-2",
                   "report:details:skip", "report:send"):
        await ana.press(button)
    await mod1.press("mod:ok:1")
    await mod2.press("mod:false:1")
    # mod3's card still shows buttons (this channel cannot edit): pressing one changes nothing
    # and answers in one line with the decision.
    before = len(mod3.inbox)
    await mod3.press("mod:ok:1")
    assert [r.text for r in mod3.inbox[before:]] == [
        "Report #1 was already decided: false alarm."]
    report = await harness.app.reports.report(1)
    assert report is not None and str(report.status) == "false_alarm"


async def test_preview_reach_names_enabled_channels_only(harness: Harness) -> None:
    mod1, = await ready(harness, "mod1")
    await mod1.say("/alerta buncombe reten cerca del puente")
    assert "It will reach 0 people (console: 0)." in mod1.text
    assert "telegram" not in mod1.text.casefold() and "whatsapp" not in mod1.text.casefold()
