"""Helpers shared by the tests of the Rust core: tree building, ripgrep as oracle, a patch applier.

ripgrep is the reference for walking, searching and globbing: the native core is built on the same
`ignore` crate, so for the flags both understand the file lists must agree.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NATIVE_MISSING = "codesm._native is not built (run `pip install -e .` to build the Rust core)"


@dataclass(frozen=True)
class Symlink:
    """A tree entry that is a symbolic link to `target` (relative to the link's directory)."""

    target: str | bytes


@dataclass(frozen=True)
class Dir:
    """A tree entry that is an empty directory."""


TreeSpec = Mapping[str | bytes, "str | bytes | Symlink | Dir"]


def write_tree(root: Path, spec: TreeSpec) -> Path:
    """Create files (str: UTF-8 text written byte for byte, bytes: raw), dirs and symlinks."""
    broot = os.fsencode(root)
    os.makedirs(broot, exist_ok=True)
    for name, value in spec.items():
        path = os.path.join(broot, os.fsencode(name))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(value, Symlink):
            os.symlink(os.fsencode(value.target), path)
        elif isinstance(value, Dir):
            os.makedirs(path, exist_ok=True)
        else:
            data = value.encode() if isinstance(value, str) else value
            with open(path, "wb") as f:
                f.write(data)
    return root


def strip_terminator(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith("\n") else line


def _rg_text(field: dict[str, str]) -> str:
    if "text" in field:
        return field["text"]
    return os.fsdecode(base64.b64decode(field["bytes"]))


Row = tuple[str, int, str, list[tuple[int, int]]]


@dataclass
class Rg:
    """Runs ripgrep hermetically (`--no-config`, HOME from the `hermetic_home` fixture).

    `--no-require-git` because the native core honours `.gitignore` outside git repositories too.
    """

    exe: str

    def run(
        self, root: Path, *args: str, partial_ok: bool = False
    ) -> subprocess.CompletedProcess[bytes]:
        """Run rg; exit status 2 (some paths failed, e.g. link loops) passes with `partial_ok`."""
        proc = subprocess.run(
            [self.exe, "--no-config", "--no-require-git", *args],
            cwd=root,
            stdin=subprocess.DEVNULL,  # a readable stdin would make rg search it, not the root
            capture_output=True,
            env=dict(os.environ),
            timeout=60,
            check=False,
        )
        if proc.returncode not in ((0, 1, 2) if partial_ok else (0, 1)):
            raise AssertionError(f"rg {args} failed: {proc.stderr.decode(errors='replace')}")
        return proc

    def files(self, root: Path, *args: str) -> list[str]:
        """`rg --files` output sorted by bytes (like `--sort path`), decoded by `os.fsdecode`."""
        out = self.run(root, "--files", "--null", *args, partial_ok=True).stdout
        return [os.fsdecode(p) for p in sorted(p for p in out.split(b"\0") if p)]

    def files_with_matches(self, root: Path, *args: str) -> list[str]:
        out = self.run(root, "--files-with-matches", "--null", *args).stdout
        return [os.fsdecode(p) for p in sorted(p for p in out.split(b"\0") if p)]

    def messages(self, root: Path, *args: str) -> list[dict[str, Any]]:
        out = self.run(root, "--json", *args).stdout
        return [json.loads(line) for line in out.splitlines() if line]

    def matches(self, root: Path, *args: str) -> list[Row]:
        """(path, line number, line without terminator, byte spans) per matching line, sorted."""
        rows = []
        for msg in self.messages(root, *args):
            if msg["type"] == "match":
                data = msg["data"]
                rows.append(
                    (
                        _rg_text(data["path"]),
                        data["line_number"],
                        strip_terminator(_rg_text(data["lines"])),
                        [(s["start"], s["end"]) for s in data["submatches"]],
                    )
                )
        return sorted(rows)

    def context(self, root: Path, *args: str) -> dict[str, list[tuple[int, str]]]:
        """Context lines per path as (line number, text), in file order."""
        ctx: dict[str, list[tuple[int, str]]] = {}
        for msg in self.messages(root, *args):
            if msg["type"] == "context":
                data = msg["data"]
                ctx.setdefault(_rg_text(data["path"]), []).append(
                    (data["line_number"], strip_terminator(_rg_text(data["lines"])))
                )
        return ctx


def native_rows(result: Any) -> list[Row]:
    """The same shape as `Rg.matches` from a native `GrepResult`."""
    return sorted((m.path, m.line_number, m.line, list(m.spans)) for m in result.matches)


# --- unified diff --------------------------------------------------------------------------

HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def split_lines(text: str) -> list[str]:
    """Split on `\\n` only, keeping terminators; unlike `str.splitlines`, `\\r` stays put."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def apply_unified(old: str, unified: str) -> str:
    """Apply a unified diff (one file) to `old` strictly: context and removals must match."""
    if not unified:
        return old
    src = split_lines(old)
    patch = split_lines(unified)
    assert patch[0].startswith("--- "), patch[:2]
    assert patch[1].startswith("+++ "), patch[:2]
    out: list[str] = []
    pos = 0  # index into src of the next line not yet copied
    i = 2
    while i < len(patch):
        m = HUNK_HEADER.match(patch[i])
        assert m, f"expected a hunk header, got {patch[i]!r}"
        old_start, old_len = int(m[1]), int(m[2] if m[2] is not None else 1)
        new_len = int(m[4] if m[4] is not None else 1)
        # An empty old range names the line *before* the insertion point.
        first = old_start - 1 if old_len else old_start
        assert first >= pos, "hunks overlap or go backwards"
        out.extend(src[pos:first])
        pos = first
        i += 1
        seen_old = seen_new = 0
        while i < len(patch) and not patch[i].startswith("@@"):
            line = patch[i]
            i += 1
            if i < len(patch) and patch[i].startswith("\\"):
                line = line[:-1]  # "\ No newline at end of file" applies to this line
                i += 1
            tag, body = line[0], line[1:]
            if tag in " -":
                assert pos < len(src) and src[pos] == body, (
                    f"line {pos + 1}: patch says {body!r}, old has "
                    f"{src[pos] if pos < len(src) else None!r}"
                )
                pos += 1
                seen_old += 1
            if tag in " +":
                out.append(body)
                seen_new += 1
            assert tag in " -+", f"bad diff line {line!r}"
        assert (seen_old, seen_new) == (old_len, new_len), "hunk header counts are wrong"
    out.extend(src[pos:])
    return "".join(out)


def apply_hunks(old: str, hunks: Any) -> list[str]:
    """Apply structured hunks to `old`, comparing line texts without terminators."""
    src = [strip_terminator(line) for line in split_lines(old)]
    out: list[str] = []
    pos = 0
    for h in hunks:
        first = h.old_start - 1 if h.old_len else h.old_start
        out.extend(src[pos:first])
        pos = first
        for dl in h.lines:
            if dl.tag in (" ", "-"):
                assert src[pos] == dl.text, (pos, src[pos], dl.text)
                pos += 1
            if dl.tag in (" ", "+"):
                out.append(dl.text)
    out.extend(src[pos:])
    return out
