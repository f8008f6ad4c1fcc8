"""The agent's task list: its items and where they are kept."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

TodoStatus = Literal["pending", "in_progress", "completed"]


class TodoItem(BaseModel):
    """One task on the agent's list."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=100, description="A short stable id for the task.")
    content: str = Field(min_length=1, max_length=2000, description="What to do, imperative.")
    status: TodoStatus = Field(description="pending, in_progress or completed.")


class TodoStore(Protocol):
    """Persists each session's task list (the session store in a real run)."""

    async def load(self, session_id: str) -> list[TodoItem]: ...

    async def save(self, session_id: str, items: list[TodoItem]) -> None: ...


class InMemoryTodoStore:
    """A `TodoStore` that lives as long as the process (tests, headless one-shots)."""

    def __init__(self) -> None:
        self._lists: dict[str, list[TodoItem]] = {}

    async def load(self, session_id: str) -> list[TodoItem]:
        return list(self._lists.get(session_id, []))

    async def save(self, session_id: str, items: list[TodoItem]) -> None:
        self._lists[session_id] = list(items)
