"""`todo_write` and `todo_read`: the agent's task list for this session."""

from __future__ import annotations

from pydantic import Field

from codesm.agent.tools.base import Params, Tool, ToolContext, ToolFailure, ToolResult
from codesm.agent.tools.todo_store import TodoItem

MAX_TODOS = 100
_MARK = {"pending": "[ ]", "in_progress": "[~]", "completed": "[x]"}


class TodoWriteParams(Params):
    todos: list[TodoItem] = Field(
        max_length=MAX_TODOS, description="The complete, updated task list (replaces the old one)."
    )


class TodoReadParams(Params):
    pass


def render_todos(items: list[TodoItem]) -> str:
    if not items:
        return "The task list is empty."
    done = sum(1 for t in items if t.status == "completed")
    lines = [f"{_MARK[t.status]} {t.content} (id: {t.id})" for t in items]
    return f"Tasks ({done}/{len(items)} completed):\n" + "\n".join(lines)


class TodoWriteTool(Tool[TodoWriteParams]):
    name = "todo_write"
    params = TodoWriteParams
    # It changes only the session's task list, never the workspace.
    read_only = True

    async def run(self, params: TodoWriteParams, ctx: ToolContext) -> ToolResult:
        ids = [t.id for t in params.todos]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ToolFailure(f"Task ids must be unique; repeated: {', '.join(dupes)}.")
        await ctx.todos.save(ctx.session_id, list(params.todos))
        return ToolResult(
            render_todos(list(params.todos)),
            metadata={"todos": [t.model_dump() for t in params.todos]},
        )


class TodoReadTool(Tool[TodoReadParams]):
    name = "todo_read"
    params = TodoReadParams
    read_only = True

    async def run(self, params: TodoReadParams, ctx: ToolContext) -> ToolResult:
        items = await ctx.todos.load(ctx.session_id)
        return ToolResult(render_todos(items), metadata={"todos": [t.model_dump() for t in items]})
