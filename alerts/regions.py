"""The region catalogue (`content/regions.toml`): names in both languages, approximate centres,
and the two ways a person names a place — a typed name or a shared location.

A shared location is only ever passed to `nearest()` and dropped: no coordinate is stored or
logged anywhere.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.i18n import LOCALES, fold

NAME_LIMIT = 24          # a WhatsApp list row title
AREA_LIMIT = 72          # a WhatsApp list row description
EARTH_RADIUS_KM = 6371.0
# Words people add around a county name: "condado de Buncombe", "Buncombe county".
_FILLER = frozenset({"condado", "county", "co", "de", "del", "el", "la", "en", "in"})
_ID = re.compile(r"^[a-z0-9-]{1,40}$")


class RegionsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Region:
    id: str
    names: dict[str, str]
    areas: dict[str, str]
    lat: float
    lon: float
    aliases: tuple[str, ...] = ()
    fips: tuple[str, ...] = ()      # county FIPS codes (SAME/FIPS6 geocodes in CAP feeds)

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["es"]

    def area(self, locale: str) -> str:
        return self.areas.get(locale, "")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _strip_filler(text: str) -> str:
    return " ".join(w for w in fold(text).split() if w not in _FILLER)


class Regions:
    def __init__(self, regions: list[Region], max_distance_km: float) -> None:
        self.regions = regions
        self.max_distance_km = max_distance_km
        self._by_id = {r.id: r for r in regions}
        # Every way of naming a region, folded and without "county"/"condado de".
        self._names: dict[str, Region] = {}
        for region in regions:
            for text in (region.id, *region.names.values(), *region.aliases):
                self._names.setdefault(_strip_filler(text), region)

    @classmethod
    def load(cls, path: Path) -> Regions:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RegionsError([f"{path}: file not found"]) from None
        except tomllib.TOMLDecodeError as exc:
            raise RegionsError([f"{path}: not valid TOML ({exc})"]) from None
        problems: list[str] = []
        regions = _parse(data, str(path), problems)
        if problems:
            raise RegionsError(problems)
        return cls(regions, float(data.get("max_distance_km", 50)))

    def get(self, region_id: str) -> Region | None:
        return self._by_id.get(region_id)

    def name(self, region_id: str, locale: str) -> str:
        region = self._by_id.get(region_id)
        return region.name(locale) if region else region_id

    def nearest(self, lat: float, lon: float) -> Region | None:
        """The region whose centre is closest, or None when every centre is too far away."""
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not self.regions:
            return None
        best = min(self.regions, key=lambda r: distance_km(lat, lon, r.lat, r.lon))
        if distance_km(lat, lon, best.lat, best.lon) > self.max_distance_km:
            return None
        return best

    def match(self, text: str) -> Region | None:
        """A typed name: "buncombe", "Condado de Búncombe", "asheville", "buncom" (a typo)."""
        key = _strip_filler(text[:100])
        if not key:
            return None
        if key in self._names:
            return self._names[key]
        close = difflib.get_close_matches(key, list(self._names), n=1, cutoff=0.8)
        return self._names[close[0]] if close else None


def _parse(data: dict[str, Any], where: str, problems: list[str]) -> list[Region]:
    raw = data.get("regions")
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: needs at least one [[regions]] table")
        return []
    max_km = data.get("max_distance_km", 50)
    if isinstance(max_km, bool) or not isinstance(max_km, (int, float)) or max_km <= 0:
        problems.append(f"{where}: max_distance_km must be a positive number")
    regions: list[Region] = []
    for i, item in enumerate(raw):
        region = _parse_region(item, f"{where}: regions[{i}]", problems)
        if region is None:
            continue
        if any(r.id == region.id for r in regions):
            problems.append(f"{where}: region {region.id!r}: duplicate id")
        regions.append(region)
    owners: dict[str, str] = {}
    for region in regions:
        for text in {_strip_filler(t) for t in (region.id, *region.names.values(),
                                                *region.aliases)}:
            other = owners.setdefault(text, region.id)
            if other != region.id:
                problems.append(f"{where}: {text!r} names both {other!r} and {region.id!r}")
    return regions


def _number(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if low <= value <= high else None


def _parse_region(item: Any, at: str, problems: list[str]) -> Region | None:
    if not isinstance(item, dict):
        problems.append(f"{at}: must be a table")
        return None
    rid = item.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        problems.append(f"{at}: id must be a-z, 0-9 and '-'")
        return None
    at = at.rsplit(": ", 1)[0] + f": region {rid!r}"
    names, areas = {}, {}
    for locale in LOCALES:
        name, area = item.get(locale), item.get(f"area_{locale}", "")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{at}: missing {locale} name")
        elif len(name) > NAME_LIMIT:
            problems.append(f"{at}: {locale} name is over {NAME_LIMIT} characters")
        else:
            names[locale] = name
        if not isinstance(area, str) or len(area) > AREA_LIMIT:
            problems.append(f"{at}: area_{locale} must be text of at most {AREA_LIMIT}")
        else:
            areas[locale] = area
    lat, lon = _number(item.get("lat"), -90, 90), _number(item.get("lon"), -180, 180)
    if lat is None:
        problems.append(f"{at}: lat must be a number from -90 to 90")
    if lon is None:
        problems.append(f"{at}: lon must be a number from -180 to 180")
    aliases = item.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        problems.append(f"{at}: aliases must be a list of strings")
        aliases = []
    fips = item.get("fips", [])
    if not isinstance(fips, list) or not all(isinstance(f, str) and re.fullmatch(r"\d{5}", f)
                                             for f in fips):
        problems.append(f"{at}: fips must be a list of 5-digit county codes")
        fips = []
    known = {"id", "lat", "lon", "aliases", "fips", *LOCALES,
             *(f"area_{loc}" for loc in LOCALES)}
    for key in sorted(set(item) - known):
        problems.append(f"{at}: unknown key {key!r}")
    return Region(rid, names, areas, lat or 0.0, lon or 0.0, tuple(aliases), tuple(fips))
