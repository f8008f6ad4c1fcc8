"""A tool card's streamed output: decoded from ANSI, held back for guests, pushed line by line.

The card's `<pre>` holds the finished lines (`#<card>-lines`, appended to) and the line still
being written (`#<card>-tail`): appended to while it only grows (a long line costs its length
once), replaced when a line ends or a `\\r` progress bar redraws it in place.
A guest's hold works on the decoded, visible text: a secret split by a colour sequence is still
one secret to the redactor, and is released (and redacted) only whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from codesm.web.render.ansi import AnsiDecoder, Run, TerminalLines, take_chars
from codesm.web.render.held import StreamHold
from codesm.web.render.oob import append_to

MAX_TOOL_OUTPUT_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class OutputUpdate:
    """What one delta changed on the page: lines finished, and the line being written (whole,
    or only what was added to it when `grown`)."""

    dom: str
    finished: Markup
    tail: Markup
    grown: bool = False

    @property
    def fragment(self) -> str:
        if self.grown:
            return append_to(f"{self.dom}-tail", self.tail)
        tail = f'<span id="{self.dom}-tail" hx-swap-oob="outerHTML">{self.tail}</span>'
        if not self.finished:
            return tail
        return append_to(f"{self.dom}-lines", self.finished) + tail


class ToolOutput:
    """One tool call's output as one page (owner or guest) shows it."""

    def __init__(self, dom: str, hold: StreamHold | None = None) -> None:
        self.dom = dom
        self.hold = hold
        self.lines = TerminalLines()
        self.raw_chars = 0
        self._decoder = AnsiDecoder()
        self._held: list[Run] = []

    def add(self, text: str) -> OutputUpdate | None:
        """Feed one delta (bounded in memory); returns the page update, if any."""
        kept = text[: max(0, MAX_TOOL_OUTPUT_CHARS - self.raw_chars)]
        self.raw_chars += len(kept)
        runs = self._decoder.feed(kept) if kept else []
        if self.hold is not None:
            self._held += runs
            released = len(self.hold.feed("".join(part for _, part in runs)))
            runs, self._held = take_chars(self._held, released)
        if not runs:
            return None
        lines = self.lines
        before, restarts, runs_before = len(lines.lines), lines.restarts, len(lines.current)
        lines.feed(runs)
        if lines.restarts == restarts:
            added = lines.tail_from(runs_before)
            return OutputUpdate(self.dom, Markup(""), added, grown=True) if added else None
        return OutputUpdate(self.dom, lines.finished_html(before), lines.tail)

    def release_all(self) -> None:
        """Show what a guest's hold still keeps (the call has finished: the card is rendered
        whole, and the page's redaction sees every secret entire)."""
        if self._held:
            self.lines.feed(self._held)
            self._held = []
        if self.hold is not None:
            self.hold.pending = ""
