"""An `@path` mention reads a file as the `read` tool would, so a permission rule that denies
reading it denies the mention too: "no length cap or shortcut ever skips deny" (SECURITY.md).
Without this, anyone who may type a prompt (a controller link included) gets around a
`deny read secrets/**` rule by typing `@secrets/prod.key`."""

from __future__ import annotations

from pathlib import Path

from codesm.agent.events import UserMessage
from codesm.agent.ops import SubmitPrompt
from codesm.agent.permissions.engine import PermissionEngine
from codesm.agent.permissions.rules import Rule, RuleSet
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, Turn

CANARY = "prod-db-password-4f9a1c"


async def test_a_mention_of_a_file_a_rule_denies_reading_is_refused_and_never_sent(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="Noted."))
    async with agent_harness(tmp_path, scripted_llm) as h:
        (h.root / "secrets").mkdir()
        (h.root / "secrets" / "prod.txt").write_text(f"password={CANARY}\n")
        (h.root / "notes.txt").write_text("ordinary notes\n")
        deny = Rule.make("read", "deny", {"path": "secrets/**"}, source="user")
        h.agent.deps.permissions = PermissionEngine(
            [RuleSet(source="user", rules=(deny,))], mode="auto-edit", workspace_root=h.root
        )
        await h.agent.handle(SubmitPrompt(text="compare @secrets/prod.txt with @notes.txt"))
        outcome = await h.agent.wait_idle()
        events = await h.events()
    assert outcome is not None and outcome.status == "completed"
    [user] = [s.event for s in events if isinstance(s.event, UserMessage)]
    assert [(a.path, a.kind) for a in user.attachments] == [
        ("secrets/prod.txt", "refused"),
        ("notes.txt", "file"),
    ]
    assert "denied" in user.attachments[0].note
    sent = str(scripted_llm.completion_requests()[0].body)
    assert CANARY not in sent and "ordinary notes" in sent
