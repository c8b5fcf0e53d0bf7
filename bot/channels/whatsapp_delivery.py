"""What WhatsApp says about our messages, mapped to what the alert dispatcher should do.

Meta reports errors twice over: some when we send (an HTTP error with a code), most later in a
`failed` status webhook. Both go through the same table here. The deliveries table belongs to
the alerts feature; until the core plugs in its `DeliveryEvents` (`channels/base.py`), the
channel reports to `CountingDeliveryEvents`, which keeps counts only (delivered/read are never
more than counts).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.channels.base import StatusOutcome
from bot.messages import SendResult

WINDOW_CLOSED = 131047          # more than 24 h since the person last wrote
STOPPED_MARKETING = 131050      # the person stopped marketing messages from us
PAIR_RATE_LIMIT = 131056        # too many messages to one person (about 1 per 6 s)
THROUGHPUT_LIMIT = 130429       # too many messages from our number (80/s)
SPAM_RATE_LIMIT = 131048
# Codes that say "this person cannot get this message", so retrying is pointless.
RECIPIENT_GONE = frozenset({
    131026,   # undeliverable: no WhatsApp, old app, or the person blocked us
    131030,   # not in the test number's allowed list
    131021,   # recipient is our own number
    131062,   # BSUID recipients not supported for this message
    131045,   # number not registered / certificate
    133010,   # number not registered
    131051,   # unsupported message type
})
# Our message itself is wrong (a bug or a template problem): retrying it unchanged cannot work.
BAD_MESSAGE = frozenset({100, 131008, 131009, 132000, 132001, 132005, 132007, 132008,
                         132012, 132015, 132016, 132018})
AUTH = frozenset({0, 3, 10, 190})
# Backoff for rate limits: first wait, doubled per consecutive hit, capped.
BACKOFF_BASE = {PAIR_RATE_LIMIT: 6.0, THROUGHPUT_LIMIT: 2.0, SPAM_RATE_LIMIT: 60.0,
                4: 60.0, 80007: 60.0}
BACKOFF_CAP = 900.0


class CountingDeliveryEvents:
    """The default: counts outcomes and unsubscribes, stores nothing about anyone."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.unsubscribes = 0

    async def on_status(self, provider_id: str, outcome: StatusOutcome, error_code: int | None, *,
                        retry_after: float | None = None,
                        resent_as: str | None = None) -> None:
        self.counts[str(outcome)] += 1

    async def on_unsubscribe(self, pid: str) -> None:
        self.unsubscribes += 1


def backoff(code: int, attempt: int) -> float:
    """Seconds to wait after the `attempt`-th (1-based) consecutive rate-limit error."""
    base = BACKOFF_BASE.get(code, 30.0)
    return float(min(base * 2.0 ** max(attempt - 1, 0), BACKOFF_CAP))


@dataclass(frozen=True)
class Verdict:
    outcome: StatusOutcome
    permanent: bool = False
    rate_limited: bool = False


def classify_error(code: int | None) -> Verdict:
    """A failure code (from a send or a `failed` status) → what to do with the message."""
    if code == WINDOW_CLOSED:
        return Verdict(StatusOutcome.SKIPPED_WINDOW, permanent=True)
    if code == STOPPED_MARKETING:
        return Verdict(StatusOutcome.UNSUBSCRIBED, permanent=True)
    if code in BACKOFF_BASE:
        return Verdict(StatusOutcome.RETRY, rate_limited=True)
    if code in RECIPIENT_GONE or code in BAD_MESSAGE:
        return Verdict(StatusOutcome.FAILED, permanent=True)
    # 5xx, 131000 (unknown), 131016 (service unavailable), auth, network: transient.
    return Verdict(StatusOutcome.RETRY)


def classify_status(status: str, code: int | None) -> Verdict:
    """A status webhook (`sent`, `delivered`, `read`, `played`, `failed`) → outcome."""
    if status == "failed":
        return classify_error(code)
    if status in ("read", "played"):
        return Verdict(StatusOutcome.READ)
    if status == "delivered":
        return Verdict(StatusOutcome.DELIVERED)
    return Verdict(StatusOutcome.SENT)


def error_name(code: int | None) -> str:
    """A short, stable name for SendResult.error (never the platform's message text)."""
    if code is None:
        return "network"
    if code == WINDOW_CLOSED:
        return "window closed"
    if code == STOPPED_MARKETING:
        return f"stopped:{code}"
    if code in BACKOFF_BASE:
        return f"rate_limited:{code}"
    if code in AUTH:
        return f"auth:{code}"
    if code in RECIPIENT_GONE:
        return f"recipient:{code}"
    return f"whatsapp:{code}"


def send_result(code: int | None, attempt: int = 1) -> SendResult:
    """A failed send (code None: network error or timeout) → SendResult for the dispatcher."""
    verdict = classify_error(code)
    if verdict.rate_limited and code is not None:
        return SendResult.wait(backoff(code, attempt), error_name(code))
    if verdict.outcome is StatusOutcome.SKIPPED_WINDOW:
        return SendResult.window_closed()
    if verdict.outcome is StatusOutcome.UNSUBSCRIBED:
        return SendResult.blocked(error_name(code))
    return SendResult.failed(error_name(code), permanent=verdict.permanent)
