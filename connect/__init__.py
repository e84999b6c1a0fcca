"""Connect: let a web app's users connect their mailboxes.

The public names a host app needs; everything else lives in the module named for what it does.
"""

from .callbacks.receiver import CallbackReceiver, message_received, source_status_changed, sync_completed
from .callbacks.signing import CallbackVerifier, MessageWebhook, StatusCallback, SyncCallback, sign_callback
from .helper.extension import Connect, browser_session_user
from .helper.signals import mailbox_connected, mailbox_removed

__all__ = [
    "CallbackReceiver",
    "Connect",
    "browser_session_user",
    "CallbackVerifier",
    "SyncCallback",
    "mailbox_connected",
    "mailbox_removed",
    "message_received",
    "MessageWebhook",
    "sign_callback",
    "source_status_changed",
    "StatusCallback",
    "sync_completed",
]
