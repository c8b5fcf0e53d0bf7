"""Sealed online backups: `compa backup FILE`, `compa restore FILE`, and the daily job.

The copy is made with SQLite's backup API on a connection of its own, into memory: it reads
one consistent snapshot while the bot's writer goes on (WAL lets readers and one writer work
at once), and no plain copy of the database ever touches the disk. The bytes are compressed
and sealed with AES-GCM under a key derived from the keys file (or from a passphrase in an
environment variable, through scrypt); the header is authenticated too, so a changed byte
anywhere makes the whole file refuse to open.

File layout: MAGIC, a 4-byte header length, the header (JSON), a 12-byte nonce, the sealed
body. The header says the schema version, when it was made, how the key was derived and a
fingerprint of the keys the database was written with (a keyed hash, not the keys): a
restore refuses a newer schema, a tampered file, and a database made with other keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bot.privacy import NONCE_BYTES, Keys, Privacy
from bot.store.migrations import LATEST

log = logging.getLogger(__name__)

MAGIC = b"COMPA-BACKUP-1\n"
FORMAT = 1
SUFFIX = ".compa-backup"
SCRYPT_N = 2**15
BACKUP_RUN = "backup"   # the schedule_runs row that remembers the last good backup


class BackupError(Exception):
    """A backup could not be made or restored; the message says why, for an operator."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    schema: int
    created: float
    size: int


def keys_fingerprint(keys: Keys) -> str:
    """Tells two sets of keys apart without revealing either (a keyed hash of both)."""
    mac = hmac.new(keys.pepper, b"compa-backup:fingerprint" + keys.seal_key, hashlib.sha256)
    return mac.hexdigest()[:32]


def _key_from_keys(keys: Keys) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"compa-backup",
                info=b"compa-backup:seal")
    return hkdf.derive(keys.seal_key + keys.pepper)


def _key_from_passphrase(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=8, p=1).derive(passphrase.encode())


def snapshot(db_path: Path) -> tuple[bytes, int]:
    """A consistent copy of the database as bytes (and its schema version), read through a
    connection of its own so the running bot's writer is never blocked for long."""
    if not db_path.exists():
        raise BackupError(f"{db_path}: no database to back up")
    src = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(":memory:")
    try:
        src.execute("PRAGMA busy_timeout=30000")
        # One step (pages=-1): a single read transaction, so the copy is one snapshot even
        # while the writer commits; the writer never waits for it in WAL mode.
        src.backup(dst, pages=-1)
        version = int(dst.execute("PRAGMA user_version").fetchone()[0])
        data = bytearray(dst.serialize())
    except sqlite3.Error as exc:
        raise BackupError(f"{db_path}: cannot read the database ({exc})") from exc
    finally:
        src.close()
        dst.close()
    # Bytes 18-19 say "WAL" (2) in the copied header; an in-memory image must say rollback
    # journal (1) or sqlite3_deserialize cannot open it. The bot turns WAL back on at start.
    if data[18:20] == b"\x02\x02":
        data[18:20] = b"\x01\x01"
    return bytes(data), version


def seal_backup(data: bytes, schema: int, keys: Keys, created: float,
                passphrase: str | None = None) -> bytes:
    header: dict[str, Any] = {"format": FORMAT, "schema": schema, "created": int(created),
                              "keys": keys_fingerprint(keys)}
    if passphrase:
        salt = secrets.token_bytes(16)
        header["kdf"] = {"name": "scrypt", "n": SCRYPT_N, "salt": salt.hex()}
        key = _key_from_passphrase(passphrase, salt)
    else:
        header["kdf"] = {"name": "keys"}
        key = _key_from_keys(keys)
    head = json.dumps(header, sort_keys=True).encode()
    nonce = secrets.token_bytes(NONCE_BYTES)
    body = AESGCM(key).encrypt(nonce, zlib.compress(data, 1), MAGIC + head)
    return MAGIC + struct.pack(">I", len(head)) + head + nonce + body


def read_header(blob: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    """The (still unauthenticated) header, the raw header bytes and the rest."""
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 4:
        raise BackupError("not a Compa backup (or its first bytes are damaged)")
    (size,) = struct.unpack(">I", blob[len(MAGIC):len(MAGIC) + 4])
    start = len(MAGIC) + 4
    head = blob[start:start + size]
    try:
        header = json.loads(head)
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError("unknown format")
        int(header["schema"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BackupError("the backup's header is damaged or from an unknown format") from None
    return header, head, blob[start + size:]


def open_backup(blob: bytes, keys: Keys, passphrase: str | None = None) -> tuple[bytes, int]:
    """Checks and decrypts a backup; returns the database bytes and its schema version."""
    header, head, rest = read_header(blob)
    kdf = header.get("kdf") or {}
    if kdf.get("name") == "scrypt":
        if not passphrase:
            raise BackupError("this backup was sealed with a passphrase: set the environment "
                              "variable named by backup.passphrase_env")
        key = _key_from_passphrase(passphrase, bytes.fromhex(str(kdf.get("salt", ""))))
    else:
        key = _key_from_keys(keys)
    try:
        data = zlib.decompress(AESGCM(key).decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:],
                                                    MAGIC + head))
    except (InvalidTag, ValueError, zlib.error):
        which = "passphrase" if kdf.get("name") == "scrypt" else "keys"
        raise BackupError(f"the backup is corrupted, was tampered with, or was made with "
                          f"other {which}: refusing it") from None
    schema = int(header["schema"])
    if schema > LATEST:
        raise BackupError(f"the backup has schema version {schema}, this Compa knows up to "
                          f"{LATEST}: upgrade Compa first")
    if header.get("keys") != keys_fingerprint(keys):
        raise BackupError("the backup's database was written with other keys: restore the "
                          "keys file it was made with (or set COMPA_PEPPER/COMPA_SEAL_KEY)")
    return data, schema


def write_private(path: Path, blob: bytes) -> None:
    """Writes a file with mode 0600 (never readable by others, even for a moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(blob)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def make_backup(db_path: Path, out: Path, keys: Keys, now: float,
                passphrase: str | None = None) -> BackupInfo:
    """Snapshot, seal, write (0600). Synchronous: run it in a thread from the event loop."""
    data, schema = snapshot(db_path)
    blob = seal_backup(data, schema, keys, now, passphrase)
    write_private(out, blob)
    return BackupInfo(out, schema, now, len(blob))


def _check_database(data: bytes, keys: Keys) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(data)
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the database inside the backup fails SQLite's integrity check")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "users" in tables:
            row = conn.execute("SELECT channel, address_sealed FROM users LIMIT 1").fetchone()
            if row is not None:
                try:
                    Privacy(keys).unseal(row[1], f"address:{row[0]}")
                except InvalidTag:
                    raise BackupError("the backup's addresses do not open with these keys: "
                                      "restore the keys file it was made with") from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise BackupError(f"the database inside the backup is damaged ({exc})") from exc
    except BaseException:
        conn.close()
        raise
    return conn


def restore_backup(blob: bytes, db_path: Path, keys: Keys,
                   passphrase: str | None = None) -> int:
    """Restores into a data folder that has no database yet; returns the backup's schema.
    The caller then opens the database normally, which migrates an older schema."""
    leftovers = [p for p in (db_path, db_path.with_name(db_path.name + "-wal")) if p.exists()]
    if leftovers:
        raise BackupError(f"{db_path.parent}: already has a database; restore into an empty "
                          "data folder (move the old one away first)")
    data, schema = open_backup(blob, keys, passphrase)
    conn = _check_database(data, keys)
    from bot.keyguard import prepare_data_dir

    prepare_data_dir(db_path.parent)     # 0700, or refused when others can read it
    fd = os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    out = sqlite3.connect(db_path)
    try:
        conn.backup(out)
    finally:
        out.close()
        conn.close()
    return schema


def rotate(folder: Path, keep: int) -> list[Path]:
    """Deletes all but the newest `keep` backups in the folder; returns what it deleted."""
    found = sorted(folder.glob(f"compa-*{SUFFIX}"))
    doomed = found[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def backup_name(now: float) -> str:
    import time

    return time.strftime("compa-%Y%m%d-%H%M%S", time.gmtime(now)) + SUFFIX


async def record_run(db: Any, now: float) -> None:
    """Remembers the last good backup (for /estado and /metrics); a database too old to have
    schedule_runs just does not remember it."""
    try:
        await db.execute(
            "INSERT INTO schedule_runs (name, last_run) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET last_run = excluded.last_run", (BACKUP_RUN, now))
    except sqlite3.OperationalError:
        log.warning("the database has no schedule_runs table: last backup not recorded")


async def last_run(db: Any) -> float | None:
    try:
        row = await db.fetchone("SELECT last_run FROM schedule_runs WHERE name = ?",
                                (BACKUP_RUN,))
    except sqlite3.OperationalError:
        return None
    return float(row[0]) if row else None


def backup_folder(config: Any) -> Path:
    folder = Path(config.backup.folder)
    return folder if folder.is_absolute() else config.data_dir / folder


async def scheduled_backup(app: Any) -> Path | None:
    """The daily job: a sealed backup into backup.folder, then rotation. Never raises."""
    from bot.app import DB_FILE
    from bot.config import secret
    from bot.privacy import load_keys

    config = app.config
    now = app.clock.now()
    out = backup_folder(config) / backup_name(now)
    try:
        keys = load_keys(config.keys_path, config.privacy.pepper_env,
                         config.privacy.seal_key_env, create=False)
        await asyncio.to_thread(make_backup, config.data_dir / DB_FILE, out, keys, now,
                                secret(config.backup.passphrase_env))
        rotate(out.parent, config.backup.keep)
        await record_run(app.db, now)
    except Exception:
        log.exception("scheduled backup failed")
        return None
    log.info("backup written (%d kept)", config.backup.keep)
    return out
