"""Keys that belong to their database, in a folder nobody else can read.

- A key check (bot/privacy.key_check) is stored in the database the first time keys are used
  with it. Later starts refuse keys that do not match it: new keys on an old database would
  make everybody a stranger and every stored address unreadable.
- Keys are created only for an empty database (first run) or by `compa keys init` on one.
  A missing keys file next to a database that holds people is an operator's mistake (the
  other disk was not mounted): Compa stops and says so instead of starting over.
- The data folder is made 0700; an existing one that others can read is refused.
"""

from __future__ import annotations

import hmac
import os
from pathlib import Path

from bot import privacy
from bot.config import Config
from bot.privacy import Keys, KeysError
from bot.store import Database, keycheck

DATA_DIR_MODE = 0o700


def prepare_data_dir(path: Path) -> None:
    """Creates the data folder 0700, or refuses one that others can read or enter."""
    if not path.exists():
        path.mkdir(mode=DATA_DIR_MODE, parents=True)
        os.chmod(path, DATA_DIR_MODE)  # mkdir's mode is filtered by the umask
        return
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeysError(f"{path}: the data folder is open to other accounts (mode {mode:o}); "
                        f"run: chmod 700 {path}")


def _env_keys(config: Config) -> bool:
    return bool(os.environ.get(config.privacy.pepper_env)
                or os.environ.get(config.privacy.seal_key_env))


async def keys_for(config: Config, db: Database, *, create: bool = True) -> Keys:
    """The keys for `db`, checked against it; created only when the database is empty."""
    path = config.keys_path
    check = await keycheck.stored(db)
    if not _env_keys(config) and not path.exists():
        if check is not None or not await keycheck.is_empty(db):
            raise KeysError(
                f"{path}: keys file not found, and the database {db.path} was made with keys. "
                "Restore the keys file (or mount the disk that holds it) and start again; new "
                "keys would make every stored address unreadable.")
        if not create:
            raise KeysError(f"{path}: keys file not found")
        privacy.write_keys_file(path, privacy.generate_keys())
    keys = privacy.load_keys(path, config.privacy.pepper_env, config.privacy.seal_key_env,
                             create=False)
    mac = privacy.key_check(keys)
    if check is None:
        await keycheck.record(db, mac)
    elif not hmac.compare_digest(check, mac):
        raise KeysError(
            f"the keys ({path} or {config.privacy.pepper_env}/{config.privacy.seal_key_env}) "
            f"are not the keys the database {db.path} was made with. Restore the right keys "
            "file; Compa will not start with others.")
    return keys
