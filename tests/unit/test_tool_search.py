"""glob, grep and ls on the native core, and the todo tools."""

from __future__ import annotations

import os

from tests.unit.tool_support import Workspace


async def test_glob_returns_workspace_relative_paths_newest_first(ws: Workspace) -> None:
    old = ws.file("src/old.py", "")
    new = ws.file("src/new.py", "")
    os.utime(old, (1_000, 1_000))
    os.utime(new, (2_000, 2_000))
    ws.file("README.md", "")
    result = await ws.call("glob", {"pattern": "**/*.py"})
    assert result.content.splitlines() == ["src/new.py", "src/old.py"]


async def test_glob_in_a_subdirectory_prefixes_the_subdirectory(ws: Workspace) -> None:
    ws.file("pkg/a.py", "")
    ws.file("other/b.py", "")
    result = await ws.call("glob", {"pattern": "*.py", "path": "pkg"})
    assert result.content == "pkg/a.py"


async def test_glob_caps_at_one_hundred_with_a_note(ws: Workspace) -> None:
    for i in range(120):
        ws.file(f"f{i}.txt", "")
    result = await ws.call("glob", {"pattern": "*.txt"})
    assert len([ln for ln in result.content.splitlines() if ln.endswith(".txt")]) == 100
    assert "there are more" in result.content
    assert result.metadata["truncated"] is True


async def test_glob_honours_gitignore(ws: Workspace) -> None:
    ws.file(".gitignore", "build/\n")
    ws.file("build/x.py", "")
    ws.file("y.py", "")
    result = await ws.call("glob", {"pattern": "**/*.py"})
    assert result.content == "y.py"


async def test_glob_with_no_match_says_so(ws: Workspace) -> None:
    result = await ws.call("glob", {"pattern": "*.rs"})
    assert not result.is_error
    assert "No files match" in result.content


async def test_grep_lists_matching_files_by_default(ws: Workspace) -> None:
    ws.file("a.py", "def hello():\n    pass\n")
    ws.file("b.py", "nothing\n")
    result = await ws.call("grep", {"pattern": "hel+o"})
    assert result.content == "a.py"


async def test_grep_content_mode_shows_path_line_and_context(ws: Workspace) -> None:
    ws.file("a.py", "one\ntwo\nthree\nfour\n")
    result = await ws.call("grep", {"pattern": "three", "output_mode": "content", "context": 1})
    assert result.content.splitlines() == ["a.py-2-two", "a.py:3:three", "a.py-4-four"]


async def test_grep_counts_per_file_and_ignores_case(ws: Workspace) -> None:
    ws.file("a.txt", "Foo\nfoo\nbar\n")
    result = await ws.call("grep", {"pattern": "foo", "output_mode": "count", "-i": True})
    assert result.content == "a.txt:2"


async def test_grep_include_filters_files(ws: Workspace) -> None:
    ws.file("a.py", "needle\n")
    ws.file("a.md", "needle\n")
    result = await ws.call("grep", {"pattern": "needle", "include": "*.md"})
    assert result.content == "a.md"


async def test_grep_head_limit_truncates_with_a_note(ws: Workspace) -> None:
    ws.file("a.txt", "x\n" * 50)
    result = await ws.call("grep", {"pattern": "x", "output_mode": "content", "head_limit": 5})
    assert len([ln for ln in result.content.splitlines() if ln.startswith("a.txt:")]) == 5
    assert "truncated" in result.content


async def test_grep_on_a_single_file_shows_its_workspace_path(ws: Workspace) -> None:
    ws.file("d/a.txt", "needle\n")
    result = await ws.call(
        "grep", {"pattern": "needle", "path": "d/a.txt", "output_mode": "content"}
    )
    assert result.content == "d/a.txt:1:needle"


async def test_grep_with_a_bad_regex_is_an_error_for_the_model(ws: Workspace) -> None:
    result = await ws.call("grep", {"pattern": "(unclosed"})
    assert result.is_error
    assert result.metadata["error"] == "BadPattern"


async def test_ls_draws_a_tree_and_skips_git_and_ignored(ws: Workspace) -> None:
    ws.file(".gitignore", "*.log\n")
    ws.file("src/pkg/a.py", "")
    ws.file("src/b.py", "")
    ws.file("top.txt", "")
    ws.file("debug.log", "")
    ws.file(".git/HEAD", "ref\n")
    result = await ws.call("ls", {})
    assert result.content.splitlines() == [
        "./",
        "  .gitignore",
        "  src/",
        "    b.py",
        "    pkg/",
        "      a.py",
        "  top.txt",
    ]


async def test_ls_ignore_globs_leave_files_out(ws: Workspace) -> None:
    ws.file("a.py", "")
    ws.file("dist/b.js", "")
    result = await ws.call("ls", {"ignore": ["dist"]})
    assert "dist" not in result.content
    assert "a.py" in result.content


async def test_ls_caps_big_trees(ws: Workspace) -> None:
    for i in range(600):
        ws.file(f"d/f{i:03}.txt", "")
    result = await ws.call("ls", {"path": "d"})
    assert "Showing 500 of 600 files" in result.content


async def test_ls_on_a_file_points_to_read(ws: Workspace) -> None:
    ws.file("a.txt", "")
    result = await ws.call("ls", {"path": "a.txt"})
    assert result.is_error
    assert "read" in result.content


async def test_todo_write_then_read_round_trips_per_session(ws: Workspace) -> None:
    todos = [
        {"id": "1", "content": "Write tests", "status": "completed"},
        {"id": "2", "content": "Fix bug", "status": "in_progress"},
        {"id": "3", "content": "Ship", "status": "pending"},
    ]
    written = await ws.call("todo_write", {"todos": todos})
    assert "1/3 completed" in written.content
    result = await ws.call("todo_read", {})
    assert result.content.splitlines()[1:] == [
        "[x] Write tests (id: 1)",
        "[~] Fix bug (id: 2)",
        "[ ] Ship (id: 3)",
    ]
    ws.session_id = "other"
    assert "empty" in (await ws.call("todo_read", {})).content


async def test_todo_write_refuses_duplicate_ids(ws: Workspace) -> None:
    todos = [
        {"id": "1", "content": "a", "status": "pending"},
        {"id": "1", "content": "b", "status": "pending"},
    ]
    result = await ws.call("todo_write", {"todos": todos})
    assert result.is_error
    assert "unique" in result.content
