"""CAP 1.2 (OASIS Common Alerting Protocol) for one public alert, in both languages.

Mapping (the alert's current state is one CAP message that references the earlier ones):

| Compa                        | msgType | status | notes                                   |
|------------------------------|---------|--------|-----------------------------------------|
| verified alert               | Alert   | Actual | urgency Immediate, certainty Observed   |
| update                       | Update  | Actual | references the alert                    |
| all clear                    | Update  | Actual | responseType AllClear, urgency Past     |
| false alarm (retraction)     | Cancel  | Actual | references the alert                    |
| ended (expired)              | as last | Actual | `expires` is in the past                |

Drills would be `status` Exercise, but drill alerts are never public (the store leaves them
out), so no Exercise message is ever served. Area: the county's name and its FIPS codes as
`SAME` (6 digits, 0 + state + county) and `FIPS6` geocodes; the Qualla Boundary has no FIPS
code of its own and carries the counties it lies in (content/regions.toml).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from lxml import etree

from alerts.regions import Region
from alerts.render import kind_label
from bot.i18n import I18n
from bot.placeholders import shown
from bot.public.service import PublicAlert, PublicStatus
from bot.public.words import STATUS_LABELS

NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_LANG = {"es": "es-US", "en": "en-US"}


def cap_time(ts: float, tz: ZoneInfo) -> str:
    """CAP's dateTime: seconds and a numeric offset, never "Z"."""
    return datetime.fromtimestamp(int(ts), tz).isoformat(timespec="seconds")


def identifier(alert: PublicAlert, step: int) -> str:
    return f"compa-{alert.code}-{step}"


def msg_type(alert: PublicAlert) -> str:
    if alert.status == PublicStatus.FALSE_ALARM:
        return "Cancel"
    return "Update" if alert.history else "Alert"


def _add(parent: etree._Element, tag: str, text: str) -> etree._Element:
    child = etree.SubElement(parent, f"{{{NS}}}{tag}")
    child.text = text
    return child


def cap_xml(alert: PublicAlert, *, sender: str, org: str, region: Region | None,
            i18n: I18n, hotline: str, web: str, tz: ZoneInfo,
            critical: tuple[str, ...]) -> bytes:
    """The current CAP message for `alert`; `sender` is a host name (no spaces or commas)."""
    root = etree.Element(f"{{{NS}}}alert", nsmap={None: NS})
    steps = [alert.published, *(e.at for e in alert.history)]
    _add(root, "identifier", identifier(alert, len(steps) - 1))
    _add(root, "sender", sender)
    _add(root, "sent", cap_time(steps[-1], tz))
    _add(root, "status", "Actual")
    _add(root, "msgType", msg_type(alert))
    _add(root, "scope", "Public")
    if len(steps) > 1:
        _add(root, "references", " ".join(
            f"{sender},{identifier(alert, i)},{cap_time(at, tz)}"
            for i, at in enumerate(steps[:-1])))
    for lang in ("es", "en"):
        _info(root, alert, lang, org=org, region=region, i18n=i18n, hotline=hotline, web=web,
              tz=tz, critical=critical)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _info(root: etree._Element, alert: PublicAlert, lang: str, *, org: str,
          region: Region | None, i18n: I18n, hotline: str, web: str, tz: ZoneInfo,
          critical: tuple[str, ...]) -> None:
    t = i18n.translator(lang)
    info = etree.SubElement(root, f"{{{NS}}}info")
    _add(info, "language", CAP_LANG[lang])
    _add(info, "category", "Safety")
    kind = kind_label(t, alert.kind)
    _add(info, "event", kind)
    closed = alert.status in (PublicStatus.ALL_CLEAR, PublicStatus.FALSE_ALARM,
                              PublicStatus.ENDED)
    if alert.status == PublicStatus.ALL_CLEAR:
        _add(info, "responseType", "AllClear")
    elif alert.status.is_open:
        _add(info, "responseType", "Avoid")
    _add(info, "urgency", "Past" if closed else "Immediate")
    _add(info, "severity", "Minor" if closed else
         "Severe" if alert.kind in critical else "Moderate")
    _add(info, "certainty", "Unlikely" if alert.status == PublicStatus.FALSE_ALARM
         else "Observed")
    _add(info, "effective", cap_time(alert.published, tz))
    _add(info, "expires", cap_time(alert.expires, tz))
    _add(info, "senderName", org)
    area = region.name(lang) if region else alert.region
    _add(info, "headline", f"{t(STATUS_LABELS[alert.status])}: "
         + t("🚨 {kind} in {region}", kind=kind, region=area).removeprefix("🚨 "))
    description = [alert.note] if alert.note else []
    description += [e.note for e in alert.history if e.note]
    if description:
        _add(info, "description", "\n\n".join(description))
    if alert.status.is_open:
        _add(info, "instruction", t(
            "What to do: do not open the door, stay silent, do not sign anything. Avoid the "
            "area if you can, and do not share rumours."))
    _add(info, "web", web)
    _add(info, "contact", shown(hotline, t))
    area_el = etree.SubElement(info, f"{{{NS}}}area")
    _add(area_el, "areaDesc", f"{area}, NC" if region else area)
    for fips in region.fips if region else ():
        for name in ("SAME", "FIPS6"):
            geo = etree.SubElement(area_el, f"{{{NS}}}geocode")
            _add(geo, "valueName", name)
            _add(geo, "value", f"0{fips}")
