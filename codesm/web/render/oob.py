"""Out-of-band fragments the WebSocket pushes besides whole elements replaced by id."""

from __future__ import annotations

from markupsafe import Markup

DELETE_EMPTY_STATE = '<div id="transcript-empty" hx-swap-oob="delete"></div>'


def append_to(target: str, html: str | Markup) -> str:
    """An OOB fragment that appends `html` (already safe) inside element `#target`."""
    return f'<div hx-swap-oob="beforeend:#{target}">{html}</div>'
