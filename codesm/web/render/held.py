"""Holding back the end of a streamed text from guests until it cannot be part of a secret.

The guest redactor works on whole frames, but a stream sends a message or a tool's output a few
characters at a time: a key split over two deltas would reach a viewer in two harmless-looking
halves. A `StreamHold` releases only what `stream_cut` says is safe; the rest follows with the
next delta, or whole when the message or tool call is final and its element is rendered again.
"""

from __future__ import annotations

from codesm.security.redact import Redactor
from codesm.security.redact_split import stream_cut


class StreamHold:
    """The released part of one growing text, for one guest's view."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.pending = ""

    def feed(self, chunk: str) -> str:
        """Add `chunk`; returns what may be shown now (possibly nothing)."""
        self.pending += chunk
        cut = stream_cut(self.pending, self.redactor)
        released, self.pending = self.pending[:cut], self.pending[cut:]
        return released

    def shown(self, text: str) -> str:
        """`text` (everything fed so far) without the part still held back."""
        return text[: len(text) - len(self.pending)] if self.pending else text
