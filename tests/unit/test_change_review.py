"""The review gate: partial hunks, what the model is told, events, and undo from the agent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codesm.agent.approvals import ApprovalAnswer, ApprovalBroker
from codesm.agent.changes.apply import ApplyFailed, ChangeApplier
from codesm.agent.changes.formatting import Formatter
from codesm.agent.changes.journal import FileImage
from codesm.agent.events import ApprovalRequested, ChangeApplied, ChangeRejected
from codesm.agent.hub import SessionHub
from codesm.agent.ops import Approve, SubmitPrompt, UndoChange
from codesm.agent.review import GateMode, ReviewGate
from codesm.store import Store
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.change_support import numbered, propose

OLD = numbered(30)
NEW = OLD.replace("line 3\n", "THREE\n").replace("line 27\n", "TWENTY-SEVEN\n")


class AnsweringBroker(ApprovalBroker):
    """Answers every request at once with `answer` and remembers the requests."""

    def __init__(self, hub: SessionHub, session_id: str, answer: ApprovalAnswer) -> None:
        super().__init__(hub, session_id, interactive=True)
        self.answer_given = answer
        self.requests: list[ApprovalRequested] = []

    async def ask(self, request: ApprovalRequested) -> ApprovalAnswer:
        self.requests.append(request)
        return self.answer_given


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "codesm.db") as opened:
        yield opened


@pytest.fixture
async def hub(store: Store) -> AsyncIterator[SessionHub]:
    hub = SessionHub(store)
    yield hub
    await hub.aclose()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "a.txt").write_text(OLD)
    return workspace


async def gate(
    store: Store,
    hub: SessionHub,
    answer: ApprovalAnswer,
    *,
    mode: GateMode = "review",
    applier: ChangeApplier | None = None,
) -> tuple[ReviewGate, str]:
    session_id = (await store.sessions.create()).id
    review = ReviewGate(
        hub=hub,
        session_id=session_id,
        turn_id="t1",
        call_id="c1",
        approvals=AnsweringBroker(hub, session_id, answer),
        applier=applier or ChangeApplier.for_store(store),
        mode=mode,
    )
    return review, session_id


async def test_accepting_one_hunk_writes_only_that_hunk_and_tells_the_model(
    store: Store, hub: SessionHub, root: Path
) -> None:
    review, session_id = await gate(store, hub, ApprovalAnswer(approved=True, hunks=[1]))
    outcome = await review.propose(propose(root, "a.txt", NEW))
    assert (root / "a.txt").read_text() == OLD.replace("line 27\n", "TWENTY-SEVEN\n")
    assert outcome.status == "applied"
    assert outcome.comment is not None
    assert "applied hunk(s) 2 of 2; hunk(s) 1 were not applied" in outcome.comment
    assert "+line 3" in outcome.comment  # how the file differs from what the model proposed
    applied = [s.event for s in await store.events_after(session_id)][-1]
    assert isinstance(applied, ChangeApplied)
    assert applied.diff is not None and "-line 3" not in applied.diff


async def test_accepting_no_hunk_is_a_rejection_and_writes_nothing(
    store: Store, hub: SessionHub, root: Path
) -> None:
    review, _ = await gate(store, hub, ApprovalAnswer(approved=True, hunks=[]))
    outcome = await review.propose(propose(root, "a.txt", NEW))
    assert outcome.status == "rejected"
    assert (root / "a.txt").read_text() == OLD


async def test_every_applied_edit_is_journaled_and_can_be_undone(
    store: Store, hub: SessionHub, root: Path
) -> None:
    applier = ChangeApplier.for_store(store)
    review, _ = await gate(store, hub, ApprovalAnswer(True), mode="apply", applier=applier)
    change = propose(root, "a.txt", NEW)
    await review.propose(change)
    assert (await applier.undo(change.change_id)).status == "undone"
    assert (root / "a.txt").read_text() == OLD


async def test_hunks_are_numbered_across_the_files_of_a_batch(
    store: Store, hub: SessionHub, root: Path
) -> None:
    (root / "b.txt").write_text(OLD)
    review, _ = await gate(store, hub, ApprovalAnswer(approved=True, hunks=[0, 3]))
    outcomes = await review.propose_batch(
        [propose(root, "a.txt", NEW), propose(root, "b.txt", NEW)]
    )
    assert [o.status for o in outcomes] == ["applied", "applied"]
    assert (root / "a.txt").read_text() == OLD.replace("line 3\n", "THREE\n")
    assert (root / "b.txt").read_text() == OLD.replace("line 27\n", "TWENTY-SEVEN\n")


async def test_a_write_failure_is_reported_as_a_rejection_and_raised_for_the_model(
    store: Store, hub: SessionHub, root: Path
) -> None:
    def broken(path: Path, image: FileImage) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    applier = ChangeApplier.for_store(store, writer=broken)
    review, session_id = await gate(store, hub, ApprovalAnswer(True), mode="apply", applier=applier)
    with pytest.raises(ApplyFailed, match="Permission denied"):
        await review.propose(propose(root, "a.txt", NEW))
    last = [s.event for s in await store.events_after(session_id)][-1]
    assert isinstance(last, ChangeRejected) and last.reason == "error"
    assert (root / "a.txt").read_text() == OLD


async def test_format_on_save_is_reported_in_the_outcome(
    store: Store, hub: SessionHub, root: Path
) -> None:
    (root / "m.py").write_text("x = 1\n")
    applier = ChangeApplier.for_store(store, formatter=Formatter(root=root))
    review, _ = await gate(store, hub, ApprovalAnswer(True), mode="apply", applier=applier)
    outcome = await review.propose(propose(root, "m.py", "x = 1\ny=( 2 )\n"))
    assert (root / "m.py").read_text() == "x = 1\ny = 2\n"
    assert outcome.comment is not None
    assert "m.py was formatted with ruff format" in outcome.comment
    assert "+y = 2" in outcome.comment


async def test_an_approved_hunk_subset_and_an_undo_through_the_agent(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "a.txt"})]),
        Turn(tool_calls=[ToolCallSpec("write", {"path": "a.txt", "content": NEW})]),
        Turn(text="Done."),
    )
    async with agent_harness(
        tmp_path, scripted_llm, permission_mode="review", interactive=True
    ) as h:
        (h.root / "a.txt").write_text(OLD)
        async with h.hub.subscribe(h.session_id) as events:
            await h.agent.handle(SubmitPrompt(text="rename two lines"))
            async for stored in events:
                if stored.event.type == "approval_requested":
                    await h.agent.handle(Approve(call_id=stored.event.call_id, hunks=[0]))
                if stored.event.type == "turn_finished":
                    break
        await h.agent.wait_idle()
        assert (h.root / "a.txt").read_text() == OLD.replace("line 3\n", "THREE\n")
        await h.agent.handle(UndoChange())
        assert (h.root / "a.txt").read_text() == OLD
        assert (await h.types())[-1] == "change_undone"
    third = str(scripted_llm.completion_requests()[2].body["messages"])
    assert "applied hunk(s) 1 of 2" in third
