"""The bad-inputs catalogue for the file tools: each case has a typed outcome, none may crash.

Each row: case id, tool, arguments, file setup, and the expected outcome: "ok" for a normal
result, or the error kind in `metadata["error"]` (a `ToolFailure` subclass name, or one of the
framework's kinds: UnknownTool, MalformedArguments, InvalidArguments, ArgumentsTooLarge).
"InternalError" is never an acceptable outcome.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.unit.tool_support import Workspace

Setup = Callable[[Workspace], None]


def nothing(_ws: Workspace) -> None:
    return None


def files(**spec: str | bytes) -> Setup:
    def make(ws: Workspace) -> None:
        for name, data in spec.items():
            ws.file(name.replace("__", "/"), data)

    return make


def both(*steps: Setup) -> Setup:
    def make(ws: Workspace) -> None:
        for step in steps:
            step(ws)

    return make


def symlink(name: str, target: str) -> Setup:
    return lambda ws: os.symlink(target, ws.root / name)


def fifo(name: str) -> Setup:
    return lambda ws: os.mkfifo(ws.root / name)


def directory(name: str) -> Setup:
    return lambda ws: (ws.root / name).mkdir(parents=True)


def outside_file(ws: Workspace) -> None:
    (ws.root.parent / "secret.txt").write_text("secret\n")


PNG = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 8, 8) + b"\0" * 64
TEXT = files(**{"a.txt": "alpha\nbeta\nalpha2\n"})


@dataclass(frozen=True)
class Case:
    id: str
    tool: str
    args: dict[str, Any] | str
    expect: str
    setup: Setup = nothing
    read_first: tuple[str, ...] = ()
    after: Setup | None = field(default=None)
    """Runs after `read_first`: to make a file stale, for instance."""


def edit(path: str, old: str, new: str, **kw: Any) -> dict[str, Any]:
    return {"path": path, "old_string": old, "new_string": new, **kw}


def env(*lines: str) -> dict[str, Any]:
    return {"patch_text": "\n".join(["*** Begin Patch", *lines, "*** End Patch", ""])}


def udiff(text: str) -> dict[str, Any]:
    return {"patch_text": text}


UPD = "*** Update File: a.txt"
PATCH_CASES = [
    Case("patch-empty-text", "patch", {"patch_text": ""}, "InvalidArguments"),
    Case("patch-whitespace-only", "patch", udiff("  \n\n"), "MalformedPatch"),
    Case("patch-not-a-patch", "patch", udiff("please change a.txt"), "MalformedPatch"),
    Case(
        "patch-no-end", "patch", udiff("*** Begin Patch\n*** Add File: x\n+x\n"), "MalformedPatch"
    ),
    Case("patch-envelope-only", "patch", env(), "MalformedPatch"),
    Case(
        "patch-junk-before-file", "patch", env("hello", "*** Add File: x", "+x"), "MalformedPatch"
    ),
    Case("patch-add-no-path", "patch", env("*** Add File: ", "+x"), "MalformedPatch"),
    Case("patch-add-line-no-plus", "patch", env("*** Add File: x", "oops"), "MalformedPatch"),
    Case("patch-update-no-hunks", "patch", env(UPD), "MalformedPatch", TEXT, ("a.txt",)),
    Case("patch-bad-hunk-prefix", "patch", env(UPD, "@@", "*alpha"), "MalformedPatch"),
    Case("patch-context-only", "patch", env(UPD, "@@", " alpha"), "MalformedPatch"),
    Case(
        "patch-unknown-directive", "patch", env(UPD, "*** Rename: b", "-a", "+b"), "MalformedPatch"
    ),
    Case(
        "patch-move-after-hunk", "patch", env(UPD, "-a", "+b", "*** Move to: c"), "MalformedPatch"
    ),
    Case("patch-move-no-path", "patch", env(UPD, "*** Move to: ", "-a", "+b"), "MalformedPatch"),
    Case(
        "patch-delete-with-body", "patch", env("*** Delete File: a.txt", "-alpha"), "MalformedPatch"
    ),
    Case("patch-eof-first", "patch", env(UPD, "@@", "*** End of File"), "MalformedPatch"),
    Case(
        "patch-same-file-twice",
        "patch",
        env(UPD, "-beta", "+b", UPD, "-alpha2", "+c"),
        "MalformedPatch",
        TEXT,
        ("a.txt",),
    ),
    Case(
        "patch-unified-bad-header",
        "patch",
        udiff("--- a/a.txt\n+++ b/a.txt\n@@ -x +y @@\n"),
        "MalformedPatch",
    ),
    Case(
        "patch-unified-short-hunk",
        "patch",
        udiff("--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n alpha\n-beta\n+b\n"),
        "MalformedPatch",
        TEXT,
        ("a.txt",),
    ),
    Case(
        "patch-unified-long-hunk",
        "patch",
        udiff("--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-alpha\n+a\n-beta\n+b\n"),
        "MalformedPatch",
        TEXT,
        ("a.txt",),
    ),
    Case(
        "patch-unified-no-plus",
        "patch",
        udiff("--- a/a.txt\n@@ -1 +1 @@\n-a\n+b\n"),
        "MalformedPatch",
    ),
    Case(
        "patch-unified-both-null",
        "patch",
        udiff("--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+x\n"),
        "MalformedPatch",
    ),
    Case("patch-unified-no-hunks", "patch", udiff("--- a/a.txt\n+++ b/a.txt\n"), "MalformedPatch"),
    Case(
        "patch-unified-binary",
        "patch",
        udiff("--- a/p.png\n+++ b/p.png\nBinary files differ\n"),
        "MalformedPatch",
    ),
    Case(
        "patch-hunk-not-found", "patch", env(UPD, "-gamma", "+g"), "HunkMismatch", TEXT, ("a.txt",)
    ),
    Case(
        "patch-anchor-not-found",
        "patch",
        env(UPD, "@@ def nope():", "-beta", "+b"),
        "HunkMismatch",
        TEXT,
        ("a.txt",),
    ),
    Case(
        "patch-update-missing-file",
        "patch",
        env("*** Update File: nope.txt", "-a", "+b"),
        "PathNotFound",
    ),
    Case("patch-update-unread", "patch", env(UPD, "-beta", "+b"), "NotReadYet", TEXT),
    Case(
        "patch-update-stale",
        "patch",
        env(UPD, "-beta", "+b"),
        "StaleFile",
        TEXT,
        ("a.txt",),
        files(**{"a.txt": "alpha\nbeta\nchanged\n"}),
    ),
    Case(
        "patch-update-binary",
        "patch",
        env("*** Update File: b.bin", "-a", "+b"),
        "NotEditable",
        files(**{"b.bin": b"a\0b\n"}),
        ("b.bin",),
    ),
    Case(
        "patch-update-directory",
        "patch",
        env("*** Update File: d", "-a", "+b"),
        "NotEditable",
        directory("d"),
    ),
    Case(
        "patch-update-fifo",
        "patch",
        env("*** Update File: f", "-a", "+b"),
        "NotEditable",
        fifo("f"),
    ),
    Case("patch-add-outside", "patch", env("*** Add File: ../x.txt", "+x"), "PathOutsideWorkspace"),
    Case(
        "patch-add-absolute", "patch", env("*** Add File: /tmp/x.txt", "+x"), "PathOutsideWorkspace"
    ),
    Case(
        "patch-add-through-symlink",
        "patch",
        env("*** Add File: out/x.txt", "+x"),
        "PathOutsideWorkspace",
        symlink("out", "/tmp"),
    ),
    Case(
        "patch-add-existing", "patch", env("*** Add File: a.txt", "+x"), "PatchTargetExists", TEXT
    ),
    Case(
        "patch-move-onto-existing",
        "patch",
        env(UPD, "*** Move to: b.txt", "-beta", "+b"),
        "PatchTargetExists",
        both(TEXT, files(**{"b.txt": "b"})),
        ("a.txt",),
    ),
    Case(
        "patch-move-outside",
        "patch",
        env(UPD, "*** Move to: ../b.txt", "-beta", "+b"),
        "PathOutsideWorkspace",
        TEXT,
        ("a.txt",),
    ),
    Case("patch-delete-unread", "patch", env("*** Delete File: a.txt"), "NotReadYet", TEXT),
    Case(
        "patch-delete-mismatch",
        "patch",
        udiff("--- a/a.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-zzz\n"),
        "ToolFailure",
        TEXT,
        ("a.txt",),
    ),
    Case(
        "patch-no-net-change",
        "patch",
        env(UPD, "-beta", "+beta"),
        "PatchNoChange",
        TEXT,
        ("a.txt",),
    ),
    Case(
        "patch-ok-envelope", "patch", env(UPD, " alpha", "-beta", "+BETA"), "ok", TEXT, ("a.txt",)
    ),
    Case(
        "patch-ok-crlf-patch-text",
        "patch",
        {"patch_text": "*** Begin Patch\r\n*** Add File: n.txt\r\n+x\r\n*** End Patch\r\n"},
        "ok",
    ),
]


CASES = [
    # --- tools and argument envelopes -------------------------------------------------------
    Case("unknown-tool", "nope", {}, "UnknownTool"),
    Case("unknown-tool-empty-name", "", {}, "UnknownTool"),
    Case("unknown-tool-case", "READ", {"path": "a"}, "UnknownTool"),
    Case("json-truncated", "read", '{"path": ', "MalformedArguments"),
    Case("json-array", "read", "[1, 2]", "MalformedArguments"),
    Case("json-number", "read", "42", "MalformedArguments"),
    Case("json-null", "read", "null", "MalformedArguments"),
    Case("json-string", "read", '"a.txt"', "MalformedArguments"),
    Case("json-deeply-nested", "read", "[" * 200_000, "MalformedArguments"),
    Case("json-trailing-garbage", "read", '{"path": "a.txt"} x', "MalformedArguments"),
    Case(
        "json-lone-surrogate", "write", '{"path": "a", "content": "\\ud800"}', "MalformedArguments"
    ),
    Case(
        "dict-lone-surrogate", "edit", edit("a.txt", "alpha", "\ud800"), "MalformedArguments", TEXT
    ),
    Case("empty-string-arguments", "todo_read", "", "ok"),
    Case(
        "json-oversized",
        "write",
        '{"path": "a", "content": "' + "x" * (1 << 20) + '"}',
        "ArgumentsTooLarge",
    ),
    Case("dict-oversized", "write", {"path": "a", "content": "y" * (1 << 20)}, "ArgumentsTooLarge"),
    Case("dict-not-json-encodable", "read", {"path": object()}, "MalformedArguments"),
    Case("read-no-arguments", "read", {}, "InvalidArguments"),
    Case("read-extra-field", "read", {"path": "a.txt", "bogus": 1}, "InvalidArguments", TEXT),
    Case("read-path-int", "read", {"path": 5}, "InvalidArguments"),
    Case("read-path-null", "read", {"path": None}, "InvalidArguments"),
    Case("read-path-list", "read", {"path": ["a.txt"]}, "InvalidArguments"),
    Case("read-offset-zero", "read", {"path": "a.txt", "offset": 0}, "InvalidArguments", TEXT),
    Case("read-offset-negative", "read", {"path": "a.txt", "offset": -5}, "InvalidArguments", TEXT),
    Case("read-offset-text", "read", {"path": "a.txt", "offset": "ten"}, "InvalidArguments", TEXT),
    Case(
        "read-offset-fraction", "read", {"path": "a.txt", "offset": 1.5}, "InvalidArguments", TEXT
    ),
    Case("read-limit-zero", "read", {"path": "a.txt", "limit": 0}, "InvalidArguments", TEXT),
    Case("read-offset-huge", "read", {"path": "a.txt", "offset": 10**18}, "ToolFailure", TEXT),
    Case("read-offset-as-numeric-string", "read", {"path": "a.txt", "offset": "2"}, "ok", TEXT),
    Case("write-missing-content", "write", {"path": "a.txt"}, "InvalidArguments"),
    Case("write-content-list", "write", {"path": "a.txt", "content": ["x"]}, "InvalidArguments"),
    Case("edit-missing-old", "edit", {"path": "a.txt", "new_string": "x"}, "InvalidArguments"),
    Case(
        "edit-replace-all-word",
        "edit",
        edit("a.txt", "a", "b", replace_all="maybe"),
        "InvalidArguments",
    ),
    Case("multiedit-no-edits", "multiedit", {"path": "a.txt", "edits": []}, "InvalidArguments"),
    Case("multiedit-edits-object", "multiedit", {"path": "a.txt", "edits": {}}, "InvalidArguments"),
    Case(
        "multiedit-too-many",
        "multiedit",
        {"path": "a.txt", "edits": [{"old_string": "a", "new_string": "b"}] * 101},
        "InvalidArguments",
    ),
    Case(
        "multiedit-edit-missing-field",
        "multiedit",
        {"path": "a.txt", "edits": [{"old_string": "a"}]},
        "InvalidArguments",
    ),
    Case(
        "grep-bad-output-mode", "grep", {"pattern": "x", "output_mode": "lines"}, "InvalidArguments"
    ),
    Case("grep-negative-context", "grep", {"pattern": "x", "context": -1}, "InvalidArguments"),
    Case("grep-empty-pattern", "grep", {"pattern": ""}, "InvalidArguments"),
    Case("grep-head-limit-zero", "grep", {"pattern": "x", "head_limit": 0}, "InvalidArguments"),
    Case("glob-empty-pattern", "glob", {"pattern": ""}, "InvalidArguments"),
    Case("ls-ignore-string", "ls", {"ignore": "*.log"}, "InvalidArguments"),
    Case(
        "todo-bad-status",
        "todo_write",
        {"todos": [{"id": "1", "content": "a", "status": "done"}]},
        "InvalidArguments",
    ),
    Case(
        "todo-empty-content",
        "todo_write",
        {"todos": [{"id": "1", "content": "", "status": "pending"}]},
        "InvalidArguments",
    ),
    Case("todo-not-a-list", "todo_write", {"todos": "do things"}, "InvalidArguments"),
    Case(
        "todo-duplicate-ids",
        "todo_write",
        {"todos": [{"id": "1", "content": "a", "status": "pending"}] * 2},
        "ToolFailure",
    ),
    Case("todo-read-extra-argument", "todo_read", {"all": True}, "InvalidArguments"),
    # --- hostile paths ----------------------------------------------------------------------
    Case("read-dotdot-escape", "read", {"path": "../../../../etc/passwd"}, "PathOutsideWorkspace"),
    Case("read-absolute-outside", "read", {"path": "/etc/passwd"}, "PathOutsideWorkspace"),
    Case("read-sibling-prefix", "read", {"path": "../ws-evil/x"}, "PathOutsideWorkspace"),
    Case("read-nul-byte", "read", {"path": "a.txt\x00.png"}, "InvalidPath", TEXT),
    Case("read-empty-path", "read", {"path": ""}, "InvalidPath"),
    Case("read-very-long-path", "read", {"path": "a/" * 3000}, "InvalidPath"),
    Case(
        "read-symlink-outside",
        "read",
        {"path": "link"},
        "PathOutsideWorkspace",
        both(outside_file, symlink("link", "../secret.txt")),
    ),
    Case("read-tilde-not-expanded", "read", {"path": "~/.ssh/id_rsa"}, "PathNotFound"),
    Case(
        "read-dangling-symlink",
        "read",
        {"path": "dangling"},
        "PathNotFound",
        symlink("dangling", "missing.txt"),
    ),
    Case(
        "write-dotdot-inside-path",
        "write",
        {"path": "a/../../x.txt", "content": "x"},
        "InvalidPath",
    ),
    Case(
        "write-dotdot-escape", "write", {"path": "../x.txt", "content": "x"}, "PathOutsideWorkspace"
    ),
    Case(
        "read-symlink-loop",
        "read",
        {"path": "loop"},
        "SymlinkLoop",
        both(symlink("loop", "loop2"), symlink("loop2", "loop")),
    ),
    Case(
        "write-into-symlink-loop",
        "write",
        {"path": "loop/x", "content": "x"},
        "SymlinkLoop",
        both(symlink("loop", "loop2"), symlink("loop2", "loop")),
    ),
    Case(
        "write-through-symlinked-dir",
        "write",
        {"path": "out/x.txt", "content": "x"},
        "PathOutsideWorkspace",
        symlink("out", ".."),
    ),
    Case("write-workspace-root", "write", {"path": ".", "content": "x"}, "InvalidPath"),
    Case(
        "write-absolute-outside",
        "write",
        {"path": "/tmp/codesm-escape.txt", "content": "x"},
        "PathOutsideWorkspace",
    ),
    Case(
        "edit-symlink-outside",
        "edit",
        edit("link", "secret", "x"),
        "PathOutsideWorkspace",
        both(outside_file, symlink("link", "../secret.txt")),
    ),
    Case("glob-path-outside", "glob", {"pattern": "*", "path": ".."}, "PathOutsideWorkspace"),
    Case("glob-absolute-pattern-outside", "glob", {"pattern": "/etc/*"}, "ToolFailure"),
    Case("grep-path-outside", "grep", {"pattern": "root", "path": "/etc"}, "PathOutsideWorkspace"),
    Case("ls-root-of-filesystem", "ls", {"path": "/"}, "PathOutsideWorkspace"),
    Case("ls-missing-dir", "ls", {"path": "nope"}, "PathNotFound"),
    Case("grep-missing-path", "grep", {"pattern": "x", "path": "nope"}, "PathNotFound"),
    # --- odd files ---------------------------------------------------------------------------
    Case("read-directory", "read", {"path": "d"}, "NotEditable", directory("d")),
    Case("read-fifo", "read", {"path": "p"}, "NotEditable", fifo("p")),
    Case("read-empty-file", "read", {"path": "e"}, "ok", files(e=b"")),
    Case(
        "read-random-bytes",
        "read",
        {"path": "r.bin"},
        "ok",
        files(**{"r.bin": os.urandom(1 << 20)}),
    ),
    Case(
        "read-latin1",
        "read",
        {"path": "l.txt"},
        "ok",
        files(**{"l.txt": "caf\xe9\n".encode("latin-1")}),
    ),
    Case("read-crlf", "read", {"path": "c.txt"}, "ok", files(**{"c.txt": "a\r\nb\r\n"})),
    Case("read-bom", "read", {"path": "b.txt"}, "ok", files(**{"b.txt": b"\xef\xbb\xbfx\n"})),
    Case("read-lone-cr-endings", "read", {"path": "m.txt"}, "ok", files(**{"m.txt": "a\rb\rc"})),
    Case("read-huge-line", "read", {"path": "h.txt"}, "ok", files(**{"h.txt": "z" * (5 << 20)})),
    Case("read-png", "read", {"path": "i.png"}, "ok", files(**{"i.png": PNG})),
    Case("read-truncated-png", "read", {"path": "t.png"}, "ok", files(**{"t.png": PNG[:12]})),
    Case("read-nul-only", "read", {"path": "z"}, "ok", files(z=b"\0" * 10)),
    Case("edit-never-read", "edit", edit("a.txt", "beta", "gamma"), "NotReadYet", TEXT),
    Case(
        "edit-stale",
        "edit",
        edit("a.txt", "beta", "gamma"),
        "StaleFile",
        TEXT,
        ("a.txt",),
        files(**{"a.txt": "changed\n"}),
    ),
    Case(
        "edit-binary",
        "edit",
        edit("b.bin", "abc", "x"),
        "NotEditable",
        files(**{"b.bin": b"abc\0"}),
        ("b.bin",),
    ),
    Case(
        "edit-latin1",
        "edit",
        edit("l.txt", "caf", "tea"),
        "NotEditable",
        files(**{"l.txt": "caf\xe9\n".encode("latin-1")}),
        ("l.txt",),
    ),
    Case("edit-empty-old", "edit", edit("a.txt", "", "x"), "EditInvalid", TEXT, ("a.txt",)),
    Case(
        "edit-whitespace-old", "edit", edit("a.txt", " \n\t", "x"), "EditInvalid", TEXT, ("a.txt",)
    ),
    Case(
        "edit-old-equals-new",
        "edit",
        edit("a.txt", "beta", "beta"),
        "EditInvalid",
        TEXT,
        ("a.txt",),
    ),
    Case(
        "edit-not-found", "edit", edit("a.txt", "gamma", "delta"), "EditNotFound", TEXT, ("a.txt",)
    ),
    Case(
        "edit-ambiguous", "edit", edit("a.txt", "alpha", "omega"), "EditAmbiguous", TEXT, ("a.txt",)
    ),
    Case(
        "edit-replace-all",
        "edit",
        edit("a.txt", "alpha", "omega", replace_all=True),
        "ok",
        TEXT,
        ("a.txt",),
    ),
    Case("edit-directory", "edit", edit("d", "a", "b"), "NotEditable", directory("d")),
    Case("edit-missing-file", "edit", edit("nope.txt", "a", "b"), "PathNotFound"),
    Case("edit-fifo", "edit", edit("p", "a", "b"), "NotEditable", fifo("p")),
    Case("edit-empty-file", "edit", edit("e", "x", "y"), "EditNotFound", files(e=b""), ("e",)),
    Case(
        "edit-file-deleted-after-read",
        "edit",
        edit("a.txt", "beta", "b"),
        "PathNotFound",
        TEXT,
        ("a.txt",),
        lambda ws: (ws.root / "a.txt").unlink(),
    ),
    Case("write-over-fifo", "write", {"path": "p", "content": "x"}, "NotEditable", fifo("p")),
    Case(
        "write-over-directory",
        "write",
        {"path": "d", "content": "x"},
        "NotEditable",
        directory("d"),
    ),
    Case("write-over-unread", "write", {"path": "a.txt", "content": "x"}, "NotReadYet", TEXT),
    Case(
        "write-over-stale",
        "write",
        {"path": "a.txt", "content": "x"},
        "StaleFile",
        TEXT,
        ("a.txt",),
        files(**{"a.txt": "changed\n"}),
    ),
    Case("write-new-nested", "write", {"path": "n/e/w.txt", "content": "x"}, "ok"),
    Case(
        "write-under-a-file", "write", {"path": "a.txt/child", "content": "x"}, "PathNotFound", TEXT
    ),
    Case("write-empty-content", "write", {"path": "empty.txt", "content": ""}, "ok"),
    Case(
        "multiedit-second-fails",
        "multiedit",
        {
            "path": "a.txt",
            "edits": [
                {"old_string": "beta", "new_string": "b"},
                {"old_string": "nope", "new_string": "x"},
            ],
        },
        "EditStepFailed",
        TEXT,
        ("a.txt",),
    ),
    Case(
        "multiedit-net-no-change",
        "multiedit",
        {
            "path": "a.txt",
            "edits": [
                {"old_string": "beta", "new_string": "b2"},
                {"old_string": "b2", "new_string": "beta"},
            ],
        },
        "EditNoChange",
        TEXT,
        ("a.txt",),
    ),
    Case("grep-bad-regex", "grep", {"pattern": "(unclosed"}, "BadPattern", TEXT),
    Case("grep-bad-include-glob", "grep", {"pattern": "a", "include": "{a"}, "BadPattern", TEXT),
    Case("grep-binary-only", "grep", {"pattern": "abc"}, "ok", files(**{"b.bin": b"abc\0\0"})),
    Case("glob-bad-pattern", "glob", {"pattern": "{a"}, "BadPattern", TEXT),
    Case("glob-path-is-file", "glob", {"pattern": "*", "path": "a.txt"}, "ToolFailure", TEXT),
    Case("ls-on-a-file", "ls", {"path": "a.txt"}, "ToolFailure", TEXT),
    Case("ls-empty-dir", "ls", {"path": "d"}, "ok", directory("d")),
    # --- patch: malformed patches and hostile targets ------------------------------------------
    *PATCH_CASES,
    # --- bash, web and batch arguments ---------------------------------------------------------
    Case("bash-empty-command", "bash", {"command": ""}, "InvalidArguments"),
    Case(
        "bash-timeout-too-long",
        "bash",
        {"command": "ls", "timeout_ms": 600_001},
        "InvalidArguments",
    ),
    Case("bash-timeout-zero", "bash", {"command": "ls", "timeout_ms": 0}, "InvalidArguments"),
    Case("bash-cwd-parent", "bash", {"command": "ls", "cwd": ".."}, "PathOutsideWorkspace"),
    Case("bash-cwd-absolute", "bash", {"command": "ls", "cwd": "/etc"}, "PathOutsideWorkspace"),
    Case("bash-cwd-missing", "bash", {"command": "ls", "cwd": "nope"}, "PathNotFound"),
    Case("bash-cwd-is-file", "bash", {"command": "ls", "cwd": "a.txt"}, "NotADirectory", TEXT),
    Case("bash-cwd-nul", "bash", {"command": "ls", "cwd": "a\0b"}, "InvalidPath"),
    Case("bash-exit-nonzero", "bash", {"command": "exit 7"}, "ok"),
    Case("bash-binary-output", "bash", {"command": "printf '\\377\\0\\376'"}, "ok"),
    Case("webfetch-file-url", "webfetch", {"url": "file:///etc/passwd"}, "BadUrl"),
    Case("webfetch-ftp-url", "webfetch", {"url": "ftp://example.com/x"}, "BadUrl"),
    Case("webfetch-data-url", "webfetch", {"url": "data:text/html,<b>x</b>"}, "BadUrl"),
    Case("webfetch-javascript-url", "webfetch", {"url": "javascript:alert(1)"}, "BadUrl"),
    Case("webfetch-credentials", "webfetch", {"url": "http://u:p@127.0.0.1/"}, "BadUrl"),
    Case("webfetch-no-host", "webfetch", {"url": "http:///path"}, "BadUrl"),
    Case("webfetch-bad-port", "webfetch", {"url": "http://127.0.0.1:99999/"}, "BadUrl"),
    Case("webfetch-newline", "webfetch", {"url": "http://a/\nHost: b"}, "BadUrl"),
    Case(
        "webfetch-bad-format", "webfetch", {"url": "http://a/", "format": "pdf"}, "InvalidArguments"
    ),
    Case("websearch-empty-query", "websearch", {"query": ""}, "InvalidArguments"),
    Case("websearch-too-many", "websearch", {"query": "x", "max_results": 99}, "InvalidArguments"),
    Case("batch-empty", "batch", {"calls": []}, "InvalidArguments"),
    Case("batch-eleven", "batch", {"calls": [{"tool": "ls"}] * 11}, "InvalidArguments"),
    Case("batch-without-runner", "batch", {"calls": [{"tool": "ls"}]}, "BatchUnavailable"),
    Case("batch-call-not-object", "batch", {"calls": ["ls"]}, "InvalidArguments"),
]


def test_the_catalogue_is_big_enough_and_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_bad_input_has_its_typed_outcome(ws: Workspace, case: Case) -> None:
    case.setup(ws)
    for path in case.read_first:
        await ws.read(path)
    if case.after is not None:
        case.after(ws)
    result = await ws.call(case.tool, case.args)
    outcome = result.metadata.get("error", "ok") if result.is_error else "ok"
    assert outcome == case.expect, result.content
    assert len(result.content.encode()) <= 52 * 1024
