"""Model text to safe HTML: markdown-it-py (raw HTML off), pygments for fenced code, then nh3.

Raw HTML in the input is never passed through (markdown-it escapes it); nh3 then removes whatever
could still execute or drive htmx: scripts, event handlers, `hx-*` attributes, `javascript:` URLs.
Callers still put the result inside an `hx-disable` container.
"""

from __future__ import annotations

import functools
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from mdit_py_plugins.tasklists import tasklists_plugin

from codesm.web.render.highlight import highlight_block

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2",
        "h3", "h4", "h5", "h6", "hr", "i", "input", "kbd", "li", "ol", "p", "pre", "s",
        "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr",
        "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "div": {"class"},
    "li": {"class"},
    "ul": {"class"},
    "input": {"type", "checked", "disabled", "class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
MERMAID = "mermaid"


def _highlight(code: str, language: str, _attrs: Any) -> str:
    lang = language.split()[0] if language else None
    if lang is not None and lang.lower() == MERMAID:
        # Kept as plain escaped source: static/js/mermaid.js draws it in a sandboxed frame and
        # keeps this block as the "show source" view (and the fallback without JavaScript).
        source = escape(code.removesuffix("\n"))
        return f'<pre class="code-block mermaid-source"><code>{source}</code></pre>'
    body = highlight_block(code.removesuffix("\n"), language=lang)
    return f'<pre class="hl code-block"><code>{body}</code></pre>'


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight, "linkify": False})
    md.enable(["table", "strikethrough"])
    md.use(tasklists_plugin)
    return md


def sanitize(html: str) -> str:
    """Keep only inert markup: the tag and attribute allowlists, safe URL schemes."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str) -> Markup:
    """Markdown from a model (or a user) as sanitized HTML."""
    if not text:
        return Markup("")
    return Markup(sanitize(_parser().render(text)))
