"""The sandboxed document that draws mermaid diagrams for the chat (issue 5).

mermaid writes `<style>` elements and `style` attributes into every SVG it makes, which the page's
CSP (`style-src 'self'`) forbids. Rather than loosen the page, each diagram is drawn in an iframe
showing this document, whose own CSP sandboxes it: an opaque origin (no cookies, no API access, no
top navigation, no popups), scripts only from the two tags carrying this response's nonce, inline
styles allowed here alone, embeddable only by this origin. The page hands it the diagram's source
by `postMessage` (`static/js/mermaid.js`); the frame draws it (`static/js/mermaid-frame.js`).
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from codesm.web.context import web_context

FRAME_PATH = "/mermaid-frame"
MERMAID_SCRIPT = "/static/vendor/mermaid.min.js"
FRAME_SCRIPT = "/static/js/mermaid-frame.js"
FRAME_SCRIPTS = frozenset({MERMAID_SCRIPT, FRAME_SCRIPT})


def frame_policy(nonce: str) -> str:
    """The frame's CSP. A nonce rather than 'self': it admits exactly the two tags we wrote."""
    return (
        "sandbox allow-scripts; default-src 'none'; "
        f"script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
    )


async def mermaid_frame(request: Request) -> Response:
    """The static frame document; a fresh nonce each time, so it is never cached."""
    nonce = secrets.token_hex(16)
    return web_context(request).templates.TemplateResponse(
        request,
        "mermaid_frame.html",
        {"nonce": nonce, "scripts": (MERMAID_SCRIPT, FRAME_SCRIPT)},
        headers={"content-security-policy": frame_policy(nonce), "cache-control": "no-store"},
    )


routes = [Route(FRAME_PATH, mermaid_frame, name="mermaid_frame")]
