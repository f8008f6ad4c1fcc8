"""Untrusted text through every renderer of the web UI: 0 executable constructs.

Markdown may produce markup, but only from the allowlist and never an event handler, an htmx
attribute or a script URL. Every other renderer (tool output, file names, diffs, previews,
approvals) must produce exactly the markup it produces for harmless text: the payload stays text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from codesm.web.app import TEMPLATES_DIR
from codesm.web.render.diff import parse_unified_diff
from codesm.web.render.highlight import highlight_lines, lexer_for
from codesm.web.render.markdown import ALLOWED_TAGS, render_markdown
from codesm.web.render.view import (
    ApprovalView,
    ChangeView,
    MessageView,
    NoticeView,
    ToolView,
    TurnView,
    dom_id,
)
from codesm.web.workspace_files import Preview, TreeEntry

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "<iframe src=javascript:alert(1)>",
    "<iframe srcdoc='<script>alert(1)</script>'>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<body onload=alert(1)>",
    "<div onmouseover=alert(1)>hover</div>",
    "<a href=javascript:alert(1)>x</a>",
    "<a href='jAvAsCrIpT:alert(1)'>x</a>",
    "<a href=' javascript:alert(1)'>x</a>",
    "<a href='&#106;avascript:alert(1)'>x</a>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](https://evil.example/pixel.png)",
    '<a href="x" onclick="alert(1)">x</a>',
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:alert(1)//>",
    "<div hx-get=/files/view?path=x hx-trigger=load>x</div>",
    "<div data-hx-post=/sessions data-hx-trigger=load>x</div>",
    "<div hx-on:click=alert(1)>x</div>",
    "<div hx-on::load=alert(1)>x</div>",
    "<form ws-send><input name=type value=approve></form>",
    "<div ws-connect=/ws/s/other>x</div>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</pre><script>alert(1)</script><pre>",
    "</td></tr></table><script>alert(1)</script>",
    "<!--<script>alert(1)//-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=`x` onerror=alert(1)>",
    "<img/src=x/onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "\x00<script>alert(1)</script>",
    "\u202e<script>alert(1)</script>",
    "{{ 7*7 }}{% raw %}",
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    '<a href="https://ok.example" target=_blank>ok</a>',
]
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"}
FORBIDDEN_TAGS = {
    "script", "iframe", "object", "embed", "style", "link", "meta", "base", "svg", "math",
    "template", "frame", "frameset", "noscript", "img", "video", "audio", "source", "marquee",
}  # fmt: skip


class Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def parse(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = Markup()
    parser.feed(str(html))
    parser.close()
    return parser.tags


def executable_constructs(html: str, *, trusted_attrs: bool = False) -> list[str]:
    """Everything in `html` that could run code or make htmx act."""
    found = []
    for tag, attrs in parse(html):
        if tag in FORBIDDEN_TAGS:
            found.append(f"<{tag}>")
        for name, value in attrs:
            lowered = (value or "").strip().lower()
            if name.startswith("on"):
                found.append(f"{tag}[{name}]")
            if name in URL_ATTRS and lowered.startswith(SCRIPT_SCHEMES):
                found.append(f"{tag}[{name}={value}]")
            htmx = name.startswith(("hx-", "data-hx-", "ws-")) and name != "hx-disable"
            if htmx and not trusted_attrs:
                found.append(f"{tag}[{name}]")
    return found


def shape(html: str) -> list[tuple[str, list[str]]]:
    """The markup's structure without text, attribute values or highlighting spans (their number
    depends on the tokens of the text)."""
    tags = [(tag, sorted(name for name, _ in attrs)) for tag, attrs in parse(html)]
    return [t for t in tags if t != ("span", ["class"])]


@pytest.fixture(scope="module")
def macros() -> dict[str, Any]:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(csrf_token="t", parse_diff=parse_unified_diff)
    return {
        "live": env.get_template("partials/live.html").module,
        "files": env.get_template("partials/files.html").module,
    }


def render_all(text: str, m: dict[str, Any]) -> dict[str, str]:
    """Every renderer of untrusted text, fed `text` where a model, a tool or a file could."""
    live, files = m["live"], m["files"]
    now = datetime.now(UTC)
    turn = TurnView("t1", dom_id("turn", "t1"), user_text=text)
    tool = ToolView(dom_id("tool", text), text, text, {"command": text, text: text}, started=now)
    tool.add_output(text)
    tool.result = text
    finished = ToolView(dom_id("tool", "c2"), "c2", "bash", {"command": text}, started=now)
    finished.add_output(text)
    approval = ApprovalView(dom_id("approval", text), text, "command", text, text, text, None)
    line = text.replace("\n", " ")  # a diff line cannot hold a newline
    diff = f"--- a/{line}\n+++ b/{line}\n@@ -1,2 +1,2 @@\n {line}\n-{line}\n+{line}\n"
    change = ChangeView(dom_id("change", text), text, text, [text], diff, comment=text)
    change.approval = approval
    streaming = MessageView(dom_id("msg", text), text_parts=[text], thinking_parts=[text])
    notice = NoticeView("n1", "error", text)
    entries = [TreeEntry(text, text, False), TreeEntry(text, text, True)]
    preview_lines = highlight_lines(line, lexer_for(filename=f"{line}.py"))
    return {
        "user message": str(live.user_message(turn)),
        "streaming message": str(live.message(streaming)),
        "tool card": str(live.tool(tool)),
        "tool output": str(live.tool(finished)),
        "approval": str(live.approval(approval, turn)),
        "diff": str(live.change(change, turn)),
        "notice": str(live.notice(notice)),
        "file name": str(files.tree_level(entries, False)),
        "file preview": str(files.preview(Preview(text, text, lines=preview_lines))),
    }  # fmt: skip


def test_there_are_at_least_fifty_payloads() -> None:
    assert len(PAYLOADS) >= 50


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_keeps_only_inert_allowlisted_markup(payload: str) -> None:
    html = str(render_markdown(payload))
    assert executable_constructs(html) == []
    assert {tag for tag, _ in parse(html)} <= ALLOWED_TAGS


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_final_message_puts_markdown_inside_an_htmx_disabled_region(
    payload: str, macros: dict[str, Any]
) -> None:
    msg = MessageView("msg-1", text_parts=[payload], streaming=False)
    html = str(macros["live"].message(msg))
    assert executable_constructs(html) == []
    assert '<div class="md" hx-disable>' in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_other_renderer_keeps_the_payload_as_text(
    payload: str, macros: dict[str, Any]
) -> None:
    harmless = render_all("harmless", macros)
    hostile = render_all(payload, macros)
    for place, html in hostile.items():
        assert executable_constructs(html, trusted_attrs=True) == [], place
        assert shape(html) == shape(harmless[place]), place


def test_ids_chosen_by_a_model_are_safe_in_selectors() -> None:
    for payload in PAYLOADS:
        assert dom_id("tool", payload).replace("-", "").replace("_", "").isalnum()


def share_fragments(text: str, env_macros: Any) -> dict[str, str]:
    """The owner's Shares panel fed `text` where a session, a guest or a secret could put it: the
    redaction preview (sampled from model and tool output), guest names in the presence list,
    and the guest's own name field."""
    from codesm.security.redact import Redactor
    from codesm.web.presence import Visitor
    from codesm.web.roles import Role
    from codesm.web.share_preview import PreviewItem, sample
    from codesm.web.sharing import ShareLink

    redactor = Redactor(["CANARYsecret01"])
    preview = [
        PreviewItem("Last assistant message", sample(f"{text} CANARYsecret01 {text}", redactor)),
        PreviewItem(f"Last tool output ({text})", sample(text, redactor, tail=True)),
    ]
    link = ShareLink("abc123", Role.VIEWER, "s1", 0.0, 3600.0, b"")
    guest = Visitor(1, "s1", Role.VIEWER, "abc123", "b", text, 0.0, label=text)
    owner = Visitor(2, "s1", Role.OWNER, None, "o", "127.0.0.1", 0.0, label="you (owner)")
    shares = env_macros
    return {
        "share preview": str(shares.panel("s1", [], [], None, 8000, None, preview=preview,
                                          first_share=True)),
        "presence list": str(shares.link_list([link], [guest, owner], 2, True)),
        "guest name field": str(shares.guest_name_form(text)),
    }  # fmt: skip


@pytest.mark.parametrize("payload", PAYLOADS)
def test_share_panel_fragments_keep_the_payload_as_text(payload: str) -> None:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(csrf_token="t")
    shares = env.get_template("partials/shares.html").module
    harmless = share_fragments("harmless", shares)
    hostile = share_fragments(payload, shares)
    for place, html in hostile.items():
        assert executable_constructs(html, trusted_attrs=True) == [], place
        assert shape(html) == shape(harmless[place]), place
