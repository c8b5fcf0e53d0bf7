"""Example resources (555-01xx, example.org, "Sample", "Example St") never pass as real: public
channels refuse to start, `compa content check` fails on them, the console marks them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, DistributionSite, ResourcesConfig
from bot.content import Content, default_content_dir
from bot.content_check import check_content
from bot.i18n import I18n
from bot.placeholders import example_reason, example_resources, shown
from compa_testkit.harness import REAL_RESOURCES, Harness, make_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("value", [
    "(828) 555-0100", "828-555-0199", "+1 828 555 0142", "8285550101", "help@example.org",
    "https://example.com/ayuda", "Sample pantry", "123 Example St, Asheville",
    "horario de ejemplo: 24 horas", "example hours",
])
def test_examples_are_recognised(value: str) -> None:
    assert example_reason(value) is not None


@pytest.mark.parametrize("value", [
    "(828) 012-3400", "828-555-1212", "Compa", "Despensa San José", "sábados 9-12",
    "1 Main St", "https://www.justice.gov/eoir", "lunes a viernes, 9 a 17 h",
])
def test_real_looking_values_pass(value: str) -> None:
    assert example_reason(value) is None


def test_each_example_resource_is_named() -> None:
    resources = ResourcesConfig(distribution_sites=(
        DistributionSite("Sample pantry", "123 Example St", "Saturdays 9-12"),))
    lines = example_resources(resources)
    for key in ("resources.hotline ", "resources.crisis_line ", "resources.legal_aid ",
                "resources.hotline_hours.es ", "resources.hotline_hours.en ",
                "resources.distribution_sites[0].name ",
                "resources.distribution_sites[0].place "):
        assert any(line.startswith(key) for line in lines), key
    assert not any("distribution_sites[0].days" in line for line in lines)


@pytest.mark.parametrize("channel", ["telegram", "whatsapp"])
def test_a_public_channel_refuses_examples_in_one_config_error(tmp_path: Path,
                                                               channel: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_config(tmp_path, channels={channel: {"enabled": True, "phone_number_id": "1"}
                                        if channel == "whatsapp" else {"enabled": True}},
                    resources={"legal_aid": "(828) 012-3402"})
    problems = "\n".join(info.value.problems)
    assert "resources.hotline = '(828) 555-0100' is an example" in problems
    assert "resources.crisis_line = '(828) 555-0101'" in problems
    assert "resources.legal_aid" not in problems
    assert f"refused while {channel} is enabled" in problems


def test_the_console_alone_accepts_examples(tmp_path: Path) -> None:
    assert make_config(tmp_path).resources.hotline == "(828) 555-0100"


def test_real_resources_start_a_public_channel(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    cfg = make_config(tmp_path, channels={"telegram": {"enabled": True}},
                      resources=REAL_RESOURCES)
    assert cfg.resources.hours("es") == "todos los días, 24 horas"


def test_compa_run_refuses_the_copied_example_with_telegram(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('data_dir = "./data"', f'data_dir = "{tmp_path / "data"}"')
    line = "this file.\nenabled = false\n"
    assert line in text
    text = text.replace(line, "this file.\nenabled = true\n", 1)
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", str(config), "run"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("is an example") == 5          # three numbers, two hours
    assert "resources.hotline = '(828) 555-0100'" in err


def test_content_check_fails_on_examples_in_a_config_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.example.toml").read_text(encoding="utf-8"),
                      encoding="utf-8")
    assert main(["--config", str(config), "content", "check"]) == 1
    err = capsys.readouterr().err
    assert "error: resources.hotline = '(828) 555-0100' is an example" in err
    # Without a config file the built-in examples are only warned about.
    report = check_content(default_content_dir(), ResourcesConfig())
    assert report.errors == [] and len(report.warnings) == 5


@pytest.mark.parametrize(("locale", "mark"), [("es", "(número de ejemplo)"),
                                              ("en", "(example number)")])
def test_examples_are_marked_wherever_shown(locale: str, mark: str) -> None:
    t = I18n().translator(locale)
    assert shown("(828) 555-0100", t) == f"(828) 555-0100 {mark}"
    assert shown("(828) 012-3400", t) == "(828) 012-3400"
    content = Content.load(default_content_dir(), ResourcesConfig())
    page = content.page(locale, "resources")
    assert page is not None
    text = "\n".join(content.render(page, t))
    assert f"(828) 555-0101 {mark}" in text and f"(828) 555-0102 {mark}" in text


async def test_console_marks_the_hotline_in_help_and_reports(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("es")
    await ana.say("/ayuda")
    assert "(828) 555-0100 (número de ejemplo)" in ana.last.text


def test_hotline_hours_fill_the_placeholder() -> None:
    resources = ResourcesConfig(hotline_hours={"es": "lunes a viernes", "en": "weekdays"})
    content = Content({}, resources)
    t = I18n().translator("en")
    assert content.fill("Call {hotline} ({hotline_hours})", t, "en").endswith("(weekdays)")
    assert content.fill("{hotline_hours}", t, "es") == "lunes a viernes"
    # A language without its own hours uses another's rather than nothing.
    assert ResourcesConfig(hotline_hours={"es": "siempre"}).hours("en") == "siempre"
