"""`skill`: load a skill's instructions and list its files, or read one of its files."""

from __future__ import annotations

from pydantic import Field

from codesm.agent.tools.base import Params, Tool, ToolContext, ToolFailure, ToolResult
from codesm.skills.discovery import SkillCatalog, SkillError
from codesm.workspace.paths import resolve_in_workspace

MAX_FILE_BYTES = 128 * 1024


class SkillParams(Params):
    name: str = Field(description="The skill's name, as listed in the system prompt.")
    file: str | None = Field(
        default=None,
        description="A file of the skill to read (a path from the skill's file list).",
    )


class SkillTool(Tool[SkillParams]):
    """Reads from the skills discovered when the session started; never writes."""

    name = "skill"
    params = SkillParams
    read_only = True

    def __init__(self, catalog: SkillCatalog) -> None:
        self.catalog = catalog

    async def run(self, params: SkillParams, ctx: ToolContext) -> ToolResult:
        skill = self.catalog.get(params.name)
        if skill is None:
            names = ", ".join(self.catalog.skills) or "none"
            raise ToolFailure(f"No skill named {params.name!r}. Available skills: {names}.")
        if params.file is not None:
            # Skill folders live outside the workspace: confine to the skill's own folder.
            path = resolve_in_workspace(skill.path, params.file, must_exist=True, allow_root=False)
            if not path.is_file():
                raise ToolFailure(f"{params.file!r} is not a file of skill {skill.name!r}.")
            with path.open("rb") as handle:
                raw = handle.read(MAX_FILE_BYTES + 1)
            text = raw[:MAX_FILE_BYTES].decode("utf-8", errors="replace")
            note = "\n[... cut]" if len(raw) > MAX_FILE_BYTES else ""
            return ToolResult(
                f'<skill_file skill="{skill.name}" path="{params.file}">\n'
                f"{text}{note}\n</skill_file>"
            )
        try:
            body = skill.body()
        except SkillError as exc:
            raise ToolFailure(str(exc)) from exc
        files = skill.files()
        listing = "\n".join(f"- {f}" for f in files) if files else "(none)"
        return ToolResult(
            f'<skill name="{skill.name}" path="{skill.path}">\n{body}\n</skill>\n'
            f"Files of this skill (read one with skill(name, file=...)):\n{listing}",
            metadata={"skill": skill.name},
        )
