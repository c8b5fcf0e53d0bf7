"""Privacy primitives: keys outside the database, keyed pseudonyms, sealing, scrubbing, logs."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from bot.logs import RedactingFilter, redact, setup_logging
from bot.privacy import KeysError, Privacy, generate_keys, load_keys, scrub_text


def test_keys_file_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    first = load_keys(path, "NO_SUCH_PEPPER", "NO_SUCH_SEAL")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_keys(path, "NO_SUCH_PEPPER", "NO_SUCH_SEAL")
    assert first == again
    assert first.pepper != first.seal_key


def test_keys_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    load_keys(path, "NO_SUCH_PEPPER", "NO_SUCH_SEAL")
    os.chmod(path, 0o644)
    with pytest.raises(KeysError, match="chmod 600"):
        load_keys(path, "NO_SUCH_PEPPER", "NO_SUCH_SEAL")


def test_keys_from_env_write_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = generate_keys()
    monkeypatch.setenv("T_PEPPER", base64.urlsafe_b64encode(keys.pepper).decode())
    monkeypatch.setenv("T_SEAL", base64.urlsafe_b64encode(keys.seal_key).decode())
    assert load_keys(tmp_path / "keys.toml", "T_PEPPER", "T_SEAL") == keys
    assert not (tmp_path / "keys.toml").exists()
    monkeypatch.delenv("T_SEAL")
    with pytest.raises(KeysError, match="both"):
        load_keys(tmp_path / "keys.toml", "T_PEPPER", "T_SEAL")


def test_pseudonym_is_keyed_stable_and_not_a_plain_hash() -> None:
    p1, p2 = Privacy(generate_keys()), Privacy(generate_keys())
    pid = p1.pseudonym("telegram", "123456789")
    assert pid == p1.pseudonym("telegram", "123456789")
    assert pid != p1.pseudonym("whatsapp", "123456789")
    assert pid != p2.pseudonym("telegram", "123456789")
    assert pid != hashlib.sha256(b"telegram:123456789").hexdigest()
    assert "123456789" not in pid


def test_sealing_round_trips_and_binds_context() -> None:
    p = Privacy(generate_keys())
    sealed = p.seal_text("+18285550142", "address:whatsapp")
    assert b"8285550142" not in sealed
    assert p.unseal_text(sealed, "address:whatsapp") == "+18285550142"
    assert p.seal_text("x", "c") != p.seal_text("x", "c")  # random nonce
    with pytest.raises(InvalidTag):
        p.unseal(sealed, "address:telegram")
    with pytest.raises(InvalidTag):
        Privacy(generate_keys()).unseal(sealed, "address:whatsapp")


@pytest.mark.parametrize("text", [
    "llamen al 828-555-0142 ahora",
    "mi cel (828) 555 0142",
    "+1 828 555 0142",
    "whatsapp +52 1 55 1234 5678",
    "cel 55 1234 5678",
    "Guatemala +502 5555 1234",
    "número 5555-1234 en Guate",
    "escriban a juana.canaria@example.com",
    "placa 1234567",
])
def test_scrub_removes_contact_details(text: str) -> None:
    out = scrub_text(text)
    digits = "".join(c for c in out if c.isdigit())
    assert len(digits) < 5, out
    assert "@" not in out


def test_scrub_keeps_ordinary_text() -> None:
    text = "Retén en la 19-23 cerca de Weaverville, 2 patrullas, 10 am"
    assert scrub_text(text) == text


def test_redact_masks_ids_tokens_and_emails() -> None:
    line = ("POST https://api.telegram.org/bot123456:ABC-def_ghi/sendMessage chat_id=987654321 "
            "to a@b.org +1 (828) 555-0142")
    out = redact(line)
    for secret in ("123456:ABC", "987654321", "a@b.org", "555-0142"):
        assert secret not in out
    assert "sendMessage" in out


def test_logging_filter_applies_to_library_records_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = setup_logging("DEBUG", stream)
    try:
        logging.getLogger("compa.test").info("chat %s said something", 8285550142)
        try:
            raise ValueError("bad chat 987654321")
        except ValueError:
            logging.getLogger("compa.test").exception("failed")
        logging.getLogger("httpx").info("HTTP Request: POST .../bot1:tok/sendMessage 200")
    finally:
        logging.getLogger().removeHandler(handler)
    out = stream.getvalue()
    assert "8285550142" not in out and "987654321" not in out
    assert "<redacted>" in out
    assert "HTTP Request" not in out  # httpx request lines are turned down to WARNING
    assert isinstance(handler.filters[0], RedactingFilter)
