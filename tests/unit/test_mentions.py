"""`@path` mentions attach files to a prompt: read through the workspace confinement, binary and
hostile paths refused with a reason, large files cut, directories listed, and the content
reaches the model in the request it is sent."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from codesm.agent.events import Attachment, StoredEvent, TurnStarted, UserMessage
from codesm.agent.mentions import MAX_FILE_BYTES, attach_mentions, mentioned_paths
from codesm.agent.ops import SubmitPrompt
from codesm.agent.tools.ledger import ReadLedger
from codesm.web.app import TEMPLATES_DIR
from codesm.web.render.diff import parse_unified_diff
from codesm.web.render.live import SessionRenderer
from codesm.web.render.view import StatusView
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn


@pytest.fixture
def root(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    (workspace / "src").mkdir(parents=True)
    (workspace / "src" / "app.py").write_text("def greet():\n    return 'hi'\n")
    (workspace / "src" / "util.py").write_text("X = 1\n")
    (tmp_path / "secret.txt").write_text("outside the workspace\n")
    return workspace


async def attach(root: Path, text: str) -> list[Attachment]:
    return (await attach_mentions(root, text)).attachments


def test_mentions_are_at_words_not_email_addresses() -> None:
    text = "see @src/app.py and @notes.md, mail me at bob@example.com; @src/app.py again"
    assert mentioned_paths(text) == ["src/app.py", "notes.md,"]


async def test_a_mentioned_file_is_attached_with_its_text(root: Path) -> None:
    [found] = await attach(root, "explain @src/app.py please")
    assert found == Attachment(
        path="src/app.py", kind="file", content="def greet():\n    return 'hi'\n", size=29
    )


async def test_sentence_punctuation_after_a_mention_is_not_part_of_the_path(root: Path) -> None:
    [found] = await attach(root, "what does @src/app.py?")
    assert found.path == "src/app.py" and found.kind == "file"


async def test_a_directory_is_attached_as_a_listing(root: Path) -> None:
    [found] = await attach(root, "tour @src")
    assert found.kind == "directory" and found.size == 2
    assert found.content == "src/\n  app.py\n  util.py"


async def test_a_missing_path_is_left_as_text(root: Path) -> None:
    assert await attach(root, "use @dataclass or @missing/file.py here") == []


@pytest.mark.parametrize(
    "mention",
    ["../secret.txt", "../../etc/passwd", "/etc/passwd", "src/../../secret.txt"],
)
async def test_paths_outside_the_workspace_are_refused_and_never_read(
    root: Path, mention: str
) -> None:
    [found] = await attach(root, f"read @{mention}")
    assert found.kind == "refused" and "outside the workspace" in found.note
    assert found.content == ""


async def test_a_symlink_out_of_the_workspace_is_refused(root: Path, tmp_path: Path) -> None:
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "linkdir").symlink_to(tmp_path)
    found = await attach(root, "@link.txt @linkdir/secret.txt @linkdir")
    assert [a.kind for a in found] == ["refused", "refused", "refused"]
    assert all("outside" not in a.content for a in found)


async def test_a_binary_file_is_refused_with_what_it_is(root: Path) -> None:
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    [found] = await attach(root, "@logo.png")
    assert found.kind == "refused" and found.content == ""
    assert found.note.startswith("a binary file (PNG image")


async def test_a_large_file_is_cut_to_the_cap_with_a_note(root: Path) -> None:
    line = "x" * 99 + "\n"
    (root / "big.log").write_text(line * 5000)  # 500 kB
    mentions = await attach_mentions(root, "@big.log")
    [found] = mentions.attachments
    assert found.kind == "file" and found.size == 500_000
    assert len(found.content.encode()) <= MAX_FILE_BYTES and found.content.endswith("\n")
    assert found.note.startswith("truncated: the first")
    assert mentions.read == {}  # a cut file does not count as read for edits


async def test_a_fifo_is_refused_without_blocking(root: Path) -> None:
    os.mkfifo(root / "pipe")
    [found] = await attach(root, "@pipe")
    assert found == Attachment(path="pipe", kind="refused", note="not a regular file")


async def test_a_file_read_whole_counts_as_read(root: Path) -> None:
    mentions = await attach_mentions(root, "@src/app.py")
    ledger = ReadLedger()
    for path, digest in mentions.read.items():
        ledger.record(path, digest)
    assert (root / "src" / "app.py").resolve() in ledger


async def test_the_model_receives_the_attached_file_and_can_edit_it_unread(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    edit = {"path": "notes.txt", "old_string": "beta", "new_string": "BETA"}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("edit", edit, id="call_edit")]),
        Turn(text="Done."),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        (h.root / "notes.txt").write_text("alpha\nbeta\n")
        await h.agent.handle(SubmitPrompt(text="capitalise beta in @notes.txt and @../x"))
        outcome = await h.agent.wait_idle()
        events = await h.events()
    assert outcome is not None and outcome.status == "completed"
    [user] = [s.event for s in events if isinstance(s.event, UserMessage)]
    assert [a.kind for a in user.attachments] == ["file", "refused"]
    first = scripted_llm.completion_requests()[0].body
    sent = str(first["messages"][-1]["content"])
    assert "capitalise beta in @notes.txt" in sent
    assert '<attached-file path="notes.txt">\\nalpha\\nbeta\\n</attached-file>' in sent
    assert '<attached-file path="../x" status="not attached">' in sent
    assert (h.root / "notes.txt").read_text() == "alpha\nBETA\n"


def test_the_chat_shows_chips_escaped_and_never_the_attached_content() -> None:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(csrf_token="t", parse_diff=parse_unified_diff)
    renderer = SessionRenderer(
        env.get_template("partials/live.html").module,
        StatusView("smart", "review", "model-x", 200_000),
        str,
    )
    hostile = "<img src=x onerror=alert(1)>.py"
    attachments = [
        Attachment(path="notes.txt", kind="file", content="TOP SECRET\nline 2\n", size=18),
        Attachment(path="src", kind="directory", content="src/\n  a.py", size=1),
        Attachment(path=hostile, kind="refused", note="outside the workspace"),
    ]
    events = [
        TurnStarted(turn_id="t1"),
        UserMessage(turn_id="t1", text="look", attachments=attachments),
    ]
    now = datetime.now(UTC)
    html = "".join(
        "".join(renderer.apply(StoredEvent(session_id="s", seq=n, ts=now, event=e)))
        for n, e in enumerate(events, 1)
    )
    assert 'class="attachments" aria-label="Attached" hx-disable' in html
    assert 'notes.txt</span> <span class="muted">· 2 lines' in html
    assert "src/</span>" in html and "· 1 file<" in html
    assert "not attached: outside the workspace" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;.py" in html
    assert "TOP SECRET" not in html
