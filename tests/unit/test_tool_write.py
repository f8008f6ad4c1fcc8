"""The write tool: create freely, overwrite only what was read and is unchanged."""

from __future__ import annotations

from tests.unit.tool_support import Workspace


async def test_creating_a_new_file_needs_no_read(ws: Workspace) -> None:
    result = await ws.call("write", {"path": "new/dir/a.py", "content": "print(1)\n"})
    assert not result.is_error, result.content
    assert ws.bytes_of("new/dir/a.py") == b"print(1)\n"
    change = ws.sink.applied[-1]
    assert (change.kind, change.base_hash, change.old_content) == ("create", None, None)
    assert change.diff.startswith("--- /dev/null\n+++ b/new/dir/a.py")


async def test_overwriting_an_unread_file_is_refused(ws: Workspace) -> None:
    ws.file("a.py", "old\n")
    result = await ws.call("write", {"path": "a.py", "content": "new\n"})
    assert result.metadata["error"] == "NotReadYet"
    assert ws.bytes_of("a.py") == b"old\n"


async def test_overwriting_a_read_file_proposes_a_modify_with_a_diff(ws: Workspace) -> None:
    ws.file("a.py", "old\n")
    await ws.read("a.py")
    result = await ws.call("write", {"path": "a.py", "content": "new\n"})
    assert not result.is_error, result.content
    assert ws.bytes_of("a.py") == b"new\n"
    change = ws.sink.applied[-1]
    assert change.kind == "modify"
    assert change.base_hash is not None
    assert "-old\n+new" in change.diff


async def test_overwriting_a_file_changed_since_read_is_refused(ws: Workspace) -> None:
    path = ws.file("a.py", "old\n")
    await ws.read("a.py")
    path.write_text("someone else\n")
    result = await ws.call("write", {"path": "a.py", "content": "new\n"})
    assert result.metadata["error"] == "StaleFile"
    assert path.read_text() == "someone else\n"


async def test_overwriting_keeps_bom_and_crlf(ws: Workspace) -> None:
    ws.file("a.txt", b"\xef\xbb\xbfone\r\ntwo\r\n")
    await ws.read("a.txt")
    await ws.call("write", {"path": "a.txt", "content": "uno\ndos\n"})
    assert ws.bytes_of("a.txt") == b"\xef\xbb\xbfuno\r\ndos\r\n"


async def test_writing_identical_content_changes_nothing(ws: Workspace) -> None:
    ws.file("a.txt", "same\n")
    await ws.read("a.txt")
    result = await ws.call("write", {"path": "a.txt", "content": "same\n"})
    assert "nothing changed" in result.content
    assert ws.sink.applied == []


async def test_writing_over_a_directory_is_refused(ws: Workspace) -> None:
    (ws.root / "d").mkdir()
    result = await ws.call("write", {"path": "d", "content": "x"})
    assert result.is_error
    assert "directory" in result.content


async def test_writing_outside_the_workspace_is_refused(ws: Workspace) -> None:
    result = await ws.call("write", {"path": "../escape.txt", "content": "x"})
    assert result.metadata["error"] == "PathOutsideWorkspace"
    assert not (ws.root.parent / "escape.txt").exists()


async def test_a_write_then_edit_needs_no_read_in_between(ws: Workspace) -> None:
    await ws.call("write", {"path": "a.py", "content": "x = 1\n"})
    result = await ws.call("edit", {"path": "a.py", "old_string": "x = 1", "new_string": "x = 2"})
    assert not result.is_error, result.content
