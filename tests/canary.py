"""Helpers for privacy canary tests: markers and every encoding we can think of."""

from __future__ import annotations

import base64
from pathlib import Path

NAME = "canary-7f3a"
PHONE = "828-555-0142"
FULL_NAME = "Juana Canaria"


def encodings(marker: str) -> set[bytes]:
    raw = marker.encode()
    forms = {raw, raw.lower(), raw.upper(), raw.hex().encode(), base64.b64encode(raw),
             base64.urlsafe_b64encode(raw), marker.encode("utf-16-le")}
    digits = "".join(c for c in marker if c.isdigit())
    if len(digits) >= 7:
        forms |= {digits.encode(), digits.encode().hex().encode(), base64.b64encode(
            digits.encode())}
    # base64 of the marker at any alignment inside a longer blob: strip the padded ends.
    for shift in range(3):
        forms.add(base64.b64encode(b"\0" * shift + raw)[4:-4])
    return {f for f in forms if len(f) >= 6}


def find_markers(blobs: dict[str, bytes], markers: list[str]) -> list[str]:
    """Returns "where: marker (form)" for every hit."""
    hits = []
    for where, blob in blobs.items():
        lowered = blob.lower()
        for marker in markers:
            for form in encodings(marker):
                if form in blob or form.lower() in lowered:
                    hits.append(f"{where}: {marker!r} as {form[:20]!r}")
    return hits


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}
