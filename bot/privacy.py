"""Privacy primitives: keyed pseudonyms, sealed addresses, text scrubbing.

The database must be safe to lose. Two keys live outside it (a 0600 file or env vars):
- the *pepper* keys the pseudonyms: HMAC-SHA256(pepper, "channel:chat_id"). A plain hash of a
  phone number is reversible by enumeration; a keyed one is not without the key.
- the *sealing key* encrypts what we must be able to read back (where to send an alert) with
  AES-GCM. Separate keys, so a leaked pepper does not open addresses and vice versa.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


class KeysError(Exception):
    """The keys file or env vars are unusable."""


@dataclass(frozen=True)
class Keys:
    pepper: bytes
    seal_key: bytes

    def __repr__(self) -> str:
        return "Keys(<secret>)"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _unb64(text: str, what: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except (ValueError, TypeError) as exc:
        raise KeysError(f"{what}: not valid base64") from exc
    if len(raw) != KEY_BYTES:
        raise KeysError(f"{what}: must decode to {KEY_BYTES} bytes, got {len(raw)}")
    if is_weak(raw):
        raise KeysError(f"{what}: a weak key (repeated bytes or a short repeated pattern); "
                        "make new keys with `compa keys init` on an empty data folder")
    return raw


# 32 random bytes have about 28 different values; fewer than 12 happens by chance with
# probability below 1e-9, and catches all-zero keys, "AAAA…" and short repeated patterns.
_MIN_DISTINCT_BYTES = 12


def is_weak(raw: bytes) -> bool:
    """True for keys nobody drew at random: one byte repeated, or a short pattern repeated."""
    if len(set(raw)) < _MIN_DISTINCT_BYTES:
        return True
    return any(raw == raw[:n] * (len(raw) // n) for n in (1, 2, 4, 8, 16) if len(raw) % n == 0)


KEY_CHECK_LABEL = "compa key check v1"


def key_check(keys: Keys) -> str:
    """A MAC over a fixed label with each key: stored in the database, it tells at start-up
    whether these keys are the ones the database was made with, and reveals nothing else."""
    pepper = hmac.new(keys.pepper, KEY_CHECK_LABEL.encode(), hashlib.sha256).hexdigest()
    seal = hmac.new(keys.seal_key, KEY_CHECK_LABEL.encode(), hashlib.sha256).hexdigest()
    return f"{pepper[:32]}:{seal[:32]}"


def generate_keys() -> Keys:
    return Keys(pepper=secrets.token_bytes(KEY_BYTES), seal_key=secrets.token_bytes(KEY_BYTES))


def write_keys_file(path: Path, keys: Keys) -> None:
    """Writes the keys with mode 0600, created exclusively so a race never overwrites keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = (
        "# Compa keys. Keep this file secret and backed up apart from the database:\n"
        "# without it the stored addresses cannot be read and pseudonyms change.\n"
        f'pepper = "{_b64(keys.pepper)}"\nseal_key = "{_b64(keys.seal_key)}"\n'
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(body)


def load_keys(path: Path, pepper_env: str, seal_key_env: str, create: bool = True) -> Keys:
    """Keys from env vars when both are set, else from the keys file (created on first run)."""
    env_pepper, env_seal = os.environ.get(pepper_env), os.environ.get(seal_key_env)
    if env_pepper and env_seal:
        return Keys(_unb64(env_pepper, pepper_env), _unb64(env_seal, seal_key_env))
    if env_pepper or env_seal:
        raise KeysError(f"set both {pepper_env} and {seal_key_env}, or neither")
    if not path.exists():
        if not create:
            raise KeysError(f"{path}: keys file not found")
        write_keys_file(path, generate_keys())
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeysError(f"{path}: keys file is readable by others (mode {mode:o}); chmod 600 it")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise KeysError(f"{path}: not valid TOML") from exc
    if "pepper" not in data or "seal_key" not in data:
        raise KeysError(f"{path}: needs pepper and seal_key")
    return Keys(_unb64(str(data["pepper"]), "pepper"), _unb64(str(data["seal_key"]), "seal_key"))


class Privacy:
    """Pseudonyms and sealing with one set of keys."""

    def __init__(self, keys: Keys) -> None:
        self._pepper = keys.pepper
        self._aead = AESGCM(keys.seal_key)

    def pseudonym(self, channel: str, chat_id: str) -> str:
        """A stable, keyed, irreversible id for one person on one channel."""
        mac = hmac.new(self._pepper, f"{channel}:{chat_id}".encode(), hashlib.sha256)
        return mac.hexdigest()

    def seal(self, plaintext: bytes, context: str = "") -> bytes:
        """AES-GCM with a random nonce; `context` binds the ciphertext to its use (AAD)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def unseal(self, sealed: bytes, context: str = "") -> bytes:
        return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode())

    def mac(self, context: str, message: str) -> str:
        """A keyed MAC for integrity (the audit chain) and unguessable tokens; one derived key
        per `context`, so a value made for one use never verifies for another."""
        key = hmac.new(self._pepper, f"compa-mac:{context}".encode(), hashlib.sha256).digest()
        return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()

    def row_mac(self, purpose: str, *fields: object) -> str:
        """A MAC over a stored row's meaningful fields (JSON, so no two field lists encode
        alike), with a key of its own per `purpose` ("row:alert", "row:verification"…): a
        row written without the keys never verifies."""
        body = json.dumps(fields, separators=(",", ":"), ensure_ascii=True, default=str)
        return self.mac(f"row:{purpose}", body)

    def row_mac_ok(self, purpose: str, mac: str | None, *fields: object) -> bool:
        """True when `mac` is `row_mac(purpose, *fields)` (constant-time compare)."""
        return mac is not None and hmac.compare_digest(mac, self.row_mac(purpose, *fields))

    def seal_text(self, text: str, context: str = "") -> bytes:
        return self.seal(text.encode(), context)

    def unseal_text(self, sealed: bytes, context: str = "") -> str:
        return self.unseal(sealed, context).decode()


# Scrubbing: what must never be stored even sealed — contact details people type by mistake.
# The text is normalised first (NFKC: fullwidth ＠ and digits become plain ones), and the
# detectors run on a copy where letters that stand for digits inside number-like runs are
# read as digits (828-555-O199); cuts are made in the normalised text. Limits: PRIVACY.md.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_TLDS = r"(?:com|org|net|edu|gov|mx|us|gt|hn|sv|co|io|info|me|es)"
# Spelled-out or disguised: "ana at example dot org", "ana(at)example.org", "ana [arroba]
# correo punto com". A plain " at " needs a "dot" and a known ending after it.
_AT = r"(?:\s*[(\[{<]\s*(?:at|arroba)\s*[)\]}>]\s*|\s+(?:at|arroba)\s+)"
_DOT = r"(?:\s*[(\[{<]\s*(?:dot|punto)\s*[)\]}>]\s*|\s+(?:dot|punto)\s+|\.)"
_SPELLED_EMAIL = re.compile(rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}{_TLDS}\b",
                            re.IGNORECASE)
# Runs of 7+ digits with common separators: US (828-555-0142), Mexican (55 1234 5678,
# +52 1 55...), Guatemalan (5555-1234 is 8 digits), ids and plates written as digits.
_DIGIT_RUN = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
# A number-like run that may hide letters for digits (O for 0, l or I for 1).
_LOOKALIKE_RUN = re.compile(r"(?<![^\W\d_])[\dOolI|][\dOolI|\s().+-]{5,}[\dOolI|](?![^\W\d_])")
_LOOKALIKES = str.maketrans("OolI|", "00111")
_GROUP = re.compile(r"[\dOolI|]+")
# Dates (kept, unless they follow a birth word) and dates of birth (removed).
_DATE = r"(?:\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})"
_DATE_RE = re.compile(rf"(?<![\d-]){_DATE}(?![\d-])")
_BIRTH = re.compile(
    r"\b(?:d\.?\s?o\.?\s?b\.?|born|birth(?:day|date)?|date of birth|nacimiento|"
    r"naci[oó]|f\.?\s?nac\.?|cumplea[nñ]os)\b[^\d\n]{0,20}"
    rf"({_DATE}|\d{{1,2}}\s+de\s+[a-záéíóú]+\s+(?:de|del)\s+\d{{4}}"
    r"|[a-z]+\.?\s+\d{1,2},?\s+\d{4})",
    re.IGNORECASE)
# Plates. Upper case in the usual shapes (NC ABC-1234, Mexican ABC-123-D, AB-1234-C,
# California 7ABC123); in any case when written together or with a hyphen. Lower case with a
# space only when the letters are not a common word ("the 2024", "las 1230" stay). Route
# names (NC 280, US 19, I-26) have at most two letters.
_PLATE_SHAPES = (
    r"[A-Z]{2,3}[- ]\d{2,4}[- ][A-Z\d]{1,2}",
    r"[A-Z]{3}[- ]?\d{3,4}", r"\d{3}[- ]?[A-Z]{3}", r"\d[A-Z]{3}\d{3}",
)
_PLATE = re.compile(r"\b(?:" + "|".join(_PLATE_SHAPES) + r")\b")
_PLATE_ANY_CASE = re.compile(
    r"\b(?:[a-z]{2,3}-\d{2,4}-[a-z\d]{1,2}|[a-z]{3}-?\d{3,4}|\d{3}-?[a-z]{3}|\d[a-z]{3}\d{3})\b",
    re.IGNORECASE)
_PLATE_SPACED = re.compile(r"\b([a-zA-Z]{3}) (\d{4})\b")
_COMMON_WORDS = frozenset({
    "the", "and", "for", "are", "was", "its", "our", "all", "any", "but", "not", "one", "two",
    "six", "ten", "may", "day", "año", "hoy", "ayer", "los", "las", "del", "son", "con", "por",
    "una", "más", "mas", "sus", "mil", "van", "hay", "muy", "year", "exit", "from", "near",
    "unos",
})
SCRUBBED = "[…]"


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in reversed(_merge(spans)):
        text = text[:start] + SCRUBBED + text[end:]
    return text


def _detection_copy(text: str) -> str:
    """Same length as `text`: lookalike letters read as digits inside number-like runs, and
    dates masked so that no phone detector takes them (hoy 01-12-2026 stays)."""
    out = list(text)
    for m in _LOOKALIKE_RUN.finditer(text):
        if sum(c.isdigit() for c in m.group()) >= 5:
            # Only inside a group that has digits: "55 1234 5678 o al…" keeps its "o".
            for g in _GROUP.finditer(m.group()):
                if any(c.isdigit() for c in g.group()):
                    at = m.start() + g.start()
                    out[at:at + len(g.group())] = g.group().translate(_LOOKALIKES)
    for m in _DATE_RE.finditer(text):
        out[m.start():m.end()] = "D" * (m.end() - m.start())
    return "".join(out)


def _number_spans(text: str) -> list[tuple[int, int]]:
    import phonenumbers

    spans: list[tuple[int, int]] = []
    for region in ("US", "MX", "GT"):
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.POSSIBLE
        ):
            spans.append((match.start, match.end))
    spans += [m.span() for m in _DIGIT_RUN.finditer(text)
              if sum(c.isdigit() for c in m.group()) >= 7]
    return spans


def _plates(text: str) -> str:
    text = _PLATE.sub(SCRUBBED, text)
    text = _PLATE_ANY_CASE.sub(SCRUBBED, text)
    return _PLATE_SPACED.sub(
        lambda m: m.group() if m.group(1).lower() in _COMMON_WORDS else SCRUBBED, text)


def scrub_text(text: str) -> str:
    """Removes e-mail addresses, phone numbers, plates, dates of birth and long digit runs
    from free text; keeps dates, times, road names, exits and counts."""
    # A marker left by an earlier pass stays as it is (NFKC would turn "…" into "...").
    out = SCRUBBED.join(unicodedata.normalize("NFKC", part) for part in text.split(SCRUBBED))
    out = _SPELLED_EMAIL.sub(SCRUBBED, _EMAIL.sub(SCRUBBED, out))
    out = _cut(out, [m.span(1) for m in _BIRTH.finditer(out)])
    out = _cut(out, _number_spans(_detection_copy(out)))
    return _plates(out)


class ImageRejected(Exception):
    """A photo that cannot be read, is too large, or is not an image."""


MAX_IMAGE_SIDE = 1600
MAX_IMAGE_PIXELS = 40_000_000


def strip_image(data: bytes, max_bytes: int = 10_000_000) -> bytes:
    """A fresh JPEG with only the pixels: no EXIF (GPS, camera), XMP, ICC or comments.

    A plain re-save keeps the JPEG comment and can keep XMP, so the pixels are copied into a
    new image instead. Rotation is applied first (the EXIF orientation is dropped with the
    rest), and large photos are scaled down: less detail at rest, smaller sealed blobs.
    """
    import io
    import warnings

    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > max_bytes:
        raise ImageRejected("too large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as source:
                if source.width * source.height > MAX_IMAGE_PIXELS:
                    raise ImageRejected("too many pixels")
                source.load()
                upright = ImageOps.exif_transpose(source).convert("RGB")
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageRejected("not a readable image") from exc
    upright.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    clean = Image.new("RGB", upright.size)
    clean.paste(upright)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=85)
    return out.getvalue()
