"""A tool card's subagent rows as the renderer folds them: the start time the page ticks from,
and the exact numbers of a finished row."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from codesm.agent.events import (
    Event,
    StoredEvent,
    SubagentFinished,
    SubagentProgress,
    SubagentStarted,
    ToolCallStarted,
    TurnStarted,
)
from codesm.web.app import TEMPLATES_DIR
from codesm.web.render.diff import parse_unified_diff
from codesm.web.render.live import SessionRenderer
from codesm.web.render.view import StatusView

STARTED = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
CHILD, GRANDCHILD = "c0ffee01", "c0ffee02"


@pytest.fixture(scope="module")
def macros() -> Any:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(csrf_token="t", parse_diff=parse_unified_diff)
    return env.get_template("partials/live.html").module


def fold(macros: Any, timed: list[tuple[float, Event]]) -> tuple[SessionRenderer, str]:
    """Every event committed `seconds` after `STARTED`; the fragments pushed, joined."""
    view = SessionRenderer(macros, StatusView("smart", "review", "model-x", 200_000), str)
    frames: list[str] = []
    for seq, (seconds, event) in enumerate(timed, 1):
        at = STARTED + timedelta(seconds=seconds)
        frames += view.apply(StoredEvent(session_id="s", seq=seq, ts=at, event=event))
    return view, "".join(frames)


def opening() -> list[tuple[float, Event]]:
    return [
        (0, TurnStarted(turn_id="t")),
        (0, ToolCallStarted(turn_id="t", call_id="k", name="task", arguments={})),
        (0, SubagentStarted(turn_id="t", call_id="k", child_session_id=CHILD,
                            subagent_type="coder", model="m", description="delegate")),
    ]  # fmt: skip


def progress(child: str, **fields: Any) -> SubagentProgress:
    under = CHILD if child == GRANDCHILD else None
    return SubagentProgress(turn_id="t", call_id="k", child_session_id=child,
                            parent_child_session_id=under, subagent_type="researcher",
                            **fields)  # fmt: skip


def test_a_running_row_carries_its_start_so_the_page_can_tick_its_elapsed_time(
    macros: Any,
) -> None:
    _, frames = fold(macros, [
        *opening(),
        (4.5, progress(CHILD, step=2, activity="thinking", elapsed_s=4.5)),
        (9, progress(GRANDCHILD, step=1, activity="starting", elapsed_s=2.0)),
    ])  # fmt: skip
    ticking = dict(re.findall(r'id="sub-(\w+)-state">.*?data-started="(\d+)"', frames, re.S))
    assert ticking[CHILD] == str(int(STARTED.timestamp() * 1000))
    assert ticking[GRANDCHILD] == str(int(STARTED.timestamp() * 1000) + 7000)
    assert 'data-started="' + ticking[CHILD] + '">4 s<' in frames


def test_a_finished_row_stops_ticking_and_shows_its_final_tokens(macros: Any) -> None:
    view, frames = fold(macros, [
        *opening(),
        (3, progress(CHILD, step=1, activity="thinking", elapsed_s=3, input_tokens=100,
                     output_tokens=10)),
        (9, SubagentFinished(turn_id="t", call_id="k", child_session_id=CHILD,
                             subagent_type="coder", model="m", status="completed",
                             duration_s=8.75, steps=2, input_tokens=3100, output_tokens=410)),
    ])  # fmt: skip
    finished = frames.rsplit(f'id="sub-{CHILD}-state"', 1)[1]
    assert "data-started" not in finished
    assert "8.8 s · 3.1k in / 410 out tokens" in finished
    assert "data-started" not in view.transcript()


def numbers(html: str) -> dict[str, str]:
    """Each row's shown number, by session id (the last state line pushed wins)."""
    found = re.findall(r'id="sub-(\w+)-state">\s*<span class="subagent-ref"[^>]*>([\d.]+)<', html)
    return dict(found)


def test_rows_show_the_tui_numbers_nested_and_the_same_after_updates_and_a_reload(
    macros: Any,
) -> None:
    second, third = "c0ffee03", "c0ffee04"
    timed = [
        *opening(),
        (1, SubagentStarted(turn_id="t", call_id="k", child_session_id=second, index=1,
                            subagent_type="finder", model="m", description="look")),
        (2, progress(GRANDCHILD, step=1, activity="starting", elapsed_s=0.5)),
        (3, SubagentProgress(turn_id="t", call_id="k", child_session_id=third,
                             parent_child_session_id=CHILD, subagent_type="finder", depth=2)),
    ]  # fmt: skip
    view, frames = fold(macros, timed)
    expected = {CHILD: "1", second: "2", GRANDCHILD: "1.1", third: "1.2"}
    assert numbers(frames) == expected

    later: list[tuple[float, Event]] = [
        (4, progress(GRANDCHILD, step=2, activity="thinking", elapsed_s=2.0)),
        (5, SubagentFinished(turn_id="t", call_id="k", child_session_id=second, index=1,
                             subagent_type="finder", model="m", status="completed")),
    ]  # fmt: skip
    updates: list[str] = []
    for seq, (seconds, event) in enumerate(later, len(timed) + 1):
        at = STARTED + timedelta(seconds=seconds)
        updates += view.apply(StoredEvent(session_id="s", seq=seq, ts=at, event=event))
    assert numbers("".join(updates)) == {GRANDCHILD: "1.1", second: "2"}

    reloaded, _ = fold(macros, [*timed, *later])
    assert numbers(reloaded.transcript()) == expected == numbers(view.transcript())
    assert "/steer 1.2" in reloaded.transcript()
