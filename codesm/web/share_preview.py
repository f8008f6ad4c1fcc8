"""What a viewer would see of a session, shown to the owner before the first share.

A short sample (the last assistant message and the last tool output) passed through the guest
redactor, so the owner sees which secrets and paths are hidden (`[REDACTED]`, `~`) before anyone
else sees anything. Redaction runs on the whole text before it is cut to length, so a cut can
never leave half a secret showing.
"""

from __future__ import annotations

from dataclasses import dataclass

from codesm.agent.events import AssistantMessage, ToolCallFinished, ToolCallStarted
from codesm.security.redact import MARKER, Redactor
from codesm.store import Store

SAMPLE_CHARS = 400
PAGE = 2000
SCAN_EVENTS = 2_000
"""How far back the preview looks for its samples."""


@dataclass(frozen=True, slots=True)
class PreviewItem:
    """One sample: what it is, and its redacted text as (text, is_redaction_marker) pieces."""

    label: str
    pieces: tuple[tuple[str, bool], ...]

    @property
    def redactions(self) -> int:
        return sum(1 for _, marker in self.pieces if marker)


def sample(text: str, redactor: Redactor, *, tail: bool = False) -> tuple[tuple[str, bool], ...]:
    """`text` redacted, then cut to `SAMPLE_CHARS` (its end if `tail`), split at the markers."""
    shown = redactor.redact(text.strip())
    if len(shown) > SAMPLE_CHARS:
        shown = "…" + shown[-SAMPLE_CHARS:] if tail else shown[:SAMPLE_CHARS] + "…"
    pieces: list[tuple[str, bool]] = []
    for index, part in enumerate(shown.split(MARKER)):
        if index:
            pieces.append((MARKER, True))
        if part:
            pieces.append((part, False))
    return tuple(pieces)


async def share_preview(store: Store, session_id: str, redactor: Redactor) -> list[PreviewItem]:
    """The last assistant message and the last tool output of the session, as a viewer sees them.

    The log is read backwards, a page at a time, and only its newest `SCAN_EVENTS` events: the
    owner's page shows this preview on every load, and reading a long session's whole log
    took seconds."""
    said: str | None = None
    output: tuple[str, str] | None = None  # (call_id, content)
    name: str | None = None
    high = await store.events.last_seq(session_id)
    floor = max(0, high - SCAN_EVENTS)
    while high > floor and (said is None or output is None or name is None):
        low = max(floor, high - PAGE)
        page = await store.events_after(session_id, low, high - low)
        for stored in reversed(page):
            event = stored.event
            if isinstance(event, AssistantMessage) and said is None and event.text.strip():
                said = event.text
            elif isinstance(event, ToolCallFinished) and output is None and event.content.strip():
                output = (event.call_id, event.content)
            elif (
                isinstance(event, ToolCallStarted)
                and output is not None
                and name is None
                and event.call_id == output[0]
            ):
                name = event.name
        high = low
    items = []
    if said is not None:
        items.append(PreviewItem("Last assistant message", sample(said, redactor, tail=True)))
    if output is not None:
        label = f"Last tool output ({name or 'tool'})"
        items.append(PreviewItem(label, sample(output[1], redactor)))
    return items
