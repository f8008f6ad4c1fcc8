"""Pure-Python baselines: what codesm would cost without its Rust core.

The walker follows ripgrep's defaults: hidden entries and symlinks skipped, `.gitignore` (nested,
with negations), `.ignore`, `.git/info/exclude` and the global excludes file honoured, ignored
directories pruned. Grep skips files holding a NUL byte, as rg skips binary files.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pathspec

IGNORE_FILES = (".gitignore", ".ignore", ".rgignore")


def _spec_from(path: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def _global_excludes(root: Path) -> pathspec.GitIgnoreSpec | None:
    proc = subprocess.run(
        ["git", "config", "--path", "--get", "core.excludesFile"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    name = proc.stdout.strip()
    if not name:
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
        name = os.path.join(xdg, "git", "ignore")
    return _spec_from(Path(name)) if os.path.isfile(name) else None


class Walker:
    """Gitignore-aware file lister in the style of `rg --files`; set up once, walk many times."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._base: list[pathspec.GitIgnoreSpec] = []
        for spec in (_global_excludes(self.root), _spec_from(self.root / ".git/info/exclude")):
            if spec is not None:
                self._base.append(spec)

    def _ignored(self, stack: list[tuple[str, pathspec.GitIgnoreSpec]], rel: str) -> bool:
        for prefix, spec in reversed(stack):
            decision = spec.check_file(rel[len(prefix) :]).include
            if decision is not None:
                return decision
        for spec in reversed(self._base):
            decision = spec.check_file(rel).include
            if decision is not None:
                return decision
        return False

    def files(self) -> list[str]:
        return sorted(self._iter("", []))

    def _iter(self, rel_dir: str, stack: list[tuple[str, pathspec.GitIgnoreSpec]]) -> Iterator[str]:
        abs_dir = self.root / rel_dir if rel_dir else self.root
        specs = [s for name in IGNORE_FILES if (s := _spec_from(abs_dir / name)) is not None]
        if specs:
            stack = stack + [(rel_dir, s) for s in specs]
        try:
            entries = list(os.scandir(abs_dir))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = rel_dir + entry.name
            if entry.is_dir(follow_symlinks=False):
                if not self._ignored(stack, rel + "/"):
                    yield from self._iter(rel + "/", stack)
            elif entry.is_file(follow_symlinks=False) and not self._ignored(stack, rel):
                yield rel


def grep(
    walker: Walker, pattern: bytes, *, fixed: bool = False, word: bool = False
) -> list[tuple[str, int, str]]:
    """(path, line number, line) for every matching line, like `rg -n`."""
    regex = None
    if not fixed or word:
        body = re.escape(pattern) if fixed else pattern
        if word:
            body = rb"(?<!\w)(?:" + body + rb")(?!\w)"
        regex = re.compile(body)
    out: list[tuple[str, int, str]] = []
    root = walker.root
    for rel in walker.files():
        try:
            data = (root / rel).read_bytes()
        except OSError:
            continue
        if b"\0" in data:
            continue
        if regex is None:
            starts = _find_all(data, pattern)
        else:
            starts = (m.start() for m in regex.finditer(data))
        line_no, counted_to, last_line_start = 1, 0, -1
        for pos in starts:
            line_start = data.rfind(b"\n", 0, pos) + 1
            if line_start == last_line_start:
                continue
            line_no += data.count(b"\n", counted_to, line_start)
            counted_to = line_start
            end = data.find(b"\n", pos)
            line = data[line_start : end if end >= 0 else len(data)]
            out.append((rel, line_no, line.decode("utf-8", "surrogateescape")))
            last_line_start = line_start
    return out


def _find_all(data: bytes, needle: bytes) -> Iterator[int]:
    i = data.find(needle)
    while i >= 0:
        yield i
        i = data.find(needle, i + 1)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a globset-style pattern (`**`, `*`, `?`, `{a,b}`) to a regex on the rel path."""
    out, i = [], 0
    if "/" not in pattern:
        out.append(r"(?:.*/)?")
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append(r"(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(r".*")
            i += 2
            continue
        if c == "*":
            out.append(r"[^/]*")
        elif c == "?":
            out.append(r"[^/]")
        elif c == "{":
            end = pattern.index("}", i)
            out.append(
                "(?:" + "|".join(re.escape(a) for a in pattern[i + 1 : end].split(",")) + ")"
            )
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def glob(walker: Walker, pattern: str) -> list[str]:
    rx = glob_regex(pattern)
    return [p for p in walker.files() if rx.match(p)]


def fuzzy(query: str, paths: list[str], limit: int = 50) -> list[str]:
    """Subsequence filter (smart case) scored by match span and gaps; best first."""
    ignore_case = query == query.lower()
    scored: list[tuple[int, int, int, str]] = []
    for idx, path in enumerate(paths):
        hay = path.lower() if ignore_case else path
        pos, first, gaps = -1, -1, 0
        for ch in query:
            nxt = hay.find(ch, pos + 1)
            if nxt < 0:
                break
            if first < 0:
                first = nxt
            elif nxt != pos + 1:
                gaps += 1
            pos = nxt
        else:
            scored.append((gaps * 4 + (pos - first), len(path), idx, path))
    scored.sort()
    return [s[3] for s in scored[:limit]]


def unified_diff(old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "a", "b", n=3))
