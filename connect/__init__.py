"""Connect: let a web app's users connect their mailboxes.

The public names a host app needs; everything else lives in the module named for what it does.
"""

from .extension import Connect, browser_session_user
from .receiver import CallbackReceiver, sync_completed
from .webhooks import CallbackVerifier, SyncCallback, sign_callback

__all__ = [
    "CallbackReceiver",
    "Connect",
    "browser_session_user",
    "CallbackVerifier",
    "SyncCallback",
    "sign_callback",
    "sync_completed",
]
