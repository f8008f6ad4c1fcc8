"""`websearch`: search the web through a `SearchBackend` (DuckDuckGo's via the `ddgs` package)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import Field

from codesm.agent.tools.base import Params, Tool, ToolContext, ToolResult
from codesm.errors import ToolFailure

__all__ = ["DdgsBackend", "SearchBackend", "SearchHit", "SearchUnavailable", "WebSearchTool"]


class SearchUnavailable(ToolFailure):
    """The search backend could not be reached (offline, rate-limited, timed out)."""


@dataclass(frozen=True)
class SearchHit:
    title: str
    url: str
    snippet: str = ""


class SearchBackend(Protocol):
    """Where `websearch` gets its results; raises `SearchUnavailable` when it cannot answer."""

    async def search(self, query: str, max_results: int) -> list[SearchHit]: ...


class DdgsBackend:
    """DuckDuckGo and friends through `ddgs` (`DDGS().text`), run in a worker thread."""

    def __init__(self, *, timeout_s: float = 10, proxy: str | None = None) -> None:
        self._timeout_s = timeout_s
        self._proxy = proxy

    def _search_sync(self, query: str, max_results: int) -> list[dict[str, Any]]:
        from ddgs import DDGS

        client = DDGS(proxy=self._proxy, timeout=int(max(1, self._timeout_s)))
        return client.text(query, max_results=max_results)

    async def search(self, query: str, max_results: int) -> list[SearchHit]:
        try:
            rows = await asyncio.wait_for(
                asyncio.to_thread(self._search_sync, query, max_results), self._timeout_s + 5
            )
        except TimeoutError as exc:
            raise SearchUnavailable(
                f"Web search timed out after {self._timeout_s:g} s (is the network reachable?)."
            ) from exc
        except Exception as exc:
            if "No results found" in str(exc):
                return []
            raise SearchUnavailable(
                f"Web search is unavailable: {type(exc).__name__}: {exc}. The machine may be "
                "offline; continue without searching, or ask the user."
            ) from exc
        return [
            SearchHit(
                title=str(row.get("title", "")).strip(),
                url=str(row.get("href", row.get("url", ""))).strip(),
                snippet=str(row.get("body", "")).strip(),
            )
            for row in rows
        ]


class WebSearchParams(Params):
    query: str = Field(min_length=1, max_length=500, description="What to search for.")
    max_results: int = Field(default=5, ge=1, le=20, description="How many results (1-20).")


def format_hits(query: str, hits: list[SearchHit]) -> str:
    if not hits:
        return f"No results for {query!r}."
    blocks = [f"Results for {query!r}:"]
    for number, hit in enumerate(hits, start=1):
        block = f"{number}. {hit.title or '(untitled)'}\n   {hit.url}"
        if hit.snippet:
            block += f"\n   {hit.snippet[:500]}"
        blocks.append(block)
    return "\n\n".join(blocks)


class WebSearchTool(Tool[WebSearchParams]):
    name = "websearch"
    params = WebSearchParams
    read_only = False

    def __init__(self, *, backend: SearchBackend | None = None) -> None:
        self._backend: SearchBackend = backend if backend is not None else DdgsBackend()

    async def run(self, params: WebSearchParams, ctx: ToolContext) -> ToolResult:
        if not params.query.strip():
            raise ToolFailure("The query is empty.")
        hits = await self._backend.search(params.query.strip(), params.max_results)
        hits = hits[: params.max_results]
        return ToolResult(
            format_hits(params.query.strip(), hits),
            metadata={"results": [hit.url for hit in hits]},
        )
