"""`compa doctor`: checks a deployment before it goes live and prints every problem at once.

Config errors, placeholder contact numbers, the keys file (mode, and whether it opens the
database), the data folder's permissions and free disk, the schema version, what Telegram says
about the webhook (getWebhookInfo), whether WhatsApp accepts the token and has approved the
templates, the clock against the platforms' Date headers, and WhatsApp moderators outside the
24-hour window. Exit status 1 when anything is wrong. Nothing printed names a person: numbers
are shown by their place in the config and their last two digits at most.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.config import Config, ConfigError, load, secret
from bot.placeholders import example_resources
from bot.privacy import Keys, KeysError, Privacy, load_keys
from bot.store.migrations import LATEST

if TYPE_CHECKING:
    from bot.store import Database

MIN_FREE_BYTES = 1024**3          # 1 GiB: backups, the WAL and a surge of deliveries
MAX_CLOCK_SKEW = 30.0             # seconds; schedules, expiry and tokens depend on the clock
WINDOW_SECONDS = 24 * 3600


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def note(self, text: str) -> None:
        self.notes.append(text)


def _config(path: str | None, found: Findings) -> Config | None:
    """The config, or (when it has problems) the best reading of it, so the other checks run."""
    from bot.config import best_reading

    try:
        return load(path)
    except ConfigError as exc:
        found.problems.extend(f"config: {p}" for p in exc.problems)
    chosen = path or os.environ.get("COMPA_CONFIG") or "config.toml"
    try:
        data = tomllib.loads(Path(chosen).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return best_reading(data, chosen)[0]


def placeholder_problems(cfg: Config) -> list[str]:
    """Resources still at the shipped examples (555-01xx, example.org, "Sample"…)."""
    return example_resources(cfg.resources)


def _keys(cfg: Config, found: Findings) -> Keys | None:
    env_set = bool(os.environ.get(cfg.privacy.pepper_env)
                   or os.environ.get(cfg.privacy.seal_key_env))
    path = cfg.keys_path
    mode = 0o600
    if not env_set:
        if not path.exists():
            found.problem(f"keys: {path} does not exist (run `compa keys init`, or restore it "
                          "from where you keep its copy)")
            return None
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            found.problem(f"keys: {path} has mode {mode:o}; it must be 600 (chmod 600)")
    try:
        keys = _read_keys(path) if not env_set else load_keys(
            path, cfg.privacy.pepper_env, cfg.privacy.seal_key_env, create=False)
    except KeysError as exc:
        found.problem(f"keys: {exc}")
        return None
    if env_set or not mode & 0o077:
        found.note("keys: from the environment" if env_set else f"keys: {path} (mode 600)")
    return keys


def _read_keys(path: Path) -> Keys:
    """The keys file whatever its mode (the mode is reported on its own), so the check that
    they open the database still runs."""
    from bot.privacy import _unb64

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Keys(_unb64(str(data["pepper"]), "pepper"),
                    _unb64(str(data["seal_key"]), "seal_key"))
    except (OSError, tomllib.TOMLDecodeError, KeyError):
        raise KeysError(f"{path}: not a keys file (needs pepper and seal_key)") from None


def _data_folder(cfg: Config, found: Findings, min_free: int) -> None:
    data = cfg.data_dir
    if not data.exists():
        found.problem(f"data folder: {data} does not exist (create it, owned by the bot's user, "
                      "mode 700)")
        return
    if not data.is_dir() or not os.access(data, os.W_OK | os.X_OK):
        found.problem(f"data folder: {data} is not a folder the bot can write to")
    mode = data.stat().st_mode & 0o777
    if mode & 0o007:
        found.problem(f"data folder: {data} has mode {mode:o}: other users of this machine can "
                      "read it (chmod 700)")
    free = shutil.disk_usage(data).free
    if free < min_free:
        found.problem(f"disk: {free // 1024**2} MiB free under {data}; keep at least "
                      f"{min_free // 1024**2} MiB")


async def _database(cfg: Config, keys: Keys | None, found: Findings,
                    now: float) -> None:
    from bot.app import DB_FILE
    from bot.store import Database, ops

    path = cfg.data_dir / DB_FILE
    if not path.exists():
        found.note(f"database: none yet ({path} is created at first start)")
        return
    db = await Database.open(path, run_migrations=False)
    try:
        version = await db.user_version()
        if version > LATEST:
            found.problem(f"schema: the database is version {version}, this Compa knows up to "
                          f"{LATEST}: upgrade Compa or restore a matching backup")
        elif version < LATEST:
            found.note(f"schema: version {version}; {LATEST - version} migration(s) will run at "
                       "the next start (take a backup first: `compa backup FILE`)")
        else:
            found.note(f"schema: version {version} (latest)")
        if keys is not None and version >= 1:
            sample = await ops.any_sealed_address(db)
            if sample is not None and not _opens(keys, sample):
                found.problem("keys: they do not open the addresses in the database (a "
                              "different keys file than the one the database was made with)")
        if keys is not None and version >= 1:
            await _moderators_window(cfg, keys, db, found, now)
    finally:
        await db.close()


def _opens(keys: Keys, sample: tuple[str, bytes]) -> bool:
    try:
        Privacy(keys).unseal(sample[1], f"address:{sample[0]}")
    except Exception:
        return False
    return True


async def _moderators_window(cfg: Config, keys: Keys, db: Database, found: Findings,
                             now: float) -> None:
    from bot.channels.identity import person_key
    from bot.messages import Address
    from bot.store import ops

    wa = cfg.channels.whatsapp
    if not wa.enabled:
        return
    privacy = Privacy(keys)
    from bot.operations import label

    # The people ([[moderators]], or the old per-channel list migrated to them).
    for i, person in enumerate(cfg.moderators):
        number = person.whatsapp
        if not number:
            continue
        pid = privacy.pseudonym("whatsapp", person_key(Address("whatsapp", number)))
        last = await ops.last_inbound(db, pid)
        if last is None or last + WINDOW_SECONDS <= now:
            gets = "only the moderators' template" if wa.moderator_templates else \
                "no cards (no moderators' template is set)"
            found.problem(f"whatsapp: moderator {label(person.name)!r}, moderators[{i}] (…"
                          f"{number[-2:]}) has not written in 24 hours: on WhatsApp they get "
                          f"{gets} (ask them to send the bot any message)")


async def _platforms(cfg: Config, found: Findings, now: float) -> None:
    tg, wa = cfg.channels.telegram, cfg.channels.whatsapp
    tg_token, wa_token = secret(tg.token_env), secret(wa.token_env)
    if not ((tg.enabled and tg_token) or (wa.enabled and wa_token and wa.phone_number_id)):
        found.note("platforms: no channel to ask (clock not checked)")
        return
    from bot.channels import health

    probes = []
    if tg.enabled and tg_token:
        probes.append(("Telegram", await health.telegram_webhook(tg, tg_token, now)))
    if wa.enabled and wa_token and wa.phone_number_id:
        probes.append(("WhatsApp", await health.whatsapp_account(wa, wa_token)))
    for name, probe in probes:
        found.problems.extend(probe.problems)
        found.notes.extend(f"{name.lower()}: {k} = {v}" for k, v in probe.facts.items())
        if probe.server_time is not None:
            skew = now - probe.server_time
            if abs(skew) > MAX_CLOCK_SKEW:
                found.problem(f"clock: this machine is {abs(skew):.0f} s "
                              f"{'ahead of' if skew > 0 else 'behind'} {name}'s (enable NTP: "
                              "`timedatectl set-ntp true`)")
            else:
                found.note(f"clock: within {MAX_CLOCK_SKEW:.0f} s of {name}'s")


async def diagnose(config_path: str | None, *, clock: Callable[[], float] = time.time,
                   min_free_bytes: int | None = None) -> Findings:
    """Every check; never stops at the first problem."""
    found = Findings()
    min_free_bytes = MIN_FREE_BYTES if min_free_bytes is None else min_free_bytes
    cfg = _config(config_path, found)
    if cfg is None:
        found.problem("config: the file cannot be read, so nothing else was checked")
        return found
    # The config error already names them when a public channel is on: say each once.
    found.problems.extend(p for p in placeholder_problems(cfg)
                          if not any(p in said for said in found.problems))
    keys = _keys(cfg, found)
    _data_folder(cfg, found, min_free_bytes)
    now = clock()
    from bot.operations import wrong_user

    refused = wrong_user(cfg.data_dir)
    if refused:
        found.problem(f"database: not checked: {refused}")
    elif cfg.data_dir.exists():
        await _database(cfg, keys, found, now)
    await _platforms(cfg, found, now)
    return found


async def run_doctor(config_path: str | None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    found = await diagnose(config_path)
    for note in found.notes:
        print(f"  ok   {note}", file=out)
    for problem in found.problems:
        print(f"  FAIL {problem}", file=out)
    if found.problems:
        print(f"doctor: {len(found.problems)} problem(s)", file=out)
        return 1
    print("doctor: everything checked is fine", file=out)
    return 0
