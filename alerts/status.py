"""Explicit states for alerts and deliveries (the outbox), as stored in the database."""

from __future__ import annotations

from enum import StrEnum


class MessageType(StrEnum):
    """What an `alerts` row is. Follow-ups point at the original with `parent_id`."""

    ALERT = "alert"
    UPDATE = "update"
    ALL_CLEAR = "all_clear"
    RETRACTION = "retraction"
    DIGEST = "digest"
    NOTICE = "notice"


class AlertStatus(StrEnum):
    DRAFT = "draft"              # prepared from a verified report; a publisher may send it
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # a second publisher must confirm
    PUBLISHED = "published"      # deliveries written, going out
    CLEARED = "cleared"          # an all clear was sent
    RETRACTED = "retracted"      # declared a false alarm
    EXPIRED = "expired"          # past its expiry: never sent again
    CANCELLED = "cancelled"      # dropped before publishing
    REJECTED = "rejected"        # failed its MAC (alerts/integrity.py): never sent


class DeliveryStatus(StrEnum):
    PENDING = "pending"              # waiting for its turn (next_attempt)
    CLAIMED = "claimed"              # a dispatcher holds it until lease_until
    SENT = "sent"
    RETRY = "retry"                  # a transient failure; next_attempt is the backoff
    FAILED = "failed"                # permanent failure or out of attempts
    SKIPPED_WINDOW = "skipped_window"    # WhatsApp 24 h window closed and no template
    SKIPPED_EXPIRED = "skipped_expired"  # the alert expired before it could go out
    CANCELLED = "cancelled"          # the alert was retracted or cleared before this went out
    UNSUBSCRIBED = "unsubscribed"    # the person left (or blocked us) before this went out


OPEN_DELIVERY = (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.RETRY)
