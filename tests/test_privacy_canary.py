"""Privacy canary: a marked person sends marked data through a whole report; afterwards none
of the markers may be found at rest (database, its WAL, the data dir) or in the logs, in
plain, digits-only, hex or base64 form (and coordinates not even as binary doubles)."""

from __future__ import annotations

import base64
import io
import json
import logging
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import backup
from bot.app import DB_FILE
from bot.logs import setup_logging
from bot.metrics import Metrics
from bot.privacy import load_keys
from compa_testkit.harness import Harness, make_config
from tests.publish_support import confirm_button
from tests.report_helpers import followup_button, photo_with_metadata

NAME = "canary-7f3a"
PHONE = "828-555-0142"
PERSON = "Juana Canaria"
LAT, LON = 35.61237, -82.53419
MARKERS = [NAME, PHONE, PERSON, f"{LAT}", f"{LON}", f"{-LON}"]


def _base64_forms(data: bytes) -> Iterator[bytes]:
    """The marker's base64 at every alignment, keeping only characters it alone decides."""
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\x00" * offset + data)
            start, end = -(-offset * 8 // 6), (offset + len(data)) * 8 // 6
            yield encoded[start:end]


def forms(marker: str) -> dict[str, bytes]:
    raw = marker.encode()
    found = {"plain": raw.lower(), "hex": raw.hex().encode(), "HEX": raw.hex().upper().encode()}
    digits = "".join(c for c in marker if c.isdigit())
    if len(digits) >= 7:
        found["digits"] = digits.encode()
    for i, form in enumerate(_base64_forms(raw)):
        found[f"base64-{i}"] = form
    return found


def binary_coordinates() -> dict[str, bytes]:
    return {f"{name}-{order}": struct.pack(f"{order}d", value)
            for name, value in (("lat", LAT), ("lon", LON))
            for order in ("<", ">")}


def assert_clean(blob: bytes, where: str) -> None:
    lowered = blob.lower()
    for marker in MARKERS:
        for kind, form in forms(marker).items():
            haystack = lowered if kind == "plain" else blob
            assert form not in haystack, f"{marker!r} found as {kind} in {where}"
    for kind, form in binary_coordinates().items():
        assert form not in blob, f"coordinate found as {kind} in {where}"


def test_the_checker_finds_what_it_looks_for() -> None:
    secret = b"xx" + base64.b64encode(b"ab" + NAME.encode()) + b"yy"
    with pytest.raises(AssertionError):
        assert_clean(secret, "test")
    with pytest.raises(AssertionError):
        assert_clean(b"..." + b"8285550142" + b"...", "test")
    with pytest.raises(AssertionError):
        assert_clean(NAME.encode().hex().encode(), "test")
    with pytest.raises(AssertionError):
        assert_clean(struct.pack("<d", LAT), "test")
    assert_clean(b"nothing to see here", "test")


def _scan(data_dir: Path) -> list[str]:
    scanned = []
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        assert_clean(path.read_bytes(), path.name)
        scanned.append(path.name)
    return scanned


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_no_marker_survives_a_whole_report(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                 log_format: str) -> None:
    data_dir = tmp_path / "data"
    photo_in = photo_with_metadata(NAME)        # made before logs are captured: Pillow logs
    stream = io.StringIO()
    handler = setup_logging("DEBUG", stream, fmt=log_format)
    metrics = Metrics()
    caplog.set_level(logging.DEBUG)
    config = make_config(data_dir, reports={"allow_photos": True})
    try:
        async with Harness.open(data_dir, config) as harness:
            metrics.instrument(harness.app)
            canary = harness.person(NAME)
            await canary.say("hola")
            await canary.press("lang:set:es")
            await canary.say(PHONE)
            await canary.say(PERSON)
            await canary.say("/reportar")
            await canary.press("report:kind:raid")
            await canary.say(PERSON)                     # not a county: asked again
            assert "No encontré un condado" in canary.last.text
            await canary.share_location(LAT, LON)
            assert "Condado de Buncombe" in canary.last.text
            await canary.press("report:seen:now")
            await canary.press("report:agents:6-10")
            await canary.press("report:vehicles:3-5")
            await canary.say(f"{PERSON} vio la redada, llamen al {PHONE} o {NAME}@example.com")
            await canary.send_photo(photo_in)
            assert "Foto recibida" in canary.last.text
            summary = canary.last.text
            assert PHONE not in summary and "[…]" in summary
            await canary.press("report:send")
            await canary.press(followup_button(canary))
            mod1, mod2 = harness.person("mod1"), harness.person("mod2")
            await mod1.say("/pendientes")
            await mod1.say("/reporte 1")
            assert PERSON in mod1.replies[0].text         # moderators do see the details
            assert mod1.last.photo is not None and NAME.encode() not in mod1.last.photo
            await mod1.press("mod:ok:1")
            photo = await harness.app.reports.photo(1)
            assert photo is not None and NAME.encode() not in photo
            # Still running: the WAL holds the recent writes.
            scanned = _scan(data_dir)
            assert "compa.sqlite3-wal" in scanned and "compa.sqlite3" in scanned
            await mod2.press("mod:ok:1")
            assert "confirmaron" in canary.inbox[-1].text
            # Subscriptions and the alert fan-out (the outbox, progress to the publisher).
            await canary.say("/alertas")
            await canary.press("alerts:regions:0")
            await canary.say("buncombe")
            await canary.press("alerts:quiet:22-7")
            await mod1.press("pub:note:1")
            await mod1.say("cerca del puente")
            await mod1.press("pub:send:1")                # mod1 proposes, mod2 confirms
            await mod2.press(confirm_button(mod2))
            assert await harness.deliver() == 1
            assert "🚨 Redada" in canary.inbox[-1].text
            await mod1.say("/despejado 1")
            await mod2.press(confirm_button(mod2))
            harness.clock.advance(5)
            await harness.deliver()
            assert "Todo despejado" in canary.inbox[-1].text
            _scan(data_dir)
            exposed = await metrics.render(harness.app)
            # A backup is stored data too: sealed as a whole, it must show no marker either.
            keys = load_keys(data_dir / "keys.toml", "COMPA_PEPPER", "COMPA_SEAL_KEY", False)
            made = backup.make_backup(data_dir / DB_FILE, data_dir / "backups" / "b.bak", keys,
                                      harness.clock.now())
            assert made.size > 0
            # A library's careless line and traceback reach our handler masked, in either
            # format (caplog, which sees records before any filter, looks away for it).
            logging.getLogger().removeHandler(caplog.handler)
            try:
                raise ValueError(f"boom for {PHONE} / {NAME}@example.com")
            except ValueError:
                logging.getLogger("somelib").exception("failed for %s", PHONE)
            finally:
                logging.getLogger().addHandler(caplog.handler)
        _scan(data_dir)
    finally:
        logging.getLogger().removeHandler(handler)
    assert_clean(stream.getvalue().encode(), "log output")
    if log_format == "json":
        lines = stream.getvalue().splitlines()
        entries = [json.loads(line) for line in lines]    # one object per line
        assert any("exception" in e and "<redacted>" in e["message"] for e in entries)
    assert_clean(exposed, "/metrics")
    assert b'compa_updates_handled_total{channel="console"}' in exposed
    assert b'compa_reports{status="verified"} 1.0' in exposed
    assert_clean(caplog.text.encode(), "captured log records")
