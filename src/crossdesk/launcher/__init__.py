"""The launcher: open an account's browser session on a person's own computer.

Runs client-side (``crossdesk open``, ``crossdesk session capture``); it talks to the server
only through the sessions API with the person's token.
"""

from crossdesk.launcher.browser import BrowserOptions, BrowserRun, proxy_settings, run_browser
from crossdesk.launcher.client import Lease, SessionClient, StorageState
from crossdesk.launcher.runner import OpenResult, capture_account, open_account

__all__ = [
    "BrowserOptions",
    "BrowserRun",
    "Lease",
    "OpenResult",
    "SessionClient",
    "StorageState",
    "capture_account",
    "open_account",
    "proxy_settings",
    "run_browser",
]
