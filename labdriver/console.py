"""What a page logged: its console errors and uncaught exceptions (trainlab's pages load nothing
from another server, so none is forgiven), and its warnings.

One upstream error is set apart, and only when trainlab recovered from it: anywidget logs
"[anywidget] Failed to initialize model." for every message it dropped to a model whose front end
loaded after its 2 s limit, and trainlab's front end then mends the model and logs a warning saying
so (ui/kit/static/kernel_link.js). `unexplained()` is every error but those, when the warning is
there; the tests that use it go on to check that the page draws and reacts."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page

ANYWIDGET_GAVE_UP = "[anywidget] Failed to initialize model"
TRAINLAB_MENDED = "[trainlab] anywidget gave up on model"


class Console:
    """Console errors, page errors and warnings of one page."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _message(self, message: ConsoleMessage) -> None:
        if message.type == "warning":
            self.warnings.append(message.text)
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        self.errors.append(f"console: {message.text} ({url})")

    @property
    def mended(self) -> bool:
        """trainlab's front end mended a model that anywidget gave up on."""
        return any(TRAINLAB_MENDED in text for text in self.warnings)

    def unexplained(self) -> list[str]:
        """The errors, less anywidget's own for the models trainlab mended."""
        return [e for e in self.errors if not (self.mended and ANYWIDGET_GAVE_UP in e)]
