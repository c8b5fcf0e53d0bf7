"""Shared steps for the report tests: file a report by pressing buttons, make test photos."""

from __future__ import annotations

import io

from PIL import Image

from compa_testkit.harness import Chat, Harness


async def file_report(chat: Chat, region: str = "buncombe", kind: str = "checkpoint",
                      details: str | None = None, seen: str = "now", agents: str = "3-5",
                      vehicles: str = "1-2") -> int:
    """Walks the whole report flow by buttons; returns the new report's id."""
    await chat.press("report:start")
    await chat.press(f"report:kind:{kind}")
    await chat.press(f"report:region:{region}")
    await chat.press(f"report:seen:{seen}")
    await chat.press(f"report:agents:{agents}")
    await chat.press(f"report:vehicles:{vehicles}")
    if details is None:
        await chat.press("report:details:skip")
    else:
        await chat.say(details)
    if "report:photo:skip" in chat.button_ids():
        await chat.press("report:photo:skip")
    assert "report:send" in chat.button_ids(), chat.text
    await chat.press("report:send")
    followup = next(b for b in chat.button_ids() if b.startswith("report:followup:"))
    return int(followup.split(":")[2])


def followup_button(chat: Chat) -> str:
    return next(b for b in chat.button_ids() if b.startswith("report:followup:"))


def photo_with_metadata(marker: str = "canary-7f3a", size: tuple[int, int] = (320, 240),
                        orientation: int | None = None) -> bytes:
    """A JPEG carrying GPS EXIF, a camera model, XMP and a comment, all marked."""
    img = Image.new("RGB", size, (40, 120, 200))
    img.paste((255, 255, 0), (0, 0, size[0] // 2, size[1] // 2))
    exif = Image.Exif()
    exif[0x010F] = f"{marker}-camera"          # Make
    exif[0x0131] = f"{marker}-software"        # Software
    if orientation is not None:
        exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (35.0, 36.0, 44.53), 3: "W", 4: (82.0, 32.0, 3.08)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, comment=f"{marker}-comment".encode(),
             xmp=f'<x:xmpmeta xmlns:x="adobe:ns:meta/">{marker}-xmp</x:xmpmeta>'.encode())
    return out.getvalue()


async def ready(harness: Harness, *names: str, locale: str = "en") -> list[Chat]:
    """People past the welcome, in one language."""
    chats = [harness.person(n) for n in names]
    for chat in chats:
        await chat.start_in(locale)
    return chats
