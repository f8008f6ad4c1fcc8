"""Agent Skills: folders with a `SKILL.md` (YAML front matter `name`, `description`; a Markdown
body), found in `<workspace>/.codesm/skills/`, `~/.config/codesm/skills/` and `codesm.skills.path`.

Only names and descriptions go into the system prompt; the `skill` tool loads a body on demand.
A skill with bad front matter is skipped with a warning that says what to fix, never a crash.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from codesm import paths

log = logging.getLogger(__name__)

__all__ = [
    "Skill",
    "SkillCatalog",
    "SkillError",
    "discover_skills",
    "load_skill",
    "project_skills_dir",
    "user_skills_dir",
]

SKILL_FILE = "SKILL.md"
MAX_SKILL_BYTES = 256 * 1024
MAX_DESCRIPTION = 1024
MAX_FILES_LISTED = 200
SkillSource = Literal["project", "user", "path"]
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class SkillError(ValueError):
    """A skill folder that cannot be used; the message names the file and what to fix."""


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    path: Path
    source: SkillSource
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def skill_file(self) -> Path:
        return self.path / SKILL_FILE

    def body(self) -> str:
        """The instructions after the front matter (read now, so edits show up)."""
        return split_front_matter(_read(self.skill_file), self.skill_file)[1].strip()

    def files(self, limit: int = MAX_FILES_LISTED) -> list[str]:
        """Other files of the skill (scripts, references, assets), relative, sorted, capped."""
        found: list[str] = []
        for folder, dirs, names in os.walk(self.path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                rel = os.path.relpath(os.path.join(folder, name), self.path)
                if rel != SKILL_FILE and not name.startswith("."):
                    found.append(rel.replace(os.sep, "/"))
                if len(found) >= limit:
                    return found
        return found


@dataclass(frozen=True)
class SkillCatalog:
    skills: dict[str, Skill]
    warnings: list[str] = field(default_factory=list)

    def get(self, name: str) -> Skill | None:
        return self.skills.get(name)

    def prompt_section(self) -> str:
        """What the system prompt says about skills (empty when there are none)."""
        if not self.skills:
            return ""
        lines = [f"- {s.name}: {' '.join(s.description.split())}" for s in self.skills.values()]
        return (
            "<skills>\nSkills are instructions for specific tasks. When a task matches a skill's "
            "description, load it with the skill tool before you start.\n"
            + "\n".join(lines)
            + "\n</skills>"
        )


def user_skills_dir() -> Path:
    return paths.config_dir() / "skills"


def project_skills_dir(workspace: Path) -> Path:
    return workspace / ".codesm" / "skills"


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SKILL_BYTES + 1)
    except OSError as exc:
        raise SkillError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_SKILL_BYTES:
        raise SkillError(f"{path}: larger than {MAX_SKILL_BYTES // 1024} KiB")
    return raw.decode("utf-8", errors="replace")


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    """The YAML front matter (between `---` lines at the top) and the body."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise SkillError(f"{path}: no front matter; start the file with a '---' line")
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            header, body = "".join(lines[1:index]), "".join(lines[index + 1 :])
            break
    else:
        raise SkillError(f"{path}: the front matter is not closed by a '---' line")
    try:
        data = yaml.safe_load(header)
    except yaml.YAMLError as exc:
        raise SkillError(f"{path}: the front matter is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SkillError(f"{path}: the front matter must be a mapping with name and description")
    return {str(k): v for k, v in data.items()}, body


def load_skill(folder: Path, source: SkillSource, warnings: list[str] | None = None) -> Skill:
    """Read and check one skill folder; `SkillError` if it cannot be used."""
    warnings = warnings if warnings is not None else []
    skill_file = folder / SKILL_FILE
    front, _ = split_front_matter(_read(skill_file), skill_file)
    name, description = front.get("name"), front.get("description")
    if not isinstance(name, str) or not name.strip():
        raise SkillError(f"{skill_file}: the front matter needs a 'name'")
    name = name.strip()
    if len(name) > 64 or not _NAME.match(name):
        raise SkillError(
            f"{skill_file}: name {name[:70]!r} must be 1-64 lowercase letters, digits and single "
            "hyphens (e.g. pdf-processing)"
        )
    if not isinstance(description, str) or not description.strip():
        raise SkillError(f"{skill_file}: the front matter needs a 'description' (what and when)")
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        warnings.append(f"{skill_file}: description cut to {MAX_DESCRIPTION} characters")
        description = description[:MAX_DESCRIPTION]
    if name != folder.name:
        warnings.append(f"{skill_file}: name {name!r} differs from its folder {folder.name!r}")
    metadata = {k: v for k, v in front.items() if k not in ("name", "description")}
    return Skill(name, description, folder.resolve(), source, metadata)


def _skill_folders(root: Path) -> Iterable[Path]:
    if (root / SKILL_FILE).is_file():
        yield root
        return
    try:
        children = sorted(root.iterdir())
    except OSError:
        return
    for child in children:
        if child.is_dir() and not child.name.startswith(".") and (child / SKILL_FILE).is_file():
            yield child


def skill_roots(workspace: Path, extra_paths: Sequence[str] = ()) -> list[tuple[Path, SkillSource]]:
    """Where skills are looked for, the first found winning a name."""
    roots: list[tuple[Path, SkillSource]] = [
        (project_skills_dir(workspace), "project"),
        (user_skills_dir(), "user"),
    ]
    for raw in extra_paths:
        path = Path(raw).expanduser()
        roots.append((path if path.is_absolute() else workspace / path, "path"))
    return roots


def discover_skills(workspace: Path, extra_paths: Sequence[str] = ()) -> SkillCatalog:
    """Every usable skill; problems become warnings (also logged)."""
    skills: dict[str, Skill] = {}
    warnings: list[str] = []
    for root, source in skill_roots(workspace, extra_paths):
        for folder in _skill_folders(root):
            try:
                skill = load_skill(folder, source, warnings)
            except SkillError as exc:
                warnings.append(f"skill skipped: {exc}")
                continue
            if skill.name in skills:
                warnings.append(
                    f"skill {skill.name!r} in {folder} is shadowed by {skills[skill.name].path}"
                )
                continue
            skills[skill.name] = skill
    for warning in warnings:
        log.warning("%s", warning)
    return SkillCatalog(skills, warnings)
