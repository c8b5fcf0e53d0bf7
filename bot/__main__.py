"""Command line: `compa run | console | content check | db migrate | db status | keys init |
audit verify | backup FILE | restore FILE | doctor`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alerts.integrity import Finding
    from bot.config import Config
    from bot.privacy import Keys, Privacy
    from bot.store import Database

# PTB otherwise warns about float retry_after on every RetryAfter (and tests run with -W error).
os.environ.setdefault("PTB_TIMEDELTA", "1")


def _load_config(path: str | None):  # type: ignore[no-untyped-def]
    from bot.config import ConfigError, load

    try:
        return load(path)
    except ConfigError as exc:
        print(f"compa: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


async def _run(args: argparse.Namespace) -> int:
    from bot.config import ConfigError
    from bot.logs import setup_logging
    from bot.privacy import KeysError
    from bot.runner import RunOptions, run
    from bot.store import DatabaseTooNew

    config = _load_config(args.config)
    setup_logging(config.bot.log_level if not args.quiet else "WARNING",
                  fmt=config.bot.log_format)
    options = RunOptions(polling=True if getattr(args, "polling", False) else None,
                         console=True if args.cmd == "console" else None)
    if args.cmd == "console":
        from dataclasses import replace

        # `compa console` is the console alone, whatever else the config enables.
        channels = replace(config.channels,
                           telegram=replace(config.channels.telegram, enabled=False),
                           whatsapp=replace(config.channels.whatsapp, enabled=False))
        config = replace(config, channels=channels)
    from bot.channels.base import PlatformUnreachable

    try:
        return await run(config, options)
    except (KeysError, DatabaseTooNew, ConfigError) as exc:
        print(f"compa: {exc}", file=sys.stderr)
        return 2
    except PlatformUnreachable as exc:  # the network, not the configuration: 1, not 2
        print(f"compa: {exc}", file=sys.stderr)
        return 1


async def _db(args: argparse.Namespace) -> int:
    from bot.app import DB_FILE
    from bot.store import Database, DatabaseTooNew
    from bot.store.migrations import LATEST, MIGRATIONS, ROW_MACS

    config = _load_config(args.config)
    path = config.data_dir / DB_FILE
    try:
        db = await Database.open(path, run_migrations=args.action == "migrate")
    except DatabaseTooNew as exc:
        print(f"compa: {exc}", file=sys.stderr)
        return 2
    try:
        if ROW_MACS in db.applied:
            await _adopt_legacy(config, db)
        version = await db.user_version()
        print(f"database {path}: schema version {version} (this Compa: {LATEST})")
        for m in MIGRATIONS:
            mark = "applied" if m.version <= version else "pending"
            print(f"  {m.version:3d} {mark:8s} {m.description}")
    finally:
        await db.close()
    return 0


async def _adopt_legacy(config: Config, db: Database) -> None:
    """The rows written before MACs existed get theirs now, with the keys (alerts/integrity)."""
    from alerts.integrity import adopt_legacy
    from bot.privacy import KeysError, Privacy, load_keys

    try:
        keys = load_keys(config.keys_path, config.privacy.pepper_env,
                         config.privacy.seal_key_env, create=False)
    except KeysError as exc:
        print(f"compa: {exc}: the rows written before this version stay unsigned, and are "
              "neither sent nor counted", file=sys.stderr)
        return
    signed = await adopt_legacy(db, Privacy(keys))
    print(f"signed {signed} rows written before rows carried MACs")


async def _audit(args: argparse.Namespace) -> int:
    from alerts.audit import AuditLog
    from alerts.audit_head import HEAD_FILE
    from bot.app import DB_FILE
    from bot.keyguard import keys_for
    from bot.privacy import KeysError, Privacy, load_keys
    from bot.store import Database, DatabaseTooNew
    from bot.store.migrations import LATEST, current_version

    config = _load_config(args.config)
    path = config.data_dir / DB_FILE
    if not path.exists():
        print(f"compa: {path}: no database", file=sys.stderr)
        return 2
    try:
        keys = load_keys(config.keys_path, config.privacy.pepper_env,
                         config.privacy.seal_key_env, create=False)
        db = await Database.open(path, run_migrations=False)
    except (KeysError, DatabaseTooNew) as exc:
        print(f"compa: {exc}", file=sys.stderr)
        return 2
    try:
        if await current_version(db.writer) >= LATEST:
            try:
                await keys_for(config, db, create=False)
            except KeysError as exc:
                print(f"compa: {exc}", file=sys.stderr)
                return 2
        if await current_version(db.writer) < 2:
            print("audit chain: empty (the database has no audit log yet)")
            return 0
        head = config.keys_path.parent / HEAD_FILE
        check = await AuditLog(db, Privacy(keys), head).verify()
        forged = await _forged_rows(db, Privacy(keys))
    finally:
        await db.close()
    for finding in forged:
        print(f"row not written by Compa: {finding.subject} ({finding.reason})")
    if check.ok:
        print(f"audit chain: ok ({check.entries} entries)")
        return 1 if forged else 0
    where = f" at entry {check.broken_at}" if check.broken_at is not None else ""
    print(f"audit chain: BROKEN{where}: {check.reason} "
          f"({check.entries} entries before it are intact)")
    return 1


async def _forged_rows(db: Database, privacy: Privacy) -> list[Finding]:
    """Alerts, notices and decisions that may still act and fail their MACs."""
    import time

    from alerts.integrity import scan
    from bot.store.migrations import ROW_MACS, current_version

    if await current_version(db.writer) < ROW_MACS.version:
        return []
    return await scan(db, privacy, time.time())


def _content_check(args: argparse.Namespace) -> int:
    from bot.content import default_content_dir
    from bot.content_check import check_content

    config = _load_config(args.config)
    root = Path(args.content_dir or config.bot.content_dir or default_content_dir())
    # With a config file the resources are meant to be real: examples are errors. Without one
    # (a fresh checkout) they are the built-in examples, and only warned about.
    report = check_content(root, config.resources, examples_are_errors=config.source is not None)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    if report.errors:
        print(f"content check: {len(report.errors)} problem(s)", file=sys.stderr)
        return 1
    print(f"content check: ok ({root})")
    return 0


async def _keys(args: argparse.Namespace) -> int:
    """`compa keys init`: keys for a new (empty) data folder, or a check of existing ones."""
    from bot.app import DB_FILE
    from bot.keyguard import keys_for, prepare_data_dir
    from bot.privacy import KeysError
    from bot.store import Database, DatabaseTooNew

    config = _load_config(args.config)
    existed = config.keys_path.exists()
    try:
        prepare_data_dir(config.data_dir)
        db = await Database.open(config.data_dir / DB_FILE)
    except (KeysError, DatabaseTooNew) as exc:
        print(f"compa: {exc}", file=sys.stderr)
        return 2
    try:
        await keys_for(config, db)
    except KeysError as exc:
        print(f"compa: {exc}", file=sys.stderr)
        return 2
    finally:
        await db.close()
    what = "keys match the database" if existed else "new keys written"
    print(f"{what}: {config.keys_path} (mode 0600; back it up apart from the database)")
    return 0


def _keys_or_exit(config: Config) -> Keys:
    from bot.privacy import KeysError, load_keys

    try:
        return load_keys(config.keys_path, config.privacy.pepper_env,
                         config.privacy.seal_key_env, create=False)
    except KeysError as exc:
        print(f"compa: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _refuse_wrong_user(config: Config) -> None:
    from bot.operations import wrong_user

    problem = wrong_user(config.data_dir)
    if problem:
        print(f"compa: {problem}", file=sys.stderr)
        raise SystemExit(2)


async def _backup(args: argparse.Namespace) -> int:
    import time

    from bot.app import DB_FILE
    from bot.backup import BackupError, make_backup, record_run
    from bot.config import secret
    from bot.store import Database

    config = _load_config(args.config)
    _refuse_wrong_user(config)
    keys = _keys_or_exit(config)
    path = config.data_dir / DB_FILE
    try:
        info = await asyncio.to_thread(make_backup, path, Path(args.file), keys, time.time(),
                                       secret(config.backup.passphrase_env))
    except (BackupError, OSError) as exc:
        print(f"compa: {exc}", file=sys.stderr)
        return 2
    db = await Database.open(path, run_migrations=False)
    try:
        await record_run(db, info.created)
    finally:
        await db.close()
    print(f"backup written: {info.path} ({info.size} bytes, schema {info.schema}, mode 0600)")
    return 0


async def _restore(args: argparse.Namespace) -> int:
    from bot.app import DB_FILE
    from bot.backup import BackupError, restore_backup
    from bot.config import secret
    from bot.privacy import KeysError
    from bot.store import Database

    config = _load_config(args.config)
    _refuse_wrong_user(config)
    keys = _keys_or_exit(config)
    path = config.data_dir / DB_FILE
    try:
        blob = await asyncio.to_thread(Path(args.file).read_bytes)
        schema = await asyncio.to_thread(restore_backup, blob, path, keys,
                                         secret(config.backup.passphrase_env))
    except (BackupError, KeysError, OSError) as exc:
        print(f"compa: {exc}", file=sys.stderr)
        return 2
    db = await Database.open(path)   # migrates an older schema to this Compa's
    try:
        version = await db.user_version()
    finally:
        await db.close()
    print(f"restored {args.file} into {path} (schema {schema}, now {version})")
    return 0


async def _doctor(args: argparse.Namespace) -> int:
    from bot.doctor import run_doctor

    return await run_doctor(args.config)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="compa", description=__doc__)
    parser.add_argument("--config", help="config file (default: $COMPA_CONFIG or ./config.toml)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="start the bot with the channels the config enables")
    run.add_argument("--quiet", action="store_true", help="log warnings only")
    run.add_argument("--polling", action="store_true",
                     help="Telegram: use long polling (and remove any webhook)")
    console = sub.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--quiet", action="store_true", help="log warnings only")
    content = sub.add_parser("content", help="content tools")
    content.add_argument("action", choices=["check"])
    content.add_argument("--content-dir", help="folder with kyr_es/ and kyr_en/")
    db = sub.add_parser("db", help="database tools")
    db.add_argument("action", choices=["migrate", "status"])
    keys = sub.add_parser("keys", help="key tools")
    keys.add_argument("action", choices=["init"])
    audit = sub.add_parser("audit", help="audit log tools")
    audit.add_argument("action", choices=["verify"],
                       help="verify: walk the hash chain and report the first broken link")
    backup = sub.add_parser("backup", help="write a sealed copy of the database (bot may run)")
    backup.add_argument("file")
    restore = sub.add_parser("restore", help="restore a backup into an empty data folder")
    restore.add_argument("file")
    sub.add_parser("doctor", help="check a deployment and list every problem found")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.cmd in ("run", "console"):
        return asyncio.run(_run(args))
    if args.cmd == "db":
        return asyncio.run(_db(args))
    if args.cmd == "content":
        return _content_check(args)
    if args.cmd == "keys":
        return asyncio.run(_keys(args))
    if args.cmd == "audit":
        return asyncio.run(_audit(args))
    commands = {"backup": _backup, "restore": _restore, "doctor": _doctor}
    if args.cmd in commands:
        return asyncio.run(commands[args.cmd](args))
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
