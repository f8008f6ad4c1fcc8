"""`webfetch`: fetch one http(s) URL and return it as markdown, text or HTML.

Only `http` and `https` URLs without credentials are fetched; redirects are followed by hand (at
most 5) and every hop is validated again. The body is streamed and cut at 5 MB. HTML becomes
markdown through trafilatura (main-content extraction), with markdownify as the fallback.

Loopback and private addresses are allowed, because a coding agent legitimately fetches the dev
server it just started; the permission engine's network rules (per domain) are the control, and
the call itself is approved like any network call. One exception guards against a public page
bouncing the agent into the local network: a redirect from a public host to a loopback, private
or link-local address (literal IP or `localhost`) is refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Literal
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import Field

from codesm.agent.tools.base import Params, Tool, ToolContext, ToolResult
from codesm.errors import ToolFailure

MAX_DOWNLOAD_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "Mozilla/5.0 (compatible; codesm webfetch)"
_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-javascript",
    "application/ld+json",
    "application/x-yaml",
    "application/yaml",
    "application/toml",
    "application/x-sh",
)
_ACCEPT = {
    "markdown": "text/markdown;q=1.0, text/html;q=0.9, text/plain;q=0.8, */*;q=0.1",
    "text": "text/plain;q=1.0, text/html;q=0.9, */*;q=0.1",
    "html": "text/html;q=1.0, application/xhtml+xml;q=0.9, */*;q=0.1",
}


class BadUrl(ToolFailure):
    """Not an http(s) URL, credentials in it, or a refused redirect."""


class FetchFailed(ToolFailure):
    """The server could not be reached, timed out, or answered with an error status."""


class UnsupportedContent(ToolFailure):
    """Binary content (images, PDFs, archives) that cannot be shown as text."""


class WebFetchParams(Params):
    url: str = Field(max_length=4096, description="The http:// or https:// URL to fetch.")
    format: Literal["markdown", "text", "html"] = Field(
        default="markdown", description="How to return HTML pages (default markdown)."
    )
    timeout: int = Field(
        default=30, ge=1, le=120, description="Seconds to wait for the whole fetch (max 120)."
    )


def _is_local_host(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified


def validate_url(url: str) -> str:
    """The URL if it may be fetched; raises `BadUrl` saying why not."""
    if any(c in url for c in "\r\n\t\0") or url != url.strip():
        raise BadUrl("The URL contains whitespace or control characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise BadUrl(f"The URL does not parse: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"{scheme}:" if scheme else "a URL without a scheme"
        raise BadUrl(f"Only http:// and https:// URLs can be fetched, not {shown}.")
    if parts.username is not None or parts.password is not None:
        raise BadUrl("URLs with credentials (user:password@host) are refused.")
    if not parts.hostname:
        raise BadUrl("The URL has no host.")
    return url


def _content_type(response: httpx.Response) -> tuple[str, str | None]:
    header = response.headers.get("content-type", "")
    mime = header.split(";", 1)[0].strip().lower()
    return mime, response.charset_encoding


def _is_text(mime: str) -> bool:
    return (
        not mime
        or mime.startswith("text/")
        or mime in _TEXT_TYPES
        or mime.endswith(("+json", "+xml"))
    )


def html_to_markdown(html: str, url: str) -> str:
    """Main content as markdown (trafilatura), or the whole page (markdownify) when extraction
    finds nothing."""
    # trafilatura and markdownify (with bs4) take ~0.6 s to import: loaded at the first fetch
    # of a page, not when codesm starts.
    import markdownify
    import trafilatura

    try:
        extracted = trafilatura.extract(
            html, url=url, output_format="markdown", include_links=True, include_tables=True
        )
    except Exception:
        extracted = None
    if extracted and extracted.strip():
        return extracted
    return markdownify.markdownify(html, heading_style="ATX", strip=["script", "style"]).strip()


def html_to_text(html: str, url: str) -> str:
    import markdownify
    import trafilatura

    try:
        extracted = trafilatura.extract(html, url=url, output_format="txt", include_tables=True)
    except Exception:
        extracted = None
    if extracted and extracted.strip():
        return extracted
    text = markdownify.markdownify(html, strip=["script", "style", "a", "img"])
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


class WebFetchTool(Tool[WebFetchParams]):
    """Fetches with httpx; `transport` replaces the network in narrow tests."""

    name = "webfetch"
    params = WebFetchParams
    read_only = False

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        self._transport = transport
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects

    async def run(self, params: WebFetchParams, ctx: ToolContext) -> ToolResult:
        url = validate_url(params.url)
        timeout = httpx.Timeout(params.timeout)
        async with httpx.AsyncClient(
            transport=self._transport, follow_redirects=False, timeout=timeout
        ) as client:
            try:
                async with asyncio.timeout(params.timeout):
                    body, response, final_url, cut = await self._fetch(client, url, params.format)
            except (httpx.TimeoutException, TimeoutError) as exc:
                raise FetchFailed(f"Fetching {url} timed out after {params.timeout} s.") from exc
            except httpx.HTTPError as exc:
                raise FetchFailed(
                    f"Could not fetch {url}: {type(exc).__name__}: {exc or 'connection failed'} "
                    "(is the network reachable?)"
                ) from exc
        mime, charset = _content_type(response)
        if not _is_text(mime) and mime not in ("text/html", "application/xhtml+xml"):
            raise UnsupportedContent(
                f"{final_url} is {mime} ({len(body):,} bytes{'+' if cut else ''}): binary content "
                "cannot be shown. Fetch an HTML or text page instead."
            )
        text = body.decode(charset or "utf-8", errors="replace")
        is_html = mime in ("text/html", "application/xhtml+xml") or (
            not mime and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))
        )
        if is_html and params.format == "markdown":
            text = html_to_markdown(text, final_url)
        elif is_html and params.format == "text":
            text = html_to_text(text, final_url)
        head = f"URL: {final_url}\nContent-Type: {mime or 'unknown'}\n"
        if cut:
            head += f"(The response was cut at {self._max_bytes:,} bytes.)\n"
        meta: dict[str, object] = {
            "url": final_url,
            "status": response.status_code,
            "content_type": mime,
            "bytes": len(body),
            "cut": cut,
        }
        return ToolResult(f"{head}\n{text}", metadata=meta)

    async def _fetch(
        self, client: httpx.AsyncClient, url: str, fmt: str
    ) -> tuple[bytes, httpx.Response, str, bool]:
        origin_local = _is_local_host(urlsplit(url).hostname or "")
        headers = {"User-Agent": USER_AGENT, "Accept": _ACCEPT[fmt]}
        for _ in range(self._max_redirects + 1):
            async with client.stream("GET", url, headers=headers) as response:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    if not location:
                        raise FetchFailed(f"{url} redirected without a Location header.")
                    url = validate_url(urljoin(url, location))
                    if not origin_local and _is_local_host(urlsplit(url).hostname or ""):
                        raise BadUrl(
                            f"Refused a redirect from a public host to a local address ({url})."
                        )
                    continue
                if response.status_code >= 400:
                    snippet = (await self._read(response))[0][:300]
                    raise FetchFailed(
                        f"{url} answered HTTP {response.status_code} {response.reason_phrase}. "
                        f"{snippet.decode('utf-8', errors='replace').strip()}"
                    )
                body, cut = await self._read(response)
                return body, response, url, cut
        raise FetchFailed(f"Too many redirects (more than {self._max_redirects}) from {url}.")

    async def _read(self, response: httpx.Response) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            room = self._max_bytes - size
            if len(chunk) >= room and size + len(chunk) > self._max_bytes:
                chunks.append(chunk[:room])
                return b"".join(chunks), True
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks), False
