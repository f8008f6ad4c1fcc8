"""The agent's task list: its items and where they are kept."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from codesm.store import Store

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


class SessionTodoStore:
    """A `TodoStore` kept in the session database, so the list survives restarts and every UI of
    the session sees the same one."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def load(self, session_id: str) -> list[TodoItem]:
        return [TodoItem.model_validate(item) for item in await self._store.todos.load(session_id)]

    async def save(self, session_id: str, items: list[TodoItem]) -> None:
        await self._store.todos.save(session_id, [item.model_dump() for item in items])
