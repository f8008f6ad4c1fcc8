"""The first fold of a long session: only the turns the page shows, not the whole log.

A page shows the newest `MAX_TURNS_SHOWN` turns, yet folding a 100k-event log to get them takes
seconds (the first load after a restart, before `folded_sessions` holds the session). The turns'
starts are indexed (`events_by_type`), so this folds from the first shown turn's start and takes
what the page shows from older events by their own indexed reads instead: the newest mode,
permission mode, model, title and context report, the cost and context fill of every model
call, every change (the changes list and the file tree's marks) and the newest task lists.
The result renders the same page as a full fold; the older turns are only counted as hidden.
"""

from __future__ import annotations

import copy

from codesm.agent.context_usage import context_after
from codesm.agent.events import StoredEvent, TurnStarted, Usage, event_turn_id
from codesm.store import Store
from codesm.web.render.live import MAX_TURNS_SHOWN, SessionRenderer
from codesm.web.render.panels import TODO_TOOL, todo_items

NEWEST_ONLY = (
    "mode_changed", "permission_mode_changed", "model_changed", "title", "context_report",
)  # fmt: skip
"""Event kinds whose newest one before the tail is all a full fold would keep."""
CHANGE_KINDS = (
    "change_proposed", "change_applied", "change_rejected", "change_undone", "change_redone",
)  # fmt: skip
TODO_CALLS = 20
"""Newest `todo_write` calls read first; all of them only when none of these is a valid list."""
USAGE_PAGE = 50


async def fold_tail(
    store: Store, session_id: str, renderer: SessionRenderer, max_turns: int = MAX_TURNS_SHOWN
) -> None:
    """Fold into a fresh `renderer` what the page shows when the session has more than
    `max_turns` turns (else nothing: the caller folds the whole log as before). Afterwards
    `renderer.last_seq` is the last event folded; the caller folds the rest of the log."""
    starts = await store.events.turn_starts(session_id)
    first = len(starts) - max_turns
    if first <= 0:
        return
    tail: list[StoredEvent] = []
    while True:
        start = starts[first][0]
        tail = await store.events_after(session_id, start - 1)
        # A turn that began earlier but still logs among the shown ones (a slow tool, a late
        # approval) is folded whole too, as a full fold would show it.
        started = {s.event.turn_id for s in tail if isinstance(s.event, TurnStarted)}
        older = {event_turn_id(s.event) for s in tail} - started - {None}
        if not older:
            break
        positions = [i for i, (_, turn_id) in enumerate(starts) if turn_id in older]
        if len(positions) < len(older):  # a turn without a start: fold the whole log
            return
        first = min(positions)
        if first == 0:
            return
    await _fold_before(store, session_id, renderer, start)
    renderer.turns_before = first
    for stored in tail:
        renderer.apply(stored, live=False)


async def _fold_before(
    store: Store, session_id: str, renderer: SessionRenderer, start: int
) -> None:
    """What the page shows from the events before seq `start`, into `renderer`."""
    events = store.events
    prelude: list[StoredEvent] = []
    for kind in NEWEST_ONLY:
        prelude += await events.of_types_before(session_id, (kind,), start, newest=1)
    prelude += await events.of_types_before(session_id, CHANGE_KINDS, start)
    prelude += await _todo_calls(store, renderer, session_id, start)
    # A scratch renderer sharing the status folds them, so their turns stay out of the page.
    scratch = SessionRenderer(
        renderer.m, renderer.status, renderer.model_label,
        diff_layout=renderer.diff_layout, hold_for=renderer.hold_for,
    )  # fmt: skip
    for stored in sorted(prelude, key=lambda s: s.seq):
        scratch.apply(stored, live=False)
    renderer.changes = scratch.changes
    renderer.tools = scratch.tools
    renderer.context, renderer.context_asked = scratch.context, scratch.context_asked
    for cost in await events.usage_costs_before(session_id, start):
        renderer.status.cost_usd += cost  # in log order, as a full fold adds them
    filled = await _context_filled(store, session_id, start)
    if filled is not None:
        renderer.status.context_tokens = filled
    renderer.last_seq = start - 1


async def _todo_calls(
    store: Store, renderer: SessionRenderer, session_id: str, start: int
) -> list[StoredEvent]:
    """The `todo_write` calls before `start` that hold the newest valid task list: the newest
    few, or all when none of those is valid (the panel shows the newest valid one)."""
    calls = await store.events.calls_named_before(session_id, TODO_TOOL, start, TODO_CALLS)
    check = SessionRenderer(renderer.m, copy.copy(renderer.status), renderer.model_label)
    for stored in calls:
        check.apply(stored, live=False)
    if todo_items(check) is None and len(check.tools) >= TODO_CALLS:
        return await store.events.calls_named_before(session_id, TODO_TOOL, start, -1)
    return calls


async def _context_filled(store: Store, session_id: str, start: int) -> int | None:
    """How full the context was after the newest model call before `start` that says so."""
    before = start
    while True:
        page = await store.events.of_types_before(session_id, ("usage",), before, newest=USAGE_PAGE)
        for stored in reversed(page):
            if isinstance(stored.event, Usage):
                filled = context_after(stored.event)
                if filled is not None:
                    return filled
        if len(page) < USAGE_PAGE:
            return None
        before = page[0].seq
