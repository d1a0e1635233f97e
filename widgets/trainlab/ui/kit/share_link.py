"""The "link to this view" control: the page's address with a widget's state as its query string,
and the page's own query string sent to the kernel once (a Voila page opened from a shared link)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import traitlets

from trainlab.ui.kit.kernel_link import STATIC, KernelLinked, front_end



class ShareLink(KernelLinked):
    """A button that shows the page's address with `query` appended, ready to copy. With
    `follow_page` set, a Voila page sends its own query string once, to on_page_query's handler."""

    _esm = front_end("share_link.js")
    _css = (STATIC / "plotly_view.css").read_text()
    query = traitlets.Unicode("").tag(sync=True)
    follow_page = traitlets.Bool(False).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._page_query_handlers: list[Callable[[str], Any]] = []
        self.on_msg(self._on_front_end_message)

    def on_page_query(self, handler: Callable[[str], Any]) -> None:
        self._page_query_handlers.append(handler)
        self.follow_page = True

    def _on_front_end_message(self, _widget: object, content: dict, _buffers: list) -> None:
        if content.get("type") == "page-query":
            for handler in self._page_query_handlers:
                handler(str(content.get("query", "")))
