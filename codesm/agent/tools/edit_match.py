"""Find `old_string` in a file and replace it, forgiving the drift models produce.

`apply_edit` is a pure function over text. It tries the exact text first, then a cascade of
careful fallbacks, each with a name recorded on the change:

- `line_endings`: the model wrote LF where the file has CRLF (or the reverse); the result keeps
  the file's style.
- `trailing_whitespace`: lines equal once trailing blanks are ignored.
- `indentation`: the whole block is shifted by the same indent; `new_string` is shifted alike.
- `tabs_spaces`: indents equal in width once tabs are expanded; `new_string` is re-indented in
  the file's style.
- `line_numbers` / `escapes`: `old_string` (and `new_string`) carry the `     12\\t` prefixes of
  `read` output, or literal `\\n` / `\\t` / `\\"` escapes; these are removed and the cascade runs
  again (recorded as e.g. `line_numbers+indentation`).

A match must be unique unless `replace_all`. On failure the error names the closest lines of the
file so the model can retry in one step; that search is bounded on big files.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from codesm.errors import ToolFailure

__all__ = [
    "EditAmbiguous",
    "EditApplied",
    "EditInvalid",
    "EditNoChange",
    "EditNotFound",
    "apply_edit",
    "closest_lines",
]


class EditInvalid(ToolFailure):
    """The edit itself is unusable (empty `old_string`, `old_string == new_string`)."""


class EditNotFound(ToolFailure):
    """`old_string` matches nowhere, not even with the fallbacks."""


class EditAmbiguous(ToolFailure):
    """`old_string` matches more than once and `replace_all` is false."""

    def __init__(self, message: str, *, count: int, lines: tuple[int, ...]) -> None:
        super().__init__(message)
        self.count = count
        self.lines = lines


class EditNoChange(ToolFailure):
    """The matched text already equals the replacement: the edit would change nothing."""


@dataclass(frozen=True)
class EditApplied:
    content: str
    matcher: str
    count: int
    lines: tuple[int, ...]
    """1-based line number where each replacement starts (in the old text)."""


@dataclass(frozen=True)
class _Replacement:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Lines:
    texts: list[str]
    starts: list[int]
    ends: list[int]
    """Offset just past each line's text, before its terminator."""
    term_ends: list[int]
    """Offset just past each line's terminator."""
    eol: str

    @classmethod
    def of(cls, content: str) -> _Lines:
        texts: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        term_ends: list[int] = []
        pos = 0
        for raw in content.split("\n"):
            body = raw[:-1] if raw.endswith("\r") else raw
            starts.append(pos)
            texts.append(body)
            ends.append(pos + len(body))
            pos += len(raw) + 1
            term_ends.append(min(pos, len(content)))
        crlf = content.count("\r\n")
        eol = "\r\n" if crlf and crlf >= content.count("\n") - crlf else "\n"
        return cls(texts, starts, ends, term_ends, eol)

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


_Matcher = Callable[[str, _Lines, str, str], list[_Replacement]]


def _find_all(content: str, old: str, new: str) -> list[_Replacement]:
    found: list[_Replacement] = []
    pos = content.find(old)
    while pos != -1:
        found.append(_Replacement(pos, pos + len(old), new))
        pos = content.find(old, pos + len(old))
    return found


def _exact(content: str, _lines: _Lines, old: str, new: str) -> list[_Replacement]:
    return _find_all(content, old, new)


def _line_endings(content: str, _lines: _Lines, old: str, new: str) -> list[_Replacement]:
    if "\n" not in old:
        return []
    lf_old, lf_new = old.replace("\r\n", "\n"), new.replace("\r\n", "\n")
    variants: list[tuple[str, str]] = []
    if "\r\n" in content:
        variants.append((lf_old.replace("\n", "\r\n"), lf_new.replace("\n", "\r\n")))
    if "\r\n" in old:
        variants.append((lf_old, lf_new))
    for o, n in variants:
        if o != old and (found := _find_all(content, o, n)):
            return found
    return []


def _split_block(text: str) -> tuple[list[str], bool]:
    """Lines of a model-written block (any line endings) and whether it ended with a newline."""
    lines = text.replace("\r\n", "\n").split("\n")
    if len(lines) > 1 and lines[-1] == "":
        return lines[:-1], True
    return lines, False


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


LineCheck = Callable[[list[str], list[str]], Callable[[str], str] | None]
"""Given the file's window lines and the old lines, return a function that re-indents each
line of `new_string` for this window, or None when the window does not match."""


def _windows(lines: _Lines, old_lines: list[str], norm: Callable[[str], str]) -> Iterator[int]:
    n = len(old_lines)
    want = [norm(line) for line in old_lines]
    first = want[0]
    i = 0
    last = len(lines.texts) - n
    while i <= last:
        if norm(lines.texts[i]) == first and all(
            norm(lines.texts[i + k]) == want[k] for k in range(1, n)
        ):
            yield i
            i += n
        else:
            i += 1


def _line_matcher(norm: Callable[[str], str], check: LineCheck) -> _Matcher:
    def match(content: str, lines: _Lines, old: str, new: str) -> list[_Replacement]:
        old_lines, old_nl = _split_block(old)
        new_lines, new_nl = _split_block(new)
        n = len(old_lines)
        found: list[_Replacement] = []
        for i in _windows(lines, old_lines, norm):
            window = lines.texts[i : i + n]
            reindent = check(window, old_lines)
            if reindent is None:
                continue
            last = i + n - 1
            has_term = lines.term_ends[last] > lines.ends[last]
            end = lines.term_ends[last] if old_nl else lines.ends[last]
            text = lines.eol.join(reindent(line) if line.strip() else line for line in new_lines)
            if new_nl and (has_term or not old_nl):
                text += lines.eol
            found.append(_Replacement(lines.starts[i], end, text))
        return found

    return match


def _same_lines(window: list[str], old_lines: list[str]) -> Callable[[str], str] | None:
    return lambda line: line


def _shifted(window: list[str], old_lines: list[str]) -> Callable[[str], str] | None:
    pairs = [(_indent(f), _indent(o)) for f, o in zip(window, old_lines, strict=True) if f.strip()]
    if not pairs:
        return None
    fw, ow = pairs[0]
    if fw.endswith(ow) and all(f == fw[: len(fw) - len(ow)] + o for f, o in pairs):
        added = fw[: len(fw) - len(ow)]
        return lambda line: added + line
    if ow.endswith(fw) and all(o == ow[: len(ow) - len(fw)] + f for f, o in pairs):
        removed = ow[: len(ow) - len(fw)]

        def dedent(line: str) -> str:
            if line.startswith(removed):
                return line[len(removed) :]
            ws = _indent(line)
            return line[min(len(ws), len(removed)) :]

        return dedent
    return None


def _width(ws: str, tab: int) -> int:
    return len(ws.expandtabs(tab))


def _tabs_or_spaces(window: list[str], old_lines: list[str]) -> Callable[[str], str] | None:
    pairs = [(_indent(f), _indent(o)) for f, o in zip(window, old_lines, strict=True) if f.strip()]
    if not pairs:
        return None
    use_tabs = any("\t" in f for f, _ in pairs)
    for tab in (4, 8, 2):
        deltas = {_width(f, tab) - _width(o, tab) for f, o in pairs}
        if len(deltas) != 1:
            continue
        delta = deltas.pop()

        def reindent(line: str, tab: int = tab, delta: int = delta) -> str:
            width = max(0, _width(_indent(line), tab) + delta)
            ws = "\t" * (width // tab) + " " * (width % tab) if use_tabs else " " * width
            return ws + line.lstrip(" \t")

        return reindent
    return None


_BASE_MATCHERS: tuple[tuple[str, _Matcher], ...] = (
    ("exact", _exact),
    ("line_endings", _line_endings),
    ("trailing_whitespace", _line_matcher(lambda s: s.rstrip(" \t"), _same_lines)),
    ("indentation", _line_matcher(lambda s: s.strip(" \t"), _shifted)),
    ("tabs_spaces", _line_matcher(lambda s: s.strip(" \t"), _tabs_or_spaces)),
)

_LINE_NUMBER = re.compile(r"^ *\d+(?:\t|\u2192)")
_ESCAPE = re.compile(r"\\([nrt\"'`\\$])")
_UNESCAPED = {"n": "\n", "r": "\r", "t": "\t"}


def _strip_line_numbers(text: str) -> str | None:
    lines = text.split("\n")
    body = [line for line in lines if line.strip()]
    if not body or not all(_LINE_NUMBER.match(line) for line in body):
        return None
    return "\n".join(_LINE_NUMBER.sub("", line, count=1) for line in lines)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _UNESCAPED.get(m[1], m[1]), text)


def _line_numbers_transform(old: str, new: str) -> tuple[str, str] | None:
    stripped = _strip_line_numbers(old)
    if stripped is None:
        return None
    return stripped, _strip_line_numbers(new) or new


def _escapes_transform(old: str, new: str) -> tuple[str, str] | None:
    unescaped = _unescape(old)
    if unescaped == old:
        return None
    return unescaped, _unescape(new)


_TRANSFORMS: tuple[tuple[str, Callable[[str, str], tuple[str, str] | None]], ...] = (
    ("", lambda old, new: (old, new)),
    ("line_numbers", _line_numbers_transform),
    ("escapes", _escapes_transform),
)


def _cascade(content: str, lines: _Lines, old: str, new: str) -> tuple[str, list[_Replacement]]:
    for prefix, transform in _TRANSFORMS:
        pair = transform(old, new)
        if pair is None or (prefix and not pair[0].strip()):
            continue
        o, n = pair
        for name, matcher in _BASE_MATCHERS:
            found = matcher(content, lines, o, n)
            if found:
                if not prefix:
                    return name, found
                return (prefix if name == "exact" else f"{prefix}+{name}"), found
    return "", []


def apply_edit(
    content: str, old: str, new: str, *, replace_all: bool = False, path: str = "the file"
) -> EditApplied:
    """Replace `old` with `new` in `content` (text without BOM), or raise a `ToolFailure`
    subclass whose message tells the model how to fix the call."""
    if not old.strip():
        raise EditInvalid(
            "old_string is empty or only whitespace. Give the exact existing text to replace "
            "(use the write tool to create a file or replace it whole)."
        )
    if old == new:
        raise EditInvalid("old_string and new_string are identical; there is nothing to change.")
    lines = _Lines.of(content)
    matcher, found = _cascade(content, lines, old, new)
    if not found:
        raise EditNotFound(_not_found_message(lines, old, path))
    at = tuple(lines.line_of(r.start) for r in found)
    if len(found) > 1 and not replace_all:
        shown = ", ".join(str(n) for n in at[:10]) + (", ..." if len(at) > 10 else "")
        raise EditAmbiguous(
            f"old_string matches {len(found)} places in {path} (lines {shown}). Include more "
            "surrounding lines to make it unique, or set replace_all to replace every one.",
            count=len(found),
            lines=at,
        )
    parts: list[str] = []
    pos = 0
    for r in found:
        parts.append(content[pos : r.start])
        parts.append(r.text)
        pos = r.end
    parts.append(content[pos:])
    result = "".join(parts)
    if result == content:
        raise EditNoChange(
            f"The text at line {at[0]} of {path} already reads as new_string; nothing to change."
        )
    return EditApplied(result, matcher, len(found), at)


# --- "did you mean" ------------------------------------------------------------------------

_MAX_WINDOWS = 1500
_MAX_CHARS = 2000
_TOP = 8


def closest_lines(lines: list[str], old: str) -> tuple[int, int, float] | None:
    """The window of `lines` most similar to `old`: (first line, last line, ratio), 1-based.

    Bounded work: at most ~1,500 windows are scored with `quick_ratio`, and only the best few
    (plus their neighbours when windows were skipped) get a full `SequenceMatcher.ratio`.
    """
    old_lines, _ = _split_block(old)
    n = min(len(old_lines), len(lines))
    if n == 0:
        return None
    target = "\n".join(line.strip() for line in old_lines)[:_MAX_CHARS]
    count = len(lines) - n + 1
    stride = max(1, -(-count // _MAX_WINDOWS))
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(target)

    def text_at(i: int) -> str:
        return "\n".join(line.strip() for line in lines[i : i + n])[:_MAX_CHARS]

    def quick(i: int) -> float:
        matcher.set_seq1(text_at(i))
        return matcher.quick_ratio()

    def full(i: int) -> float:
        matcher.set_seq1(text_at(i))
        return matcher.ratio()

    ranked = sorted(range(0, count, stride), key=quick, reverse=True)[:_TOP]
    candidates = set(ranked)
    if stride > 1:
        for i in ranked[:2]:
            lo, hi = max(0, i - stride + 1), min(count, i + stride)
            candidates.update(range(lo, hi, max(1, (hi - lo) // 40)))
    best = max(sorted(candidates), key=full)
    return best + 1, best + n, full(best)


def _not_found_message(lines: _Lines, old: str, path: str) -> str:
    head = f"old_string was not found in {path}."
    near = closest_lines(lines.texts, old)
    if near is None or near[2] < 0.5:
        return head + " Read the file again and copy the text exactly, including whitespace."
    first, last, ratio = near
    shown = "\n".join(
        f"{n:>6}\t{lines.texts[n - 1][:500]}" for n in range(first, min(last, first + 29) + 1)
    )
    if last > first + 29:
        shown += f"\n   ...\t({last - first - 29} more lines)"
    where = f"line {first}" if first == last else f"lines {first}-{last}"
    return (
        f"{head} Did you mean {where} ({ratio:.0%} similar)?\n{shown}\n"
        "Copy the exact text (without the line-number prefix) into old_string and retry."
    )
