"""The Share panel's preview reads the session's log backwards from its newest event, so the
owner's page does not read a long session's whole log; its samples are still the newest ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codesm.agent.events import (
    AssistantMessage,
    AssistantTextDelta,
    ToolCallFinished,
    ToolCallStarted,
)
from codesm.security.redact import Redactor
from codesm.store import Store
from codesm.web import share_preview as preview_module
from codesm.web.share_preview import share_preview


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "codesm.db") as opened:
        yield opened


def shown(items: list[preview_module.PreviewItem]) -> dict[str, str]:
    return {item.label: "".join(text for text, _ in item.pieces) for item in items}


async def test_the_newest_samples_are_found_across_pages_with_the_tool_named_from_its_start(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preview_module, "PAGE", 3)
    sid = (await store.sessions.create()).id
    await store.append_events(sid, [
        AssistantMessage(turn_id="t1", text="an old answer"),
        ToolCallStarted(turn_id="t1", call_id="c1", name="grep"),
        ToolCallFinished(turn_id="t1", call_id="c1", content="old output"),
        ToolCallStarted(turn_id="t2", call_id="c2", name="read"),
        *(AssistantTextDelta(turn_id="t2", text=f"filler {n}") for n in range(7)),
        ToolCallFinished(turn_id="t2", call_id="c2", content="newest output"),
        AssistantMessage(turn_id="t2", text="the newest answer"),
        AssistantTextDelta(turn_id="t3", text="streaming"),
    ])  # fmt: skip
    items = await share_preview(store, sid, Redactor([], patterns=False))
    assert shown(items) == {
        "Last assistant message": "the newest answer",
        "Last tool output (read)": "newest output",
    }


async def test_samples_older_than_the_scan_window_are_not_looked_for(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preview_module, "SCAN_EVENTS", 5)
    sid = (await store.sessions.create()).id
    await store.append_events(sid, [
        AssistantMessage(turn_id="t1", text="long ago"),
        *(AssistantTextDelta(turn_id="t2", text=f"words {n}") for n in range(5)),
    ])  # fmt: skip
    assert await share_preview(store, sid, Redactor([], patterns=False)) == []
