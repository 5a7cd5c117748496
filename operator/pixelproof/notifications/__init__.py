"""Notifications people asked for in spec.notifications, sent when a rollout ends."""

from .notifier import NotificationError, SecretReader, webhook_notifier
from .webhook import RetryPolicy, build_payload, send_notification, wants_notification

__all__ = [
    "NotificationError",
    "RetryPolicy",
    "SecretReader",
    "build_payload",
    "send_notification",
    "wants_notification",
    "webhook_notifier",
]
