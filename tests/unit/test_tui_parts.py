"""The TUI's pure parts: `/` command parsing, hunk numbering, argument summaries."""

from __future__ import annotations

import pytest

from codesm.tui.commands import SlashCommand, SlashError, completions, parse_slash
from codesm.tui.diff import parse_hunks, render_hunk
from codesm.tui.tools import summarize_arguments

TWO_FILES = """--- a/a.py
+++ b/a.py
@@ -1,2 +1,2 @@
-x = 1
+x = 2
 y = 3
@@ -10,1 +10,1 @@
--- old line that looks like a header
+new
--- a/b.txt
+++ b/b.txt
@@ -1 +1 @@
-old
+new
"""


def test_an_ordinary_prompt_is_no_command() -> None:
    assert parse_slash("fix the bug in /etc/hosts parsing") is None
    assert parse_slash("/usr/bin/env is missing") is None


def test_slash_commands_parse_with_their_argument() -> None:
    assert parse_slash("/model  claude-haiku ") == SlashCommand("model", "claude-haiku")
    assert parse_slash("/rush") == SlashCommand("mode", "rush")
    assert parse_slash("/compact keep the test names") == SlashCommand(
        "compact", "keep the test names"
    )


def test_an_unknown_or_malformed_command_says_what_to_type() -> None:
    with pytest.raises(SlashError, match="/help"):
        parse_slash("/nope")
    with pytest.raises(SlashError, match="auto-edit"):
        parse_slash("/permissions sometimes")


def test_completions_list_the_commands_with_a_prefix() -> None:
    assert [name for name, _ in completions("/co")] == ["/compact", "/context", "/cost", "/connect"]


def test_hunks_are_numbered_across_files_and_a_removed_dash_line_stays_in_its_hunk() -> None:
    hunks = parse_hunks(TWO_FILES)
    assert [(h.index, h.path) for h in hunks] == [(0, "a.py"), (1, "a.py"), (2, "b.txt")]
    assert [line.kind for line in hunks[1].lines] == ["del", "add"]
    assert "x = 2" in render_hunk(hunks[0]).plain


def test_a_call_is_summarised_by_the_argument_that_says_what_it_does() -> None:
    assert summarize_arguments("bash", {"command": "ls   -la"}) == "ls -la"
    assert summarize_arguments("todo_write", {"todos": [{}, {}]}) == "2 task(s)"
