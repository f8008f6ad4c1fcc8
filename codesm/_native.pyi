"""Type stub for the Rust extension `codesm._native` (built from `native/` with pyo3 + maturin).

All functions release the GIL while they work; call them through `codesm.native`, which runs them
in a thread so the event loop never blocks. Paths returned are relative to the root, with `/` as
separator; names that are not valid UTF-8 come back with surrogate escapes (as `os.fsdecode` does).

Errors: a missing root raises `FileNotFoundError`, an unreadable one `PermissionError`, a root that
is a file where a directory is needed `NotADirectoryError` (and a directory where a file is needed
`IsADirectoryError`), a bad regex or glob `ValueError` whose message says where the pattern is
wrong.
"""

from collections.abc import Sequence
from typing import Literal, final

__all__ = [
    "Diff",
    "DiffLine",
    "FileInfo",
    "FuzzyMatch",
    "GrepMatch",
    "GrepResult",
    "Hunk",
    "PathIndex",
    "diff",
    "fuzzy_find",
    "glob",
    "grep",
    "inspect_file",
    "list_level",
    "walk",
]

__version__: str

@final
class GrepMatch:
    path: str
    line_number: int
    """1-based line number."""
    column: int
    """1-based byte column of the first match on the line."""
    line: str
    """The line without its line terminator, cut to `max_line_len` bytes (see `line_truncated`)."""
    line_truncated: bool
    spans: list[tuple[int, int]]
    """Byte offsets (start, end) of every match within `line`."""
    before: list[tuple[int, str]]
    """Context lines before the match as (line number, text), at most `before` of them; they stop
    at the previous matching line (context lines are never matching lines)."""
    after: list[tuple[int, str]]
    """Context lines after the match as (line number, text), at most `after` of them; they stop at
    the next matching line. A line between two close matches can be in both one's `after` and the
    other's `before`. Past `max_count`, later matching lines in the window are context here."""

@final
class GrepResult:
    matches: list[GrepMatch]
    """Matches sorted by (path, line number). Empty when `files_with_matches` is set."""
    files: list[str]
    """Sorted paths of the files that matched."""
    truncated: bool
    """True when `max_results` stopped the search early."""
    files_searched: int

@final
class FuzzyMatch:
    path: str
    score: int
    positions: list[int]
    """Character indices in `path` that matched the query, ascending."""

@final
class PathIndex:
    """A fixed set of paths held in Rust for fuzzy finding as the user types: paths are converted
    once, and a query that extends the previous one rescores only that query's matches. Ranking is
    the same as `fuzzy_find` over the same paths. Safe to share between threads."""

    def __new__(cls, paths: Sequence[str]) -> PathIndex: ...
    @staticmethod
    def from_root(root: str) -> PathIndex:
        """The files under `root`, gitignore-aware, as `walk` lists them."""
    def find(self, query: str, *, limit: int = 50) -> list[FuzzyMatch]: ...
    def __len__(self) -> int: ...

@final
class DiffLine:
    tag: Literal[" ", "-", "+"]
    text: str
    """The line without its terminator."""
    old_lineno: int | None
    new_lineno: int | None

@final
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    lines: list[DiffLine]
    header: str
    """The `@@ -a,b +c,d @@` line."""

@final
class Diff:
    unified: str
    """Unified diff text with `--- old_label` / `+++ new_label` headers; empty when equal."""
    hunks: list[Hunk]
    added: int
    removed: int

@final
class FileInfo:
    size: int
    is_binary: bool
    encoding: Literal["utf-8", "utf-8-bom", "utf-16le", "utf-16be", "binary", "unknown"]
    """`unknown` means text that is not valid UTF-8 (e.g. Latin-1)."""
    line_ending: Literal["lf", "crlf", "cr", "mixed", "none"]
    line_count: int
    """Number of lines; a last line without a terminator counts. Binary files report line ending
    `none` and 0 lines (they are not scanned past the first 8 KiB)."""

def walk(
    root: str,
    *,
    hidden: bool = False,
    gitignore: bool = True,
    max_depth: int | None = None,
    follow_links: bool = False,
    globs: Sequence[str] | None = None,
) -> list[str]:
    """Files under `root` (not directories), relative and sorted.

    With `gitignore`, honours `.gitignore` (nested, negations), `.ignore`, `.git/info/exclude` and
    the global gitignore, also outside a git repository. `globs` are ripgrep-style `-g` globs: a
    leading `!` excludes.
    """

def list_level(
    root: str, *, hidden: bool = False, gitignore: bool = True, follow_links: bool = False
) -> tuple[list[str], list[str]]:
    """The folders and the files directly inside `root` (one level), each relative and sorted.

    Ignore rules apply as in `walk`; a folder is listed when it is not ignored itself, even if
    everything inside it is. Symbolic links are listed only with `follow_links`.
    """

def grep(
    pattern: str,
    root: str,
    *,
    fixed: bool = False,
    ignore_case: bool = False,
    smart_case: bool = False,
    word: bool = False,
    globs: Sequence[str] | None = None,
    hidden: bool = False,
    gitignore: bool = True,
    max_count: int | None = None,
    before: int = 0,
    after: int = 0,
    files_with_matches: bool = False,
    max_results: int | None = None,
    max_line_len: int = 2000,
    threads: int = 0,
) -> GrepResult:
    """Search files under `root` (or the single file `root`) in parallel; binary files skipped.

    `max_count` caps matching lines per file, `max_results` caps matching lines (or files, with
    `files_with_matches`) overall. `max_line_len=0` means no cut. `threads=0` picks the number of
    CPUs. A single-file `root` is searched even if ignored; its result path is its file name.
    """

def glob(
    patterns: str | Sequence[str],
    root: str,
    *,
    gitignore: bool = True,
    hidden: bool = False,
    sort: Literal["path", "mtime"] = "path",
    limit: int | None = None,
) -> list[str]:
    """Files under `root` matching any of `patterns` (globset syntax; a pattern without `/`
    matches the file name at any depth). `sort="mtime"` puts the newest first.

    As with `rg -g`, a pattern that matches a file lists it even if an ignore file names it, and a
    leading `!` excludes. Patterns select files only: they never open an ignored or hidden
    directory, and hidden files need `hidden=True` even when named."""

def fuzzy_find(
    query: str,
    root_or_paths: str | Sequence[str],
    *,
    limit: int = 50,
) -> list[FuzzyMatch]:
    """Rank paths (walked from a root, gitignore-aware, or given) against `query`, best first;
    ties broken by shorter path, then path order."""

def diff(
    old: str,
    new: str,
    *,
    context: int = 3,
    old_label: str = "a",
    new_label: str = "b",
) -> Diff:
    """Line diff of two texts split at line feeds (Myers, as git's default; on pathological inputs a
    1 s budget makes it return a coarser but still correct diff)."""

def inspect_file(path: str) -> FileInfo:
    """Size, binary or text, encoding guess, line-ending style and line count of one file."""
