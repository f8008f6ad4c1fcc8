"""Mermaid diagrams under the strict CSP: the sandboxed frame document's own headers, the page's
CSP left as strict as before (plus `frame-src 'self'`), and ```mermaid blocks kept as escaped
source for the page script to hand to the frame."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from codesm.web.app import STATIC_DIR
from codesm.web.render.markdown import render_markdown
from codesm.web.routes.mermaid import FRAME_PATH, FRAME_SCRIPTS, MERMAID_SCRIPT
from codesm.web.security import CONTENT_SECURITY_POLICY, HARDENING_HEADERS, SandboxedFrames
from tests.unit.web_support import WebApp, make_web_app

PAGE_POLICY_BEFORE_MERMAID = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
}


@pytest.fixture
def web(tmp_path: Path) -> WebApp:
    return make_web_app(tmp_path, tmp_path / "codesm.db")


def directives(policy: str) -> dict[str, str]:
    parts = (d.strip().split(None, 1) for d in policy.split(";") if d.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


class ScriptTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


def script_tags(html: str) -> list[dict[str, str | None]]:
    parser = ScriptTags()
    parser.feed(html)
    return parser.scripts


def test_the_frame_is_sandboxed_by_its_own_csp_and_loads_only_its_two_nonced_scripts(
    client: TestClient, web: WebApp
) -> None:
    response = client.get(FRAME_PATH, headers=web.cookie)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers.get_list("content-security-policy") == [
        response.headers["content-security-policy"]
    ]
    policy = directives(response.headers["content-security-policy"])
    assert policy["sandbox"] == "allow-scripts"
    assert policy["default-src"] == "'none'"
    assert policy["style-src"] == "'unsafe-inline'"
    assert policy["frame-ancestors"] == "'self'"
    nonce = re.fullmatch(r"'nonce-([0-9a-f]{32})'", policy["script-src"])
    assert nonce is not None, policy["script-src"]
    tags = script_tags(response.text)
    assert [t["src"] for t in tags] == [MERMAID_SCRIPT, "/static/js/mermaid-frame.js"]
    assert {t["nonce"] for t in tags} == {nonce.group(1)}
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_every_frame_gets_a_fresh_nonce(client: TestClient, web: WebApp) -> None:
    policies = {client.get(FRAME_PATH, headers=web.cookie).headers["content-security-policy"]}
    policies.add(client.get(FRAME_PATH, headers=web.cookie).headers["content-security-policy"])
    assert len(policies) == 2


def test_the_frame_needs_a_signed_in_browser(client: TestClient) -> None:
    assert client.get(FRAME_PATH).status_code == 401


def test_the_page_csp_only_gains_frame_src_self(client: TestClient, web: WebApp) -> None:
    response = client.get("/", headers=web.cookie, follow_redirects=True)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    added = {d.strip() for d in CONTENT_SECURITY_POLICY.split(";")} - PAGE_POLICY_BEFORE_MERMAID
    removed = PAGE_POLICY_BEFORE_MERMAID - {d.strip() for d in CONTENT_SECURITY_POLICY.split(";")}
    assert (added, removed) == ({"frame-src 'self'"}, set())
    assert response.headers["x-frame-options"] == "DENY"
    assert '<script src="/static/js/mermaid.js" defer></script>' in response.text


def test_only_the_frame_scripts_may_load_into_the_opaque_origin_frame(
    client: TestClient,
) -> None:
    notes = (STATIC_DIR / "vendor" / "VENDORED.md").read_text()
    for path in sorted(FRAME_SCRIPTS):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    mermaid = client.get(MERMAID_SCRIPT)
    assert hashlib.sha256(mermaid.content).hexdigest() in notes
    assert "11.17.2" in notes
    for other in ("/static/js/app.js", "/static/vendor/htmx.min.js"):
        assert client.get(other).headers["cross-origin-resource-policy"] == "same-origin"


@pytest.mark.parametrize(
    "handler_csp",
    [
        None,
        b"default-src *",
        b"sandbox allow-scripts allow-same-origin; default-src 'none'",
        b"default-src 'none'; script-src 'unsafe-inline'",
    ],
)
def test_a_frame_policy_that_does_not_sandbox_is_replaced_by_the_page_policy(
    handler_csp: bytes | None,
) -> None:
    frames = SandboxedFrames(documents=frozenset({"/frame"}))
    headers = dict(frames.hardening("/frame", [handler_csp] if handler_csp else []))
    assert headers == dict(HARDENING_HEADERS)
    assert headers[b"x-frame-options"] == b"DENY"


def test_a_sandboxing_policy_is_kept_only_on_a_frame_path() -> None:
    frames = SandboxedFrames(documents=frozenset({"/frame"}))
    policy = b"sandbox allow-scripts; default-src 'none'"
    assert dict(frames.hardening("/frame", [policy]))[b"content-security-policy"] == policy
    elsewhere = dict(frames.hardening("/other", [policy]))
    assert elsewhere[b"content-security-policy"] == CONTENT_SECURITY_POLICY.encode()


def test_a_mermaid_block_stays_escaped_source_for_the_frame() -> None:
    source = 'flowchart TD\n  A["<img src=x onerror=alert(1)>"] --> B & C\n  click A call alert(1)'
    html = str(render_markdown(f"Look:\n\n```mermaid\n{source}\n```\n"))
    assert '<pre class="code-block mermaid-source"><code>' in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    code = re.search(r'class="code-block mermaid-source"><code>(.*?)</code>', html, re.S)
    assert code is not None
    unescaped = code.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    assert unescaped.replace("&amp;", "&") == source


def test_other_code_blocks_are_still_highlighted() -> None:
    html = str(render_markdown("```python\ndef f():\n    pass\n```"))
    assert 'class="hl code-block"' in html and "mermaid-source" not in html
