"""Model turns that several browser tests script on the scripted LLM server."""

from __future__ import annotations

from tests.support.scripted_llm import ToolCallSpec, Turn

TITLE_TURN = Turn(text="Greeting the project")


def edit_turns(comment_reply: str = "Understood.") -> list[Turn]:
    """Read notes.txt, propose the edit beta -> BETA, then reply `comment_reply`; then the title."""
    return [
        Turn(tool_calls=[ToolCallSpec("read", {"path": "notes.txt"}, id="call_read")]),
        Turn(
            text="I will rename beta.",
            tool_calls=[
                ToolCallSpec(
                    "edit",
                    {"path": "notes.txt", "old_string": "beta", "new_string": "BETA"},
                    id="call_edit",
                )
            ],
        ),
        Turn(text=comment_reply),
        TITLE_TURN,
    ]
