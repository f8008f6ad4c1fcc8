"""Sessions' folded renderers kept between page loads and socket connects.

Folding a session's whole event log costs O(events): seconds for a long session, on every page
load and every WebSocket connect. The log is append-only, so a renderer folded up to seq N plus
the events after N is the same renderer as one folded from scratch. This cache keeps the newest
few folded renderers (LRU) and hands out private copies, so a fresh client folds only what was
stored since the last one and renders at once.

A renderer also depends on what it started from (the session's mode, title and model label, the
runtime's models, the guest redactor): that is its `basis`, and a renderer whose basis changed is
folded again from scratch instead of reused.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from codesm.web.render.live import MAX_TURNS_SHOWN
from codesm.web.render.view import TurnView

if TYPE_CHECKING:
    from codesm.web.render.diff import DiffLayout
    from codesm.web.render.live import SessionRenderer

FOLDED_SESSIONS = 4
"""Folded renderers kept: a few open sessions (each for owner and guest views) at most, since
one of a 100k-event session holds tens of MB."""

Key = tuple[str, "DiffLayout", bool]


class FoldedSessions:
    """The newest `capacity` folded renderers, by (session, diff layout, guest view)."""

    def __init__(self, capacity: int = FOLDED_SESSIONS) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Key, tuple[Hashable, SessionRenderer]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key, basis: Hashable) -> SessionRenderer | None:
        """The kept renderer for `key` when it was folded from the same `basis` (else None and
        it is dropped). Fold the newer events into it, then hand out a `private_copy`."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] != basis:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def keep(self, key: Key, basis: Hashable, renderer: SessionRenderer) -> None:
        """Keep `renderer` (this cache owns it from now on: never apply live events to it)."""
        self._entries[key] = (basis, renderer)
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)


def private_copy(renderer: SessionRenderer) -> SessionRenderer:
    """A copy of `renderer` that can follow the hub on its own, in O(recent turns).

    The templates, the label function's runtime and the redactor are shared (they are not
    state). So are the views of finished turns older than the newest `MAX_TURNS_SHOWN`: no live
    event reaches a finished turn, and a follower never renders turns outside its window again,
    so copying them (seconds for a 10k-turn session) would buy nothing."""
    shared: list[object] = [renderer.m, renderer.hold_for]
    turns = [entry for entry in renderer.entries if isinstance(entry, TurnView)]
    shared += [turn for turn in turns[:-MAX_TURNS_SHOWN] if _finished(turn)]
    memo: dict[int, Any] = {id(obj): obj for obj in shared if obj is not None}
    return copy.deepcopy(renderer, memo)


def _finished(turn: TurnView) -> bool:
    return turn.status not in ("running", "paused") and turn.open_message is None
