from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from codesm.agent.tools import ToolRegistry
from codesm.agent.tools.webfetch import WebFetchTool
from codesm.agent.tools.websearch import (
    DdgsBackend,
    SearchHit,
    SearchUnavailable,
    WebSearchTool,
)
from tests.unit.tool_support import Workspace

ARTICLE = (
    "<html><head><title>Guide</title><script>var secret = 1;</script></head><body>"
    "<nav>Home | About</nav><article><h1>Installing widgets</h1>"
    + "<p>Widgets are installed with the <code>widget</code> command. " * 8
    + "</p><p>Run <a href='/docs'>the docs</a> for more.</p></article></body></html>"
)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        return None

    def send(self, status: int, body: bytes, ctype: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        if path == "/article":
            self.send(200, ARTICLE.encode(), "text/html; charset=utf-8")
        elif path == "/bare":
            self.send(200, b"<div><b>bold</b> words</div>", "text/html")
        elif path == "/latin1":
            self.send(200, "caf\u00e9".encode("latin-1"), "text/plain; charset=iso-8859-1")
        elif path == "/json":
            self.send(200, b'{"ok": true}', "application/json")
        elif path == "/png":
            self.send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")
        elif path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(7):
                self.wfile.write(b"x" * (1024 * 1024))
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            target = f"/hop/{left - 1}" if left > 0 else "/json"
            self.send(302, b"", "text/plain", Location=target)
        elif path == "/to-file":
            self.send(302, b"", "text/plain", Location="file:///etc/passwd")
        elif path == "/missing":
            self.send(404, b"no such page", "text/plain")
        elif path == "/slow":
            time.sleep(3)
            self.send(200, b"late", "text/plain")
        else:
            self.send(500, b"?", "text/plain")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return None  # a client that gave up (the timeout test) is expected


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def web(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    ws.registry = ToolRegistry([WebFetchTool()])
    return ws


async def test_html_becomes_markdown_of_the_main_content(web: Workspace, server: str) -> None:
    result = await web.call("webfetch", {"url": f"{server}/article"})
    assert not result.is_error, result.content
    assert "Installing widgets" in result.content
    assert "`widget`" in result.content or "widget" in result.content
    assert "<p>" not in result.content and "var secret" not in result.content
    assert result.content.startswith(f"URL: {server}/article\nContent-Type: text/html")


async def test_a_page_without_main_content_falls_back_to_markdownify(
    web: Workspace, server: str
) -> None:
    result = await web.call("webfetch", {"url": f"{server}/bare"})
    assert "**bold** words" in result.content


async def test_html_format_returns_the_page_as_is(web: Workspace, server: str) -> None:
    result = await web.call("webfetch", {"url": f"{server}/article", "format": "html"})
    assert "<article><h1>Installing widgets</h1>" in result.content


async def test_text_format_returns_plain_text(web: Workspace, server: str) -> None:
    result = await web.call("webfetch", {"url": f"{server}/article", "format": "text"})
    assert "Installing widgets" in result.content and "<" not in result.content.split("\n\n", 1)[1]


async def test_text_content_is_decoded_with_its_charset(web: Workspace, server: str) -> None:
    result = await web.call("webfetch", {"url": f"{server}/latin1"})
    assert result.content.endswith("caf\u00e9")


async def test_json_is_returned_unchanged(web: Workspace, server: str) -> None:
    result = await web.call("webfetch", {"url": f"{server}/json"})
    assert result.content.endswith('{"ok": true}')


async def test_binary_content_is_described_not_dumped(web: Workspace, server: str) -> None:
    result = await web.call("webfetch", {"url": f"{server}/png"})
    assert result.metadata["error"] == "UnsupportedContent" and "image/png" in result.content


async def test_a_download_is_cut_at_five_megabytes(web: Workspace, server: str) -> None:
    result = await web.call("webfetch", {"url": f"{server}/big"})
    assert result.metadata["bytes"] == 5 * 1024 * 1024 and result.metadata["cut"] is True
    assert "cut at 5,242,880 bytes" in result.content
    assert len(result.content.encode()) <= 52 * 1024


async def test_redirects_are_followed_up_to_five(web: Workspace, server: str) -> None:
    result = await web.call("webfetch", {"url": f"{server}/hop/4"})
    assert not result.is_error and result.metadata["url"] == f"{server}/json"


async def test_more_than_five_redirects_fail(web: Workspace, server: str) -> None:
    result = await web.call("webfetch", {"url": f"{server}/hop/5"})
    assert result.metadata["error"] == "FetchFailed" and "Too many redirects" in result.content


async def test_each_redirect_hop_is_validated(web: Workspace, server: str) -> None:
    result = await web.call("webfetch", {"url": f"{server}/to-file"})
    assert result.metadata["error"] == "BadUrl" and "file:" in result.content


async def test_an_error_status_is_a_typed_failure(web: Workspace, server: str) -> None:
    result = await web.call("webfetch", {"url": f"{server}/missing"})
    assert result.metadata["error"] == "FetchFailed" and "404" in result.content


async def test_a_slow_server_times_out(web: Workspace, server: str) -> None:
    result = await web.call("webfetch", {"url": f"{server}/slow", "timeout": 1})
    assert result.metadata["error"] == "FetchFailed" and "timed out" in result.content


async def test_a_refused_connection_is_a_typed_failure(web: Workspace) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await web.call("webfetch", {"url": f"http://127.0.0.1:{port}/"})
    assert result.metadata["error"] == "FetchFailed"


async def test_a_public_page_cannot_redirect_into_the_local_network(ws: Workspace) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest"})

    ws.registry = ToolRegistry([WebFetchTool(transport=httpx.MockTransport(handler))])
    result = await ws.call("webfetch", {"url": "https://example.com/"})
    assert result.metadata["error"] == "BadUrl" and "local address" in result.content


class FakeSearch:
    def __init__(self, hits: list[SearchHit]) -> None:
        self.hits = hits
        self.queries: list[tuple[str, int]] = []

    async def search(self, query: str, max_results: int) -> list[SearchHit]:
        self.queries.append((query, max_results))
        return self.hits


async def test_search_results_are_numbered_with_title_url_and_snippet(ws: Workspace) -> None:
    fake = FakeSearch(
        [SearchHit("Widgets", "https://w.example/", "How to widget."), SearchHit("", "https://x/")]
    )
    ws.registry = ToolRegistry([WebSearchTool(backend=fake)])
    result = await ws.call("websearch", {"query": " widgets ", "max_results": 2})
    assert fake.queries == [("widgets", 2)]
    assert result.content == (
        "Results for 'widgets':\n\n1. Widgets\n   https://w.example/\n   How to widget."
        "\n\n2. (untitled)\n   https://x/"
    )


async def test_no_results_says_so(ws: Workspace) -> None:
    ws.registry = ToolRegistry([WebSearchTool(backend=FakeSearch([]))])
    result = await ws.call("websearch", {"query": "zzz"})
    assert result.content == "No results for 'zzz'." and not result.is_error


async def test_an_unreachable_search_backend_is_a_clear_typed_error(ws: Workspace) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = DdgsBackend(timeout_s=3, proxy=f"http://127.0.0.1:{port}")
    with pytest.raises(SearchUnavailable, match="offline"):
        await backend.search("python", 3)
    ws.registry = ToolRegistry([WebSearchTool(backend=backend)])
    result = await ws.call("websearch", {"query": "python"})
    assert result.is_error and result.metadata["error"] == "SearchUnavailable"
