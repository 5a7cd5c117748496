"""The operator's notifier: from a rollout and the engine's Notify action to a webhook call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from pixelproof.engine.actions import Notify
from pixelproof.errors import PixelproofError

from .review import REVIEW
from .webhook import RetryPolicy, send_notification, wants_notification

SecretReader = Callable[[str, str, str], Awaitable[str | None]]
"""(namespace, secret name, key) -> the decoded value, or None when the key is absent."""
Notifier = Callable[[dict[str, Any], Notify], Coroutine[Any, Any, None]]


class NotificationError(PixelproofError):
    """The notification could not be delivered; the message names the rollout and why."""


def webhook_notifier(read_secret: SecretReader, policy: RetryPolicy | None = None) -> Notifier:
    """A notifier for spec.notifications.webhook. It raises NotificationError when delivery
    fails, so the caller can record a Warning Event; it never retries beyond `policy`."""

    async def notify(rollout: dict[str, Any], action: Notify) -> None:
        notifications = (rollout.get("spec") or {}).get("notifications")
        # A review waits for a person: it is sent whatever phases the webhook lists.
        if action.phase != REVIEW and not wants_notification(notifications, action.phase):
            return
        webhook = (notifications or {}).get("webhook")
        if not webhook:
            return
        meta = rollout["metadata"]
        namespace, name = meta.get("namespace", "default"), meta["name"]
        url = webhook.get("url")
        if url is None:
            ref = webhook["secretKeyRef"]
            url = await read_secret(namespace, ref["name"], ref["key"])
            if not url:
                raise NotificationError(
                    f"{namespace}/{name}: Secret {ref['name']} has no key {ref['key']!r} for the webhook URL"
                )
        status = rollout.get("status") or {}
        delivered = await send_notification(
            url, name, namespace, action.phase, action.message, status, policy=policy
        )
        if not delivered:
            raise NotificationError(
                f"{namespace}/{name}: the webhook did not accept the {action.phase} notification"
            )

    return notify
