from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from codesm.agent.changes.immediate import ApplyImmediatelySink
from codesm.agent.changes.model import ChangeOutcome, ProposedChange
from codesm.agent.tools.patch_parse import MalformedPatch, parse_patch, patch_paths
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.tool_support import Workspace

APP = (
    "def handler(request):\n    a = 1\n    b = 2\n    return a + b\n\n\n"
    "def other():\n    return 0\n"
)


def envelope(*body: str) -> str:
    return "\n".join(["*** Begin Patch", *body, "*** End Patch", ""])


async def patch(ws: Workspace, text: str) -> tuple[bool, str, object]:
    result = await ws.call("patch", {"patch_text": text})
    return result.is_error, result.content, result.metadata.get("error")


async def test_an_update_hunk_replaces_the_lines_it_names(ws: Workspace) -> None:
    ws.file("app.py", APP)
    await ws.read("app.py")
    err, text, _ = await patch(
        ws,
        envelope(
            "*** Update File: app.py",
            "@@ def handler(request):",
            "     a = 1",
            "-    b = 2",
            "+    b = 3",
            "     return a + b",
        ),
    )
    assert not err, text
    assert ws.bytes_of("app.py").decode() == APP.replace("b = 2", "b = 3")
    assert "Updated app.py (+1 -1" in text


async def test_a_file_can_be_added_updated_moved_and_deleted_in_one_patch(ws: Workspace) -> None:
    ws.file("app.py", APP)
    ws.file("old.py", "x = 1\n")
    ws.file("gone.py", "bye\n")
    for name in ("app.py", "old.py", "gone.py"):
        await ws.read(name)
    err, text, _ = await patch(
        ws,
        envelope(
            "*** Add File: pkg/new.py",
            "+print('new')",
            "+",
            "*** Update File: old.py",
            "*** Move to: pkg/renamed.py",
            "@@",
            "-x = 1",
            "+x = 2",
            "*** Delete File: gone.py",
            "*** Update File: app.py",
            "@@ def other():",
            "-    return 0",
            "+    return 1",
        ),
    )
    assert not err, text
    assert ws.bytes_of("pkg/new.py") == b"print('new')\n"
    assert ws.bytes_of("pkg/renamed.py") == b"x = 2\n"
    assert not (ws.root / "old.py").exists() and not (ws.root / "gone.py").exists()
    assert ws.bytes_of("app.py").decode().endswith("def other():\n    return 1\n")


async def test_a_unified_diff_with_several_files_applies(ws: Workspace) -> None:
    ws.file("a.txt", "one\ntwo\nthree\n")
    ws.file("b.txt", "alpha\nbeta\n")
    await ws.read("a.txt")
    await ws.read("b.txt")
    diff = (
        "diff --git a/a.txt b/a.txt\nindex 1..2 100644\n--- a/a.txt\n+++ b/a.txt\n"
        "@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n"
        "--- a/b.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-alpha\n-beta\n"
        "--- /dev/null\n+++ b/c.txt\n@@ -0,0 +1,2 @@\n+new\n+file\n\\ No newline at end of file\n"
    )
    err, text, _ = await patch(ws, diff)
    assert not err, text
    assert ws.bytes_of("a.txt") == b"one\nTWO\nthree\n"
    assert not (ws.root / "b.txt").exists()
    assert ws.bytes_of("c.txt") == b"new\nfile"


async def test_whitespace_drift_in_context_is_tolerated_and_the_file_keeps_its_own(
    ws: Workspace,
) -> None:
    ws.file("a.py", "if x:\n    y = 1   \n    z = 2\n")
    await ws.read("a.py")
    err, text, _ = await patch(
        ws,
        envelope("*** Update File: a.py", "@@", " if x:", "-  y = 1", "+    y = 5", "     z = 2"),
    )
    assert not err, text
    assert ws.bytes_of("a.py") == b"if x:\n    y = 5\n    z = 2\n"
    assert "whitespace" in text


async def test_crlf_line_endings_and_a_bom_are_kept(ws: Workspace) -> None:
    ws.file("w.txt", "\ufeffa\r\nb\r\nc\r\n")
    await ws.read("w.txt")
    err, text, _ = await patch(ws, envelope("*** Update File: w.txt", " a", "-b", "+B", " c"))
    assert not err, text
    assert ws.bytes_of("w.txt") == "\ufeffa\r\nB\r\nc\r\n".encode()


async def test_end_of_file_pins_the_hunk_to_the_last_lines(ws: Workspace) -> None:
    ws.file("r.txt", "x\nend\nx\nend\n")
    await ws.read("r.txt")
    err, text, _ = await patch(
        ws, envelope("*** Update File: r.txt", "@@", " x", "-end", "+END", "*** End of File")
    )
    assert not err, text
    assert ws.bytes_of("r.txt") == b"x\nend\nx\nEND\n"


async def test_unified_line_numbers_pick_the_nearest_of_repeated_context(ws: Workspace) -> None:
    ws.file("r.txt", "a\nb\na\nb\na\nb\n")
    await ws.read("r.txt")
    err, text, _ = await patch(ws, "--- a/r.txt\n+++ b/r.txt\n@@ -5,2 +5,2 @@\n a\n-b\n+B\n")
    assert not err, text
    assert ws.bytes_of("r.txt") == b"a\nb\na\nb\na\nB\n"


async def test_one_bad_hunk_changes_no_file_at_all(ws: Workspace) -> None:
    ws.file("a.txt", "one\n")
    ws.file("b.txt", "two\n")
    await ws.read("a.txt")
    await ws.read("b.txt")
    err, text, kind = await patch(
        ws,
        envelope(
            "*** Update File: a.txt",
            "-one",
            "+ONE",
            "*** Add File: c.txt",
            "+c",
            "*** Update File: b.txt",
            "-nope",
            "+NOPE",
        ),
    )
    assert err and kind == "HunkMismatch"
    assert "b.txt: hunk 1" in text and "nope" in text
    assert ws.bytes_of("a.txt") == b"one\n" and not (ws.root / "c.txt").exists()
    assert ws.sink.applied == []


async def test_an_unread_file_refuses_the_whole_patch(ws: Workspace) -> None:
    ws.file("a.txt", "one\n")
    ws.file("b.txt", "two\n")
    await ws.read("a.txt")
    err, _, kind = await patch(
        ws, envelope("*** Update File: a.txt", "-one", "+1", "*** Delete File: b.txt")
    )
    assert err and kind == "NotReadYet"
    assert ws.sink.applied == []


async def test_a_stale_file_refuses_the_whole_patch(ws: Workspace) -> None:
    ws.file("a.txt", "one\n")
    await ws.read("a.txt")
    ws.file("a.txt", "one changed\n")
    err, _, kind = await patch(ws, envelope("*** Update File: a.txt", "-one", "+1"))
    assert err and kind == "StaleFile"


async def test_a_path_outside_the_workspace_refuses_the_whole_patch(ws: Workspace) -> None:
    err, _, kind = await patch(ws, envelope("*** Add File: ../evil.txt", "+x"))
    assert err and kind == "PathOutsideWorkspace"
    assert not (ws.root.parent / "evil.txt").exists()


async def test_adding_a_file_that_exists_is_refused(ws: Workspace) -> None:
    ws.file("a.txt", "one\n")
    err, _, kind = await patch(ws, envelope("*** Add File: a.txt", "+x"))
    assert err and kind == "PatchTargetExists"


def test_parse_errors_name_the_line() -> None:
    with pytest.raises(MalformedPatch, match="line 3"):
        parse_patch("*** Begin Patch\n*** Update File: a\nbogus line\n*** End Patch\n")


def test_patch_paths_lists_every_named_file_for_the_permission_check() -> None:
    text = envelope(
        "*** Update File: a.py", "*** Move to: .git/hooks/x", "-a", "+b", "*** Add File: c.py", "+c"
    )
    assert patch_paths(text) == ("a.py", ".git/hooks/x", "c.py")
    assert patch_paths("--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n") == ("x.py",)


class BatchRecordingSink:
    def __init__(self) -> None:
        self.inner = ApplyImmediatelySink()
        self.batches: list[list[str]] = []

    async def propose(self, change: ProposedChange) -> ChangeOutcome:
        raise AssertionError("a sink with propose_batch gets the whole patch at once")

    async def propose_batch(self, changes: Sequence[ProposedChange]) -> list[ChangeOutcome]:
        self.batches.append([c.path for c in changes])
        return [await self.inner.propose(c) for c in changes]


async def test_a_sink_with_propose_batch_gets_the_whole_patch_as_one_proposal(
    ws: Workspace,
) -> None:
    sink = BatchRecordingSink()
    ws.sink = sink  # type: ignore[assignment]
    ws.file("a.txt", "one\n")
    await ws.read("a.txt")
    err, text, _ = await patch(
        ws, envelope("*** Update File: a.txt", "-one", "+1", "*** Add File: b.txt", "+b")
    )
    assert not err, text
    assert sink.batches == [["a.txt", "b.txt"]]
    assert text.startswith("Applied the patch:\n- Updated a.txt (+1 -1 lines; matcher: exact).")


async def test_a_patch_through_the_agent_applies_every_file_in_auto_edit(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    text = envelope("*** Update File: a.txt", "-one", "+1", "*** Add File: sub/b.txt", "+b")
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "a.txt"})]),
        Turn(tool_calls=[ToolCallSpec("patch", {"patch_text": text})]),
        Turn(text="Done."),
    )
    async with agent_harness(tmp_path, scripted_llm, permission_mode="auto-edit") as h:
        (h.root / "a.txt").write_text("one\n")
        await h.agent.run_turn("patch it")
        assert (h.root / "a.txt").read_text() == "1\n"
        assert (h.root / "sub" / "b.txt").read_text() == "b\n"


async def test_a_unified_hunk_header_inside_the_envelope_is_a_line_hint(ws: Workspace) -> None:
    ws.file("r.txt", "a\nb\na\nb\n")
    await ws.read("r.txt")
    err, text, _ = await patch(
        ws, envelope("*** Update File: r.txt", "@@ -3,2 +3,2 @@", " a", "-b", "+B")
    )
    assert not err, text
    assert ws.bytes_of("r.txt") == b"a\nb\na\nB\n"
