"""Shortening text for a one-line view without cutting a secret in two.

Redaction finds a secret by its whole value (or a key pattern of a minimum length); the first
half of one matches neither and would be shown. So text is cut only between words (a secret is
one word, or sits inside one such as `TOKEN=...`), or failing that after a path's `/`.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"
_WORD_GAP = re.compile(r"\s")


def clip_words(text: str, limit: int) -> str:
    """`text` when it fits in `limit` characters; else its longest run of whole words that does,
    plus an ellipsis (just the ellipsis when its first word alone is too long)."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]  # a gap right at the limit still ends a whole word
    gaps = [m.start() for m in _WORD_GAP.finditer(head)]
    cut = gaps[-1] if gaps else head.rfind("/", 0, limit) + 1
    return text[:cut].rstrip() + ELLIPSIS
