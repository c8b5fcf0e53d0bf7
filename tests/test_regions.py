"""The region catalogue: every WNC county and the Qualla Boundary, names, centres, matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.regions import NAME_LIMIT, Regions, RegionsError, distance_km
from bot.content import default_content_dir
from bot.content_check import check_content

COUNTIES = ("Buncombe", "Henderson", "Madison", "Transylvania", "Cherokee", "Clay", "Graham",
            "Haywood", "Jackson", "Macon", "Swain", "Cleveland", "McDowell", "Polk",
            "Rutherford", "Alleghany", "Ashe", "Avery", "Mitchell", "Watauga", "Wilkes",
            "Yancey", "Burke")


@pytest.fixture(scope="module")
def regions() -> Regions:
    return Regions.load(default_content_dir() / "regions.toml")


def test_every_county_and_the_qualla_boundary(regions: Regions) -> None:
    names = {r.name("en") for r in regions.regions}
    assert names == {f"{c} County" for c in COUNTIES} | {"Qualla Boundary"}
    assert regions.get("qualla") is not None
    assert regions.name("qualla", "es") == "Territorio Qualla"
    for region in regions.regions:
        assert all(len(n) <= NAME_LIMIT for n in region.names.values())
        assert 34.9 < region.lat < 36.6 and -84.4 < region.lon < -80.9


@pytest.mark.parametrize("lat, lon, expected", [
    (35.5951, -82.5515, "buncombe"),      # Asheville
    (35.3187, -82.4610, "henderson"),     # Hendersonville
    (35.4776, -83.3149, "qualla"),        # Cherokee, NC
    (36.2168, -81.6746, "watauga"),       # Boone
    (35.2924, -81.5356, "cleveland"),     # Shelby
    (35.0887, -84.0352, "cherokee"),      # Murphy
])
def test_nearest_region(regions: Regions, lat: float, lon: float, expected: str) -> None:
    region = regions.nearest(lat, lon)
    assert region is not None and region.id == expected


@pytest.mark.parametrize("lat, lon", [(35.2271, -80.8431), (40.71, -74.0), (91, 0),
                                      (0, 200)])
def test_far_or_impossible_locations_have_no_region(regions: Regions, lat: float,
                                                    lon: float) -> None:
    assert regions.nearest(lat, lon) is None


def test_distance() -> None:
    assert distance_km(35.5951, -82.5515, 35.5951, -82.5515) == 0
    assert 30 < distance_km(35.5951, -82.5515, 35.3187, -82.4610) < 35


@pytest.mark.parametrize("typed, expected", [
    ("buncombe", "buncombe"), ("BUNCOMBE", "buncombe"), ("Condado de Búncombe", "buncombe"),
    ("buncombe county", "buncombe"), ("Buncombe Co.", "buncombe"), ("asheville", "buncombe"),
    ("mcdowell", "mcdowell"), ("Mc Dowell", "mcdowell"), ("boone", "watauga"),
    ("territorio qualla", "qualla"), ("EBCI", "qualla"), ("Cherokee", "cherokee"),
    ("hendersonvile", "henderson"),
])
def test_typed_names(regions: Regions, typed: str, expected: str) -> None:
    region = regions.match(typed)
    assert region is not None and region.id == expected


@pytest.mark.parametrize("typed", ["", "   ", "condado", "hola", "828-555-0142", "x" * 500])
def test_typed_text_that_names_no_region(regions: Regions, typed: str) -> None:
    assert regions.match(typed) is None


def test_broken_catalogue_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "regions.toml"
    path.write_text(
        'max_distance_km = -1\n'
        '[[regions]]\nid = "Bad Id"\nes = "x"\nen = "x"\nlat = 1\nlon = 1\n'
        '[[regions]]\nid = "a"\nes = "A name that is far too long for a row"\nlat = 100\n'
        'lon = 1\ncolour = "red"\n'
        '[[regions]]\nid = "b"\nes = "B"\nen = "B"\nlat = 1\nlon = 1\naliases = ["a"]\n'
        '[[regions]]\nid = "c"\nes = "C"\nen = "C"\nlat = 1\nlon = 1\naliases = ["b"]\n')
    with pytest.raises(RegionsError) as info:
        Regions.load(path)
    problems = "\n".join(info.value.problems)
    for expected in ("max_distance_km must be a positive number",
                     "regions[0]: id must be a-z", "es name is over 24 characters",
                     "missing en name", "lat must be a number from -90 to 90",
                     "unknown key 'colour'", "'b' names both 'b' and 'c'"):
        assert expected in problems


def test_content_check_reports_a_broken_catalogue(tmp_path: Path) -> None:
    root = tmp_path / "content"
    source = default_content_dir()
    for locale in ("es", "en"):
        (root / f"kyr_{locale}").mkdir(parents=True)
        for page in (source / f"kyr_{locale}").glob("*.md"):
            (root / f"kyr_{locale}" / page.name).write_text(page.read_text())
    (root / "regions.toml").write_text("[[regions]]\nid = 'x'\n")
    report = check_content(root)
    assert any("missing es name" in e for e in report.errors)
    (root / "regions.toml").write_text((source / "regions.toml").read_text())
    assert check_content(root).errors == []
