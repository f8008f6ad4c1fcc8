"""`codesm threads ...` through click's runner, against the isolated store and the scripted LLM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesm.threads.share import share_dir
from tests.support.scripted_llm import ScriptedLLMServer, Turn, UsageSpec
from tests.unit.cli_support import codesm, conversation, seed


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    monkeypatch.chdir(ws)
    return ws


@pytest.fixture
def llm_env(scripted_llm: ScriptedLLMServer, monkeypatch: pytest.MonkeyPatch) -> ScriptedLLMServer:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "x")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", scripted_llm.base_url)
    return scripted_llm


def test_list_json_has_counts_cost_and_labels(workspace: Path) -> None:
    (tid,) = seed(workspace, [("Fix the parser", conversation("fix it", "done"))], labels=["bug"])
    result = codesm("threads", "list", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["id"] == tid
    assert row["title"] == "Fix the parser"
    assert row["messages"] == 2
    assert row["cost_usd"] == 0.25
    assert row["labels"] == ["bug"]


def test_list_table_shows_short_ids_and_titles(workspace: Path) -> None:
    (tid,) = seed(workspace, [("Refactor the loop", conversation("go", "ok"))])
    result = codesm("threads", "list")
    assert result.exit_code == 0
    assert "ID" in result.stdout and "COST" in result.stdout
    assert tid[:8] in result.stdout and "Refactor the loop" in result.stdout


def test_list_filters_by_label_and_archived(workspace: Path) -> None:
    a, b = seed(workspace, [("one", conversation("a", "b")), ("two", conversation("c", "d"))])
    assert codesm("threads", "archive", a[:8]).exit_code == 0
    listed = json.loads(codesm("threads", "list", "--json").stdout)
    assert [row["id"] for row in listed] == [b]
    archived = json.loads(codesm("threads", "list", "--json", "--archived").stdout)
    assert [row["id"] for row in archived] == [a]
    assert json.loads(codesm("threads", "list", "--json", "--label", "nope").stdout) == []


def test_list_filters_by_project(workspace: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    seed(other, [("elsewhere", conversation("x", "y"))])
    (mine,) = seed(workspace, [("here", conversation("x", "y"))])
    rows = json.loads(codesm("threads", "list", "--json", "--project", str(workspace)).stdout)
    assert [row["id"] for row in rows] == [mine]


def test_new_creates_a_labelled_thread_and_prints_its_id(workspace: Path) -> None:
    result = codesm("threads", "new", "--label", "spike", "--title", "Try things")
    assert result.exit_code == 0
    tid = result.stdout.strip()
    (row,) = json.loads(codesm("threads", "list", "--json").stdout)
    assert row["id"] == tid and row["labels"] == ["spike"] and row["title"] == "Try things"


def test_search_finds_tool_output_and_ranks_title_matches_first(workspace: Path) -> None:
    body, titled, _ = seed(
        workspace,
        [
            ("Unrelated", conversation("look", "ok", tool_output="zebra.py\nmain.py")),
            ("Zebra stripes", conversation("paint it", "painted")),
            ("Nothing here", conversation("hello", "hi")),
        ],
    )
    result = codesm("threads", "search", "zebra", "--json")
    assert result.exit_code == 0
    hits = json.loads(result.stdout)
    assert [hit["id"] for hit in hits] == [titled, body]
    assert hits[1]["match"] == "tool"
    assert "**zebra**" in hits[1]["snippet"]


def test_search_text_output_shows_snippets_and_misses_say_so(workspace: Path) -> None:
    seed(workspace, [("t", conversation("where is the flux capacitor", "in the car"))])
    found = codesm("threads", "search", "capacitor")
    assert found.exit_code == 0 and "[user]" in found.stdout and "capacitor" in found.stdout
    missed = codesm("threads", "search", "warpdrive")
    assert missed.exit_code == 0 and "No thread matches" in missed.stdout


def test_rename_and_unknown_ids_are_usage_errors(workspace: Path) -> None:
    (tid,) = seed(workspace, [("old", conversation("a", "b"))])
    assert codesm("threads", "rename", tid[:6], "New", "name").exit_code == 0
    assert json.loads(codesm("threads", "list", "--json").stdout)[0]["title"] == "New name"
    missing = codesm("threads", "rename", "ffffffff", "x")
    assert missing.exit_code == 2
    assert "no thread with id" in missing.stderr


def test_delete_asks_and_keeps_the_thread_when_told_no(workspace: Path) -> None:
    (tid,) = seed(workspace, [("keep me", conversation("a", "b"))])
    result = codesm("threads", "delete", tid, input="n\n")
    assert result.exit_code == 0 and "Nothing deleted" in result.stdout
    assert len(json.loads(codesm("threads", "list", "--json").stdout)) == 1
    assert codesm("threads", "delete", tid, "--yes").exit_code == 0
    assert json.loads(codesm("threads", "list", "--json").stdout) == []


def test_markdown_has_messages_tool_calls_and_diffs(workspace: Path) -> None:
    (tid,) = seed(workspace, [("Edit", conversation("change hi", "Changed it.", tool_output="x"))])
    result = codesm("threads", "markdown", tid)
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith("# Edit\n")
    assert "## User\n\nchange hi" in text
    assert "**Tool call `bash`**\n\n```sh\nls\n```" in text
    assert "```diff\n--- a/app.py" in text and "+print('hello')" in text
    assert "Changed it." in text and "$0.2500" in text


def test_markdown_fences_survive_backticks_in_output(workspace: Path) -> None:
    (tid,) = seed(workspace, [("t", conversation("a", "b", tool_output="```\ncode\n```"))])
    text = codesm("threads", "markdown", tid).stdout
    assert "````\n```\ncode\n```\n````" in text


def test_replay_types_the_thread_out_with_pauses(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tid,) = seed(
        workspace, [("t", conversation("hello there", "General Kenobi", tool_output="x"))]
    )
    pauses: list[float] = []
    monkeypatch.setattr("time.sleep", pauses.append)
    result = codesm("threads", "replay", tid, "--speed", "2")
    assert result.exit_code == 0
    assert "> hello there" in result.stdout and "General Kenobi" in result.stdout
    assert "bash(ls)" in result.stdout
    assert pauses and all(p <= 0.5 for p in pauses)


def test_replay_interrupted_exits_130(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tid,) = seed(workspace, [("t", conversation("a", "some words to type"))])

    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("time.sleep", interrupt)
    result = codesm("threads", "replay", tid)
    assert result.exit_code == 130
    assert "interrupted" in result.stderr


def test_handoff_print_drafts_goal_decisions_and_files(workspace: Path) -> None:
    events = [
        *conversation("Make the parser fast", "Parser is 2x faster.", tool_output="x"),
        *conversation("Keep the public API unchanged", "Kept it."),
    ]
    (tid,) = seed(workspace, [("Parser", events)])
    result = codesm("threads", "handoff", tid, "--print")
    assert result.exit_code == 0
    draft = result.stdout
    assert "Goal:\nMake the parser fast" in draft
    assert "- Keep the public API unchanged" in draft
    assert "Files already changed:\n- app.py" in draft
    assert "Where the previous thread got to:\nKept it." in draft


def test_handoff_starts_the_new_thread_headless(
    workspace: Path, llm_env: ScriptedLLMServer
) -> None:
    (tid,) = seed(workspace, [("Parser", conversation("Make it fast", "Done half."))])
    llm_env.script(Turn(text="Goal: a fast parser."), Turn(text="Picking up from the handoff."))
    result = codesm("threads", "handoff", tid, "--goal", "Finish the speedup", "--no-edit")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Picking up from the handoff.\n"
    sent = json.dumps(llm_env.completion_requests()[1].body["messages"])
    assert "Finish the speedup" in sent and "Goal: a fast parser." in sent
    titles = [row["title"] for row in json.loads(codesm("threads", "list", "--json").stdout)]
    assert "Handoff: Parser" in titles


SUMMARY = (
    "Goal: make the parser fast without changing its API.\n"
    "Decisions: memoise the tokenizer; keep parse() signature.\n"
    "Relevant files: app.py (the entry point)."
)


def test_handoff_asks_the_rush_model_for_a_summary_of_the_transcript(
    workspace: Path, llm_env: ScriptedLLMServer
) -> None:
    events = [
        *conversation("Make the parser fast", "Parser is 2x faster.", tool_output="lexer.py"),
        *conversation("Keep the public API unchanged", "Kept it."),
    ]
    (tid,) = seed(workspace, [("Parser", events)])
    before = json.loads(codesm("threads", "list", "--json").stdout)[0]["cost_usd"]
    llm_env.script(Turn(text=SUMMARY, usage=UsageSpec(input_tokens=2000, output_tokens=200)))
    result = codesm("threads", "handoff", tid, "--print")
    assert result.exit_code == 0, result.stderr
    assert f"Summary of the previous thread:\n{SUMMARY}" in result.stdout
    assert "Goal:\nMake the parser fast" in result.stdout
    assert "Files already changed:\n- app.py" in result.stdout
    (request,) = llm_env.completion_requests()
    sent = json.dumps(request.body)
    for part in ("Make the parser fast", "Keep the public API unchanged", "Parser is 2x faster.",
                 "lexer.py", "Kept it."):  # fmt: skip
        assert part in sent, part
    assert "haiku" in request.body["model"]
    after = json.loads(codesm("threads", "list", "--json").stdout)[0]
    assert after["cost_usd"] > before and after["messages"] == 4  # cost counted, log untouched


def test_handoff_without_a_provider_keeps_the_log_draft_and_says_why(workspace: Path) -> None:
    (tid,) = seed(workspace, [("Parser", conversation("Make it fast", "Done half."))])
    result = codesm("threads", "handoff", tid, "--print")
    assert result.exit_code == 0
    assert "no model to summarise with" in result.stderr
    assert "without a model summary" in result.stderr
    assert "Where the previous thread got to:\nDone half." in result.stdout
    assert "Summary of the previous thread" not in result.stdout


def test_handoff_offline_keeps_the_log_draft_and_says_why(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "x")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{closed}")
    (tid,) = seed(workspace, [("Parser", conversation("Make it fast", "Done half."))])
    result = codesm("threads", "handoff", tid, "--print")
    assert result.exit_code == 0
    assert "could not be reached" in result.stderr
    assert "Where the previous thread got to:\nDone half." in result.stdout


def test_continue_with_execute_runs_in_the_same_thread(
    workspace: Path, llm_env: ScriptedLLMServer
) -> None:
    tid = codesm("threads", "new").stdout.strip()
    llm_env.script(Turn(text="first"), Turn(text="second"))
    assert codesm("threads", "continue", tid, "-x", "one").stdout == "first\n"
    again = codesm("threads", "continue", tid[:8], "-x", "two")
    assert again.exit_code == 0 and again.stdout == "second\n"
    sent = json.dumps(llm_env.completion_requests()[1].body["messages"])
    assert "one" in sent and "first" in sent
    (row,) = json.loads(codesm("threads", "list", "--json").stdout)
    assert row["messages"] == 4


def test_continue_without_execute_and_without_a_terminal_points_to_x(workspace: Path) -> None:
    tid = codesm("threads", "new").stdout.strip()
    result = codesm("threads", "continue", tid)
    assert result.exit_code == 2
    assert "-x" in result.stderr


def test_share_explains_that_lan_sharing_is_not_running(workspace: Path) -> None:
    (tid,) = seed(workspace, [("t", conversation("a", "b"))])
    result = codesm("--visibility", "workspace", "threads", "share", tid)
    assert result.exit_code == 1
    assert "codesm web --share" in result.stderr and f"threads markdown {tid}" in result.stderr


def test_share_prints_the_link_a_running_server_advertises(workspace: Path) -> None:
    import os

    (tid,) = seed(workspace, [("t", conversation("a", "b"))])
    share_dir().mkdir(parents=True)
    url = "http://192.168.1.5:8123/v/{session_id}?t=abc"
    (share_dir() / "1.json").write_text(json.dumps({"pid": os.getpid(), "session_url": url}))
    private = codesm("threads", "share", tid)
    assert private.exit_code == 1 and private.stdout == ""
    assert "is private, so it has no share link" in private.stderr
    assert "--visibility workspace" in private.stderr
    shared = codesm("--visibility", "workspace", "threads", "share", tid)
    assert shared.exit_code == 0
    assert shared.stdout.strip() == f"http://192.168.1.5:8123/v/{tid}?t=abc"
    # The visibility is stored with the thread: later shares need no flag.
    again = codesm("threads", "share", tid)
    assert again.exit_code == 0 and again.stdout.strip() == shared.stdout.strip()
    (row,) = json.loads(codesm("threads", "list", "--json").stdout)
    assert row["visibility"] == "workspace"
    assert codesm("--visibility", "private", "threads", "share", tid).exit_code == 1
    (row,) = json.loads(codesm("threads", "list", "--json").stdout)
    assert row["visibility"] == "private"


def test_visibility_is_stored_with_new_threads(workspace: Path, llm_env: ScriptedLLMServer) -> None:
    private = codesm("threads", "new").stdout.strip()
    shared = json.loads(codesm("--visibility", "workspace", "threads", "new", "--json").stdout)
    llm_env.script(Turn(text="ok"))
    assert codesm("--visibility", "workspace", "-x", "hello").exit_code == 0
    rows = {
        row["id"]: row["visibility"]
        for row in json.loads(codesm("threads", "list", "--json").stdout)
    }
    assert rows[private] == "private" and rows[shared["id"]] == "workspace"
    assert sorted(rows.values()) == ["private", "workspace", "workspace"]
