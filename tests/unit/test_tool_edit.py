"""edit and multiedit through the real tool path: read first, stale checks, all-or-nothing."""

from __future__ import annotations

import os
import stat

from tests.unit.tool_support import Workspace


async def test_an_edit_after_a_read_changes_the_file_and_records_the_matcher(
    ws: Workspace,
) -> None:
    ws.file("a.py", "x = 1\ny = 2\n")
    await ws.read("a.py")
    result = await ws.call("edit", {"path": "a.py", "old_string": "y = 2", "new_string": "y = 3"})
    assert not result.is_error, result.content
    assert ws.bytes_of("a.py") == b"x = 1\ny = 3\n"
    change = ws.sink.applied[-1]
    assert change.matchers == ("exact",)
    assert change.kind == "modify"
    assert change.path == "a.py"
    assert "-y = 2\n+y = 3" in change.diff
    assert change.hunks[0].old_start == 1
    assert "matcher: exact" in result.content


async def test_an_edit_to_a_file_never_read_is_refused(ws: Workspace) -> None:
    ws.file("a.py", "x = 1\n")
    result = await ws.call("edit", {"path": "a.py", "old_string": "x", "new_string": "z"})
    assert result.is_error
    assert result.metadata["error"] == "NotReadYet"
    assert ws.bytes_of("a.py") == b"x = 1\n"


async def test_an_edit_to_a_file_changed_since_it_was_read_is_refused(ws: Workspace) -> None:
    path = ws.file("a.py", "x = 1\n")
    await ws.read("a.py")
    path.write_text("x = 2\n")
    result = await ws.call("edit", {"path": "a.py", "old_string": "x", "new_string": "z"})
    assert result.is_error
    assert result.metadata["error"] == "StaleFile"
    assert path.read_text() == "x = 2\n"


async def test_a_rewrite_with_identical_bytes_is_not_stale(ws: Workspace) -> None:
    path = ws.file("a.py", "x = 1\n")
    await ws.read("a.py")
    path.write_text("x = 1\n")
    os.utime(path, (1, 1))
    result = await ws.call("edit", {"path": "a.py", "old_string": "x = 1", "new_string": "x = 2"})
    assert not result.is_error, result.content


async def test_consecutive_edits_need_no_re_read(ws: Workspace) -> None:
    ws.file("a.py", "a\nb\n")
    await ws.read("a.py")
    first = await ws.call("edit", {"path": "a.py", "old_string": "a", "new_string": "A"})
    second = await ws.call("edit", {"path": "a.py", "old_string": "b", "new_string": "B"})
    assert not first.is_error and not second.is_error, second.content
    assert ws.bytes_of("a.py") == b"A\nB\n"


async def test_crlf_and_bom_are_kept_by_an_lf_edit(ws: Workspace) -> None:
    ws.file("w.cs", b"\xef\xbb\xbfclass A {\r\n  int x;\r\n}\r\n")
    await ws.read("w.cs")
    result = await ws.call(
        "edit",
        {"path": "w.cs", "old_string": "class A {\n  int x;", "new_string": "class A {\n  int y;"},
    )
    assert not result.is_error, result.content
    assert ws.bytes_of("w.cs") == b"\xef\xbb\xbfclass A {\r\n  int y;\r\n}\r\n"
    assert ws.sink.applied[-1].matchers == ("line_endings",)


async def test_the_file_mode_is_kept(ws: Workspace) -> None:
    path = ws.file("run.sh", "echo hi\n")
    path.chmod(0o755)
    await ws.read("run.sh")
    await ws.call("edit", {"path": "run.sh", "old_string": "hi", "new_string": "bye"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o755


async def test_not_found_tells_the_model_the_closest_lines(ws: Workspace) -> None:
    ws.file("a.py", "def total(items):\n    return sum(items)\n")
    await ws.read("a.py")
    result = await ws.call(
        "edit", {"path": "a.py", "old_string": "def totals(items):", "new_string": "x"}
    )
    assert result.is_error
    assert result.metadata["error"] == "EditNotFound"
    assert "Did you mean line 1" in result.content


async def test_replace_all_reports_how_many(ws: Workspace) -> None:
    ws.file("a.py", "foo()\nfoo()\nfoo()\n")
    await ws.read("a.py")
    result = await ws.call(
        "edit", {"path": "a.py", "old_string": "foo", "new_string": "bar", "replace_all": True}
    )
    assert "3 replacements" in result.content
    assert ws.bytes_of("a.py") == b"bar()\nbar()\nbar()\n"


async def test_an_ambiguous_edit_is_an_error_naming_the_lines(ws: Workspace) -> None:
    ws.file("a.py", "foo()\nbar()\nfoo()\n")
    await ws.read("a.py")
    result = await ws.call("edit", {"path": "a.py", "old_string": "foo()", "new_string": "baz()"})
    assert result.metadata["error"] == "EditAmbiguous"
    assert "lines 1, 3" in result.content


async def test_editing_a_binary_file_is_refused(ws: Workspace) -> None:
    ws.file("b.bin", b"abc\0def")
    await ws.read("b.bin")
    result = await ws.call("edit", {"path": "b.bin", "old_string": "abc", "new_string": "x"})
    assert result.metadata["error"] == "NotEditable"


async def test_multiedit_applies_edits_in_sequence(ws: Workspace) -> None:
    ws.file("m.py", "a = 1\nb = 2\n")
    await ws.read("m.py")
    result = await ws.call(
        "multiedit",
        {
            "path": "m.py",
            "edits": [
                {"old_string": "a = 1", "new_string": "a = 10"},
                {"old_string": "a = 10\nb = 2", "new_string": "a = 10\nb = 20"},
            ],
        },
    )
    assert not result.is_error, result.content
    assert ws.bytes_of("m.py") == b"a = 10\nb = 20\n"
    assert ws.sink.applied[-1].matchers == ("exact", "exact")


async def test_multiedit_is_all_or_nothing(ws: Workspace) -> None:
    ws.file("m.py", "a = 1\nb = 2\n")
    await ws.read("m.py")
    result = await ws.call(
        "multiedit",
        {
            "path": "m.py",
            "edits": [
                {"old_string": "a = 1", "new_string": "a = 10"},
                {"old_string": "c = 3", "new_string": "c = 30"},
            ],
        },
    )
    assert result.is_error
    assert result.metadata["error"] == "EditStepFailed"
    assert "Edit 2 of 2 failed" in result.content
    assert ws.bytes_of("m.py") == b"a = 1\nb = 2\n"
    assert ws.sink.applied == []


async def test_multiedit_that_ends_where_it_started_is_refused(ws: Workspace) -> None:
    ws.file("m.py", "a = 1\n")
    await ws.read("m.py")
    result = await ws.call(
        "multiedit",
        {
            "path": "m.py",
            "edits": [
                {"old_string": "a = 1", "new_string": "a = 2"},
                {"old_string": "a = 2", "new_string": "a = 1"},
            ],
        },
    )
    assert result.metadata["error"] == "EditNoChange"


async def test_a_conflicting_change_is_reported_and_forgets_the_read(ws: Workspace) -> None:
    class ConflictSink:
        async def propose(self, change: object) -> object:
            from codesm.agent.changes.model import ChangeOutcome

            return ChangeOutcome(status="conflict")

    path = ws.file("a.py", "x = 1\n")
    await ws.read("a.py")
    ws.sink = ConflictSink()  # type: ignore[assignment]
    result = await ws.call("edit", {"path": "a.py", "old_string": "x", "new_string": "y"})
    assert result.is_error
    assert "Conflict" in result.content
    assert ws.ledger.get(path) is None


async def test_a_rejection_with_a_comment_reaches_the_model(ws: Workspace) -> None:
    from codesm.agent.changes.model import ChangeOutcome, ProposedChange

    class RejectSink:
        async def propose(self, change: ProposedChange) -> ChangeOutcome:
            return ChangeOutcome(status="rejected", comment="use a constant instead")

    ws.file("a.py", "x = 1\n")
    await ws.read("a.py")
    ws.sink = RejectSink()  # type: ignore[assignment]
    result = await ws.call("edit", {"path": "a.py", "old_string": "x", "new_string": "y"})
    assert result.is_error
    assert "use a constant instead" in result.content
    assert ws.bytes_of("a.py") == b"x = 1\n"
