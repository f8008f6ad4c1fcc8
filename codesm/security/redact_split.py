"""Secrets that markup or streaming cut into pieces.

`Redactor.redact` finds a secret only where its characters are contiguous. A reader does not
need them to be: `sk-ant-**api03…**` renders as one key, pygments wraps the parts of a shell
word in separate `<span>`s, and a stream delivers a key over several deltas. So:

- `redact_html` also runs the redactor over the *visible* text of a fragment (text nodes joined
  across inline tags, a space for block tags, markdown markers left out since a streaming
  message shows its markdown raw) and blanks what matched there, keeping every tag.
- `redact_markdown` does the same over markdown with its emphasis and code markers taken out.
- `stream_cut` says how much of a growing text is safe to show now: everything up to a point
  that no secret, finished or still growing, can span.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from codesm.security.redact import MARKER, Redactor

# Tags, and the markdown markers a streamed (not yet rendered) message still shows as text.
_HTML_HIDDEN = re.compile(r"<[^>]*>|[*_`~]+")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")
INLINE_TAGS = frozenset(
    {"a", "abbr", "b", "code", "del", "em", "i", "kbd", "mark", "s", "small", "span", "strong",
     "sub", "sup", "u"}
)  # fmt: skip
_MARKDOWN_MARKS = re.compile(r"[*_`~]+")


class _Projection:
    """`text` with its hidden parts removed; maps positions back to `text`."""

    def __init__(self, text: str, hidden: re.Pattern[str], separates: Callable[[str], bool]):
        parts: list[str] = []
        self._starts: list[int] = []  # projected start of each visible run
        self._origins: list[int] = []  # where that run starts in `text` (-1: a separator)
        size = pos = 0
        for match in hidden.finditer(text):
            size = self._add(parts, text[pos : match.start()], pos, size)
            if separates(match.group()):
                size = self._add(parts, " ", -1, size)
            pos = match.end()
        self._add(parts, text[pos:], pos, size)
        self.text = "".join(parts)

    def _add(self, parts: list[str], run: str, origin: int, size: int) -> int:
        if run:
            parts.append(run)
            self._starts.append(size)
            self._origins.append(origin)
        return size + len(run)

    def original_ranges(self, start: int, end: int) -> list[tuple[int, int]]:
        """The stretches of the original text that projected `[start, end)` came from."""
        ranges = []
        index = max(0, bisect.bisect_right(self._starts, start) - 1)
        while index < len(self._starts) and self._starts[index] < end:
            run_start = self._starts[index]
            run_end = self._starts[index + 1] if index + 1 < len(self._starts) else len(self.text)
            lo, hi = max(start, run_start), min(end, run_end)
            origin = self._origins[index]
            if lo < hi and origin >= 0:
                ranges.append((origin + lo - run_start, origin + hi - run_start))
            index += 1
        return ranges


def _split_ranges(
    text: str, redactor: Redactor, hidden: re.Pattern[str], separates: Callable[[str], bool]
) -> list[list[tuple[int, int]]]:
    """For each secret visible only once `hidden` is taken out: the original stretches it
    occupies. Secrets that are contiguous in `text` are not listed (plain redaction finds them)."""
    if hidden.search(text) is None:
        return []
    projection = _Projection(text, hidden, separates)
    found = []
    for start, end in redactor.spans(projection.text):
        ranges = projection.original_ranges(start, end)
        if len(ranges) > 1:
            found.append(ranges)
    return found


def _blank(text: str, secrets: list[list[tuple[int, int]]]) -> str:
    """Each secret's first stretch becomes the marker, its other stretches vanish."""
    edits = [
        (lo, hi, MARKER if i == 0 else "")
        for ranges in secrets
        for i, (lo, hi) in enumerate(ranges)
    ]
    for lo, hi, replacement in sorted(edits, reverse=True):
        text = text[:lo] + replacement + text[hi:]
    return text


def _separates(hidden: str) -> bool:
    if not hidden.startswith("<"):
        return False  # a markdown marker
    name = _TAG_NAME.match(hidden)
    return name is None or name.group(1).lower() not in INLINE_TAGS


def redact_html(html: str, redactor: Redactor) -> str:
    """`html` redacted, including secrets split by inline tags or markdown markers; every tag is
    kept."""
    html = redactor.redact(html)
    return _blank(html, _split_ranges(html, redactor, _HTML_HIDDEN, _separates))


def redact_markdown(text: str, redactor: Redactor) -> str:
    """Markdown source redacted, including secrets split by emphasis or code markers."""
    text = redactor.redact(text)
    return _blank(text, _split_ranges(text, redactor, _MARKDOWN_MARKS, lambda _: False))


def stream_cut(text: str, redactor: Redactor) -> int:
    """How many leading characters of a still-growing `text` may be shown now.

    Holds back the last `redactor.hold_chars` characters (a secret may be arriving there) and
    never cuts inside a secret, whether plain or split by markdown: a secret that reaches the end
    of the text may still be growing, so everything from its start waits.
    """
    cut = len(text) - redactor.hold_chars
    if cut <= 0:
        return 0
    spans = redactor.spans(text)
    for ranges in _split_ranges(text, redactor, _MARKDOWN_MARKS, lambda _: False):
        spans.append((ranges[0][0], ranges[-1][1]))
    moved = True
    while moved:
        moved = False
        for start, end in spans:
            if start < cut < end:
                cut, moved = start, True
    return cut
