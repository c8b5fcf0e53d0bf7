"""Scrubbing free text and stripping photos: what must never be stored, even sealed."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.privacy import SCRUBBED, ImageRejected, scrub_text, strip_image
from tests.report_helpers import photo_with_metadata


@pytest.mark.parametrize("number", [
    # United States
    "828-555-0142", "(828) 555-0142", "+1 828 555 0142", "828.555.0142", "8285550142",
    "1-828-555-0142",
    # Mexico
    "55 1234 5678", "+52 1 55 1234 5678", "+52 55 1234 5678", "044 55 1234 5678",
    "33-1234-5678", "(33) 1234 5678", "521 55 1234 5678",
    # Guatemala (8 digits)
    "5555-1234", "+502 5555 1234", "2222 3333", "(502) 4444-5555", "50255551234",
])
@pytest.mark.parametrize("template", ["{}", "llame al {} por favor", "tel:{}.", "({})"])
def test_phone_numbers_are_removed(number: str, template: str) -> None:
    text = template.format(number)
    out = scrub_text(text)
    assert SCRUBBED in out
    digits = "".join(c for c in out if c.isdigit())
    assert len(digits) < 4, (text, out)


def test_surrounding_text_survives_intact() -> None:
    assert scrub_text("(828) 555-0142 ok") == f"{SCRUBBED} ok"
    assert scrub_text("4444-5555 guatemala") == f"{SCRUBBED} guatemala"
    assert scrub_text("llame al 55 1234 5678 o al 828-555-0142, gracias") == \
        f"llame al {SCRUBBED} o al {SCRUBBED}, gracias"


@pytest.mark.parametrize("email", ["juana@example.com", "j.c+x@mail.example.org.mx",
                                   "JUANA_1@Correo.GT", "ana-maria@sub.example.co"])
def test_email_addresses_are_removed(email: str) -> None:
    out = scrub_text(f"escriba a {email} hoy")
    assert out == f"escriba a {SCRUBBED} hoy"


@pytest.mark.parametrize("plain", [
    "3 agentes, 2 camionetas a las 10:30 en la I-40 salida 33",
    "Highway NC 280 near exit 44, US 19 and I-26",
    "about 5 or 6 cars since 2024",
    "the 2024 festival",
    "hay un retén en la calle Patton, frente al Ingles",
])
def test_ordinary_text_is_kept(plain: str) -> None:
    assert scrub_text(plain) == plain


def test_long_digit_runs_and_plates_are_removed() -> None:
    assert scrub_text("A-number A123456789") == f"A-number A{SCRUBBED}"
    assert scrub_text("placa ABC-1234 y otra XYZ 9876") == f"placa {SCRUBBED} y otra {SCRUBBED}"


def _segments(data: bytes) -> set[int]:
    """JPEG marker types present before the image data (APPn, COM…)."""
    markers, i = set(), 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:      # start of scan: metadata segments all come before it
            break
        markers.add(marker)
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return markers


def test_photo_loses_gps_exif_xmp_and_comment() -> None:
    original = photo_with_metadata("canary-7f3a")
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(0x8825)          # the fixture really has GPS
        assert "xmp" in before.info and "comment" in before.info
    clean = strip_image(original)
    assert b"canary-7f3a" not in clean
    assert b"Exif" not in clean and b"http://ns.adobe.com/xap" not in clean
    assert _segments(clean) & {0xE1, 0xE2, 0xED, 0xFE} == set()   # APP1, APP2, APP13, COM
    with Image.open(io.BytesIO(clean)) as after:
        assert after.format == "JPEG"
        assert not after.getexif()
        assert "xmp" not in after.info and "comment" not in after.info
        assert after.size == (320, 240)
        assert after.getpixel((5, 10))[0] > 200           # the pixels are still there


def test_photo_rotation_is_applied_before_the_orientation_tag_goes() -> None:
    clean = strip_image(photo_with_metadata(size=(320, 240), orientation=6))
    with Image.open(io.BytesIO(clean)) as after:
        assert after.size == (240, 320)


def test_large_photos_are_scaled_down() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (4000, 3000), (1, 2, 3)).save(buf, "JPEG")
    with Image.open(io.BytesIO(strip_image(buf.getvalue()))) as after:
        assert max(after.size) == 1600


@pytest.mark.parametrize("data, limit", [
    (b"not an image at all", 10_000_000),
    (b"\xff\xd8\xff\xe0 truncated jpeg", 10_000_000),
    (photo_with_metadata(), 100),
])
def test_unusable_photos_are_rejected(data: bytes, limit: int) -> None:
    with pytest.raises(ImageRejected):
        strip_image(data, max_bytes=limit)


def test_decompression_bombs_are_rejected() -> None:
    buf = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buf, "PNG")     # small file, 81 million pixels
    with pytest.raises(ImageRejected):
        strip_image(buf.getvalue())
