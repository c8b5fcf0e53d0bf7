"""The WhatsApp webhook before pywa sees it: signature, shape, one update per message, dedup.

Meta signs the raw body (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 with the app secret>`),
so the check runs on the bytes as received, before any parsing: a re-serialised body fails.
A delivery may batch several messages or statuses; pywa only reads the first of each, so the
body is split into single-item updates. Meta retries deliveries it thinks failed, so each
message id (and each status of a message) is handled once, remembered in a bounded set.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_BODY_BYTES = 1_000_000


class BadUpdate(ValueError):
    """The body is not a WhatsApp webhook update (answered with 400)."""


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta sends for `body` (tests and the fake server use it too)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    if not header or not app_secret:
        return False
    return hmac.compare_digest(sign(body, app_secret).encode(), header.strip().encode())


@dataclass(frozen=True)
class SingleUpdate:
    """One message or one status, as a complete webhook body pywa can read."""

    key: str          # dedup key: "m:<message id>" or "s:<message id>:<status>"
    sender: str       # the person (wa_id or BSUID): their updates are handled in order
    body: bytes


def split(body: bytes) -> list[SingleUpdate]:
    """Parses and splits a verified body; raises BadUpdate when it is not an update."""
    return split_checked(body)[0]


def split_checked(body: bytes) -> tuple[list[SingleUpdate], list[str]]:
    """The updates pywa can read, and why each other one was skipped.

    A signed body is Meta's (or a tester's): a message without a sender or a change without
    `metadata` is answered 200 like any other, skipped, and told in one log line, instead of
    reaching pywa, which fails on it with a traceback.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUpdate("not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise BadUpdate("no entry list")
    updates: list[SingleUpdate] = []
    skipped: list[str] = []
    for entry in data["entry"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            raise BadUpdate("bad entry")
        for change in entry["changes"]:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                raise BadUpdate("bad change")
            updates.extend(_split_change(data, entry, change, skipped))
    return updates, skipped


def _id(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _wrap(data: dict[str, Any], entry: dict[str, Any], change: dict[str, Any],
          value: dict[str, Any]) -> bytes:
    single = {**data, "entry": [{**entry, "changes": [{**change, "value": value}]}]}
    return json.dumps(single, separators=(",", ":")).encode()


def _split_change(data: dict[str, Any], entry: dict[str, Any], change: dict[str, Any],
                  skipped: list[str]) -> list[SingleUpdate]:
    value = change["value"]
    messages, statuses = value.get("messages"), value.get("statuses")
    if not isinstance(messages, list) and not isinstance(statuses, list):
        # Other fields (template reviews, account updates…): passed on whole.
        key = "o:" + hashlib.blake2s(_wrap(data, entry, change, value)).hexdigest()
        return [SingleUpdate(key, "", _wrap(data, entry, change, value))]
    metadata = value.get("metadata")
    meta_ok = isinstance(metadata, dict) and bool(_id(metadata.get("phone_number_id")))
    contacts = value.get("contacts") if isinstance(value.get("contacts"), list) else []
    base = {k: v for k, v in value.items() if k not in ("messages", "statuses", "contacts")}
    out = []
    for msg in messages if isinstance(messages, list) else []:
        if not isinstance(msg, dict) or not isinstance(msg.get("id"), str):
            raise BadUpdate("message without id")
        if not meta_ok or not (_id(msg.get("from")) or _id(msg.get("from_user_id"))):
            skipped.append("a message without a sender" if meta_ok else "no metadata")
            continue
        contact = _contact_for(contacts, msg.get("from"), msg.get("from_user_id"))
        single = {**base, "messages": [_with_context(msg)], "contacts": [contact]}
        out.append(SingleUpdate("m:" + msg["id"], _key_of(contact),
                                _wrap(data, entry, change, single)))
    for status in statuses if isinstance(statuses, list) else []:
        if not isinstance(status, dict) or not isinstance(status.get("id"), str):
            raise BadUpdate("status without id")
        if not meta_ok:
            skipped.append("no metadata")
            continue
        # Without a recipient a status is still matched by its message id (pywa needs a str).
        if "recipient_id" in status and not isinstance(status["recipient_id"], str):
            status = {**status, "recipient_id": ""}
        contact = _contact_for(contacts, status.get("recipient_id"),
                               status.get("recipient_user_id"))
        single = {**base, "statuses": [status], "contacts": [contact]}
        out.append(SingleUpdate(f"s:{status['id']}:{status.get('status')}", _key_of(contact),
                                _wrap(data, entry, change, single)))
    return out


def _contact_for(contacts: list[Any], wa_id: Any, user_id: Any) -> dict[str, Any]:
    """The contact of one sender, with the `user_id` pywa requires (else it drops the update).

    Payloads from before the BSUID rollout (and status updates) carry no `user_id`; an empty
    one keeps pywa reading them while telling us there is no BSUID.
    """
    for contact in contacts:
        if not isinstance(contact, dict):
            continue
        if (wa_id and contact.get("wa_id") == wa_id) or \
                (user_id and contact.get("user_id") == user_id) or len(contacts) == 1:
            return {**contact, "user_id": contact.get("user_id") or user_id or ""}
    contact = {"user_id": user_id if isinstance(user_id, str) else ""}
    if isinstance(wa_id, str) and wa_id:
        contact["wa_id"] = wa_id
    return contact


def _with_context(msg: dict[str, Any]) -> dict[str, Any]:
    """pywa reads `context.id` of every list reply and drops the update when it is missing."""
    context = msg.get("context")
    if msg.get("type") == "interactive" and not (isinstance(context, dict) and "id" in context):
        return {**msg, "context": {**(context if isinstance(context, dict) else {}), "id": ""}}
    return msg


def _key_of(contact: dict[str, Any]) -> str:
    return str(contact.get("wa_id") or contact.get("user_id") or "")


class Seen:
    """A bounded set of recently handled keys: Meta's retries of the same update are dropped."""

    def __init__(self, size: int = 10_000) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def add(self, key: str) -> bool:
        """Records `key`; False when it was already there (a duplicate)."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._keys)
