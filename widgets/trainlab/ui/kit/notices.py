"""Visible notices in a widget's status area: errors, warnings and lessons, one box each."""

from __future__ import annotations

import html

Notice = tuple[str, str]  # (level, text): level is error, warning or info

NOTICE_STYLES = {
    "error": "background:#fde8e8;border-left:4px solid #c81e1e;color:#771d1d",
    "warning": "background:#fdf6b2;border-left:4px solid #c27803;color:#723b13",
    "info": "background:#e1effe;border-left:4px solid #1c64f2;color:#1e429f",
}


def notice_boxes(notices: list[Notice]) -> str:
    return "".join(
        f"<div class='trainlab-notice trainlab-notice-{level}' style='{NOTICE_STYLES[level]};padding:4px 8px;"
        f"margin:3px 0;border-radius:3px'>{html.escape(text)}</div>"
        for level, text in notices
    )
