"""What a page logged: its console errors and uncaught exceptions (trainlab's pages load nothing
from another server, so none is forgiven)."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page


class Console:
    """Console errors and page errors of one page (trainlab serve's pages load nothing from
    another server, so none is forgiven)."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _message(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        self.errors.append(f"console: {message.text} ({url})")
