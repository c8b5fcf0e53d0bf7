"""Deploy files: the Dockerfile (stages, non-root user, volume, health check; its build steps
replayed as a script, since no container engine runs here), compose.yaml with Caddy, and the
systemd unit (hardening present; `systemd-analyze verify` when it is installed)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
UNIT = ROOT / "deploy" / "compa.service"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def stages(text: str) -> dict[str, list[tuple[str, str]]]:
    result: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for word, args in instructions(text):
        if word == "FROM":
            match = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", args, re.I)
            assert match, args
            current = match.group(2) or match.group(1)
            result[current] = []
        else:
            result[current].append((word, args))
    return result


def test_the_image_runs_as_a_user_with_a_volume_and_a_health_check() -> None:
    found = stages(DOCKERFILE.read_text(encoding="utf-8"))
    assert list(found) == ["build", "runtime"]
    runtime = found["runtime"]
    users = [args for word, args in runtime if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    volumes = " ".join(args for word, args in runtime if word == "VOLUME")
    assert '"/data"' in volumes
    health = [args for word, args in runtime if word == "HEALTHCHECK"]
    assert len(health) == 1 and "/healthz" in health[0] and "CMD" in health[0]
    env = " ".join(args for word, args in runtime if word == "ENV")
    assert "COMPA_DATA_DIR=/data" in env and "COMPA_CONFIG=/etc/compa/config.toml" in env
    # Nothing secret is baked in: no keys file, no token, no config copied into the image.
    copies = " ".join(args for stage in found.values() for word, args in stage if word == "COPY")
    assert "keys" not in copies and "config.toml" not in copies and ".env" not in copies
    assert ("COPY", "--from=build /opt/compa /opt/compa") in runtime
    assert ("ENTRYPOINT", '["compa"]') in runtime and ("CMD", '["run"]') in runtime


def test_the_build_stage_runs_as_a_script(tmp_path: Path) -> None:
    """The build stage's COPY and RUN steps, replayed: WORKDIR and /opt/compa become temporary
    folders, and the venv borrows this checkout's installed dependencies (no network), so what
    is checked is that the copied tree builds, installs and passes `compa content check`."""
    steps = stages(DOCKERFILE.read_text(encoding="utf-8"))["build"]
    src, prefix = tmp_path / "src", tmp_path / "opt-compa"
    src.mkdir()
    script = ["set -eu", f"cd {shlex.quote(str(src))}"]
    for word, args in steps:
        if word == "COPY":
            *sources, dest = shlex.split(args)
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
                target = src / dest / Path(source).name if dest.endswith("/") else src / dest
                target.parent.mkdir(parents=True, exist_ok=True)
                if (ROOT / source).is_dir():
                    shutil.copytree(ROOT / source, target,
                                    ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy(ROOT / source, target)
        elif word == "RUN":
            command = args.replace("/opt/compa", str(prefix))
            # Offline: dependencies come from this checkout's venv instead of the index.
            command = command.replace(
                "python -m venv " + str(prefix),
                f"{shlex.quote(sys.executable)} -m venv {prefix} && echo "
                f"{shlex.quote(sysconfig.get_paths()['purelib'])} > "
                f"{prefix}/lib/python3.11/site-packages/deps.pth")
            command = command.replace(
                "pip install .", "pip install --no-deps --no-index --no-build-isolation "
                "--quiet .")
            script.append(command)
        elif word in ("ENV", "WORKDIR"):
            continue
        else:
            pytest.fail(f"unexpected build step {word}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPA_", "VIRTUAL_ENV"))}
    env["PIP_NO_CACHE_DIR"] = "1"
    done = subprocess.run(["sh", "-c", "\n".join(script)], capture_output=True, text=True,
                          env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "content check: ok" in done.stdout
    assert (prefix / "bin" / "compa").exists()


def test_compose_puts_caddy_in_front_and_keeps_the_keys_apart() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "image: caddy:2" in compose and '"443:443"' in compose
    assert "compa-data:/data" in compose
    assert "/run/secrets/compa-keys.toml:ro" in compose
    compa_service = compose.split("caddy:")[0]
    assert "ports:" not in compa_service          # only Caddy is published
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy compa:8080" in caddyfile and "/metrics" in caddyfile
    docker_config = (ROOT / "deploy" / "config.docker.toml").read_text(encoding="utf-8")
    assert 'keys_file = "/run/secrets/compa-keys.toml"' in docker_config
    assert "always_on = true" in docker_config


def _unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_the_unit_is_hardened() -> None:
    s = _unit_settings()
    expected = {"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
                "Restart": "on-failure", "KillSignal": "SIGTERM", "User": "compa",
                "UMask": "0077", "StateDirectoryMode": "0700"}
    for key, value in expected.items():
        assert s.get(key) == [value], key
    assert "/var/lib/compa" in s["ReadWritePaths"][0].split()
    assert s["Environment"].count("COMPA_DATA_DIR=/var/lib/compa") == 1


def _verify(unit: Path) -> str:
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, check=False, timeout=120)
    return "\n".join(line for line in (done.stdout + done.stderr).splitlines()
                     if unit.name in line or done.returncode != 0)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed on this machine")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    compa = Path(sys.executable).parent / "compa"
    text = UNIT.read_text(encoding="utf-8").replace("/opt/compa/.venv/bin/compa", str(compa))
    unit = tmp_path / "compa.service"
    unit.write_text(text, encoding="utf-8")
    assert _verify(unit) == ""
    # The check is real: a misspelt value is reported.
    broken = tmp_path / "broken.service"
    broken.write_text(text.replace("ProtectSystem=strict", "ProtectSystem=stricter"),
                      encoding="utf-8")
    assert "ProtectSystem" in _verify(broken) or "protect system" in _verify(broken)


async def test_always_on_serves_healthz_without_webhooks(tmp_path: Path) -> None:
    import httpx

    from bot.app import App
    from bot.runner import Runner, RunOptions
    from compa_testkit.harness import make_config

    for always, served in ((False, False), (True, True)):
        config = make_config(tmp_path / "data", web={"port": 0, "always_on": always},
                             channels={"console": {"enabled": False}})
        app = await App.create(config)
        runner = Runner(app, RunOptions(console=False))
        try:
            await runner.start()
            assert (runner.web is not None) == served
            if runner.web is not None:
                async with httpx.AsyncClient() as client:
                    answer = await client.get(f"{runner.web.url}/healthz")
                assert answer.status_code == 200 and answer.json() == {"ok": True}
        finally:
            await runner.stop()
            await app.close()
