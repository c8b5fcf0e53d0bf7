"""Canary: marked names and numbers sent through a session must appear nowhere at rest or in
the logs — not in the database file, its WAL, the data dir, the temp dir or the log output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from compa_testkit.patience import PATIENCE
from tests import canary

pytestmark = pytest.mark.heavy  # a `compa console` subprocess


def test_console_session_leaves_no_trace(tmp_path: Path) -> None:
    data_dir, tmp_dir = tmp_path / "data", tmp_path / "tmp"
    tmp_dir.mkdir()
    script = "\n".join([
        f"@{canary.NAME} hola",
        "1",
        f"me llamo {canary.FULL_NAME}",
        f"mi teléfono es {canary.PHONE}",
        "/idioma",
        canary.FULL_NAME,
        "/cancelar",
        f"{canary.PHONE} {canary.FULL_NAME} orden judicial",
        "",
    ])
    env = {**os.environ, "COMPA_DATA_DIR": str(data_dir), "TMPDIR": str(tmp_dir),
           "PYTHONUTF8": "1"}
    # DEBUG logging: the most a log could ever say.
    config = tmp_path / "config.toml"
    config.write_text('[bot]\nlog_level = "DEBUG"\n')
    result = subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "console"],
                            input=script, text=True, capture_output=True, env=env,
                            cwd=tmp_path, timeout=PATIENCE, check=False)
    assert result.returncode == 0, result.stderr
    assert "Estos temas le pueden ayudar" in result.stdout  # the session really ran
    assert (data_dir / "compa.sqlite3").exists()
    blobs = {**canary.files_under(data_dir), **canary.files_under(tmp_dir),
             "stderr (logs)": result.stderr.encode()}
    hits = canary.find_markers(blobs, [canary.NAME, canary.PHONE, canary.FULL_NAME])
    assert hits == []


def test_the_canary_search_finds_what_it_looks_for() -> None:
    import base64

    blob = b"xx" + base64.b64encode(b"..." + canary.FULL_NAME.encode()) + b"yy"
    assert canary.find_markers({"b": blob}, [canary.FULL_NAME])
    assert canary.find_markers({"d": b"tel 8285550142"}, [canary.PHONE])
    assert canary.find_markers({"h": canary.NAME.encode().hex().encode()}, [canary.NAME])
    assert not canary.find_markers({"n": b"nothing here"}, [canary.NAME, canary.PHONE])
