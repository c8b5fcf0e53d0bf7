"""What a pasted or forwarded message says, for the rumour check: the code, the county, the
kind. Pure functions over the text; nothing here is stored or logged."""

from __future__ import annotations

from alerts.regions import Region, Regions
from bot.i18n import fold
from bot.public.codes import find_code

# Words people use for each alert kind (folded). "ICE" and "la migra" name no kind: any kind
# matches, but they make a message look like an alert.
KIND_WORDS = {
    "checkpoint": ("reten", "retenes", "punto de control", "puntos de control", "checkpoint",
                   "checkpoints", "check point", "roadblock"),
    "raid": ("redada", "redadas", "raid", "raids", "allanamiento", "operativo"),
    "arrest": ("arresto", "arrestaron", "arrestado", "arrestados", "detenido", "detenidos",
               "detuvieron", "detencion", "arrest", "arrested", "detained"),
    "agents": ("agentes", "agents", "agent", "patrulla", "patrullas"),
}
# ("alerta" is not one: "alerta Buncombe" is someone who wants alerts, not a rumour.)
GENERIC_WORDS = ("ice", "migra", "la migra", "inmigracion", "immigration", "cbp")


def _has(folded: str, word: str) -> bool:
    return f" {word} " in folded


def regions_in(regions: Regions, text: str) -> list[Region]:
    """Every county (or town alias) named in the text, in catalogue order."""
    folded = f" {fold(text)} "
    found = []
    for region in regions.regions:
        names = {region.id.replace("-", " "), *region.aliases,
                 *(fold(n) for n in region.names.values())}
        bare = {fold(n).replace("condado de ", "").replace(" county", "") for n in names}
        if any(_has(folded, fold(n)) for n in names | bare if n):
            found.append(region)
    return found


def kinds_in(text: str) -> tuple[str, ...]:
    folded = f" {fold(text)} "
    return tuple(kind for kind, words in KIND_WORDS.items()
                 if any(_has(folded, w) for w in words))


def looks_like_alert(regions: Regions, text: str) -> bool:
    """A pasted alert or a rumour: a code, the alert's siren, or a county and a kind word."""
    if len(text) < 5:
        return False
    if find_code(text) is not None or "🚨" in text:
        return True
    folded = f" {fold(text)} "
    named = kinds_in(text) or any(_has(folded, w) for w in GENERIC_WORDS)
    return bool(named) and bool(regions_in(regions, text))
