"""The scrubber against a corpus of evasions (issue 11) and of text that must survive.

Each removed item is checked by what is left: no run of the secret's digits (or its letters)
survives anywhere in the output.
"""

from __future__ import annotations

import re

import pytest

from bot.privacy import SCRUBBED, scrub_text

REMOVED = [
    # Letters for digits inside a phone number.
    ("llame al 828-555-O199", "8285550199"),
    ("llame al 828-555-0l99", "8285550199"),
    ("tel 828 555 OI99 gracias", "8285550199"),
    ("call (828) 555-o142 now", "8285550142"),
    ("55 l234 5678", "5512345678"),
    # Fullwidth and other compatibility forms.
    ("número ５５ １２３４ ５６７８", "5512345678"),
    ("escriba a rigob＠example.org", "rigob"),
    # Spelled-out and disguised e-mail addresses.
    ("rigob at example dot org", "rigob"),
    ("rigob(at)example.org", "rigob"),
    ("rigob [at] example [dot] org", "rigob"),
    ("rigob arroba correo punto com", "rigob"),
    ("RIGOB AT EXAMPLE DOT COM", "rigob"),
    # Plates, US and Mexican shapes, any case.
    ("placa abc 1234", "abc1234"),
    ("placa ABC-1234", "abc1234"),
    ("placa abc-1234", "abc1234"),
    ("a white van 7ABC123", "7abc123"),
    ("a white van 7abc123", "7abc123"),
    ("placas ABC-123-D", "abc123d"),
    ("placas AB-1234-C", "ab1234c"),
    ("placas abc-12-34", "abc1234"),
    ("placa 123-ABC", "123abc"),
    # Dates of birth.
    ("DOB 03/14/1988", "03141988"),
    ("D.O.B. 3/14/88", "31488"),
    ("born 1988-03-14", "19880314"),
    ("fecha de nacimiento: 14/03/1988", "14031988"),
    ("nació el 14-03-1988 en Oaxaca", "14031988"),
    ("fecha de nacimiento 14 de marzo de 1988", "14marzode1988"),
    # What already passed.
    ("(828) 555-0142", "8285550142"),
    ("+52 1 55 1234 5678", "5512345678"),
    ("+502 5555 1234", "55551234"),
    ("juana@example.com", "juana"),
    ("A-number A123456789", "123456789"),
]

KEPT = [
    "hoy 01-12-2026 a las 14:30",
    "el 1/12/2026 vimos 3 camionetas",
    "2026-12-01, 7:45 am",
    "3 agentes, 2 camionetas a las 10:30 en la I-40 salida 33",
    "Highway NC 280 near exit 44, US 19 and I-26",
    "exit 33b on I-26",
    "about 5 or 6 cars since 2024",
    "the 2024 festival",
    "hay 300 personas y 20 agentes",
    "son las 10 de la noche",
    "ICE at Walmart. Then they left",
    "agents at the gas station on Patton Ave",
    "llegaron a las 1230 del mediodía",
    "hay un retén en la calle Patton, frente al Ingles",
    "Ruta 19-23, milla 12",
]


def _squash(text: str) -> str:
    return re.sub(r"[\W_]", "", text.lower())


@pytest.mark.parametrize(("text", "secret"), REMOVED)
def test_evasions_are_removed(text: str, secret: str) -> None:
    out = scrub_text(text)
    assert SCRUBBED in out, out
    squashed = _squash(out.replace(SCRUBBED, " "))
    assert secret.lower() not in squashed, out
    digits = re.sub(r"\D", "", secret)
    if len(digits) >= 4:
        assert digits not in re.sub(r"\D", "", out), out


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_survives(text: str) -> None:
    assert scrub_text(text) == text


def test_text_around_a_removal_is_kept() -> None:
    assert scrub_text("hoy 01-12-2026, llame al 828-555-O199 ya") == \
        f"hoy 01-12-2026, llame al {SCRUBBED} ya"
    assert scrub_text("DOB 03/14/1988, visto hoy 01-12-2026") == \
        f"DOB {SCRUBBED}, visto hoy 01-12-2026"


@pytest.mark.parametrize(("text", "secret"), REMOVED[:8])
def test_scrubbing_twice_changes_nothing(text: str, secret: str) -> None:
    once = scrub_text(text)
    assert scrub_text(once) == once
