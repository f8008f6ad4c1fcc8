"""Agent Skills: discovery of `SKILL.md` folders, the prompt section, and the `skill` tool."""

from __future__ import annotations

from codesm.skills.discovery import (
    Skill,
    SkillCatalog,
    SkillError,
    discover_skills,
    load_skill,
    project_skills_dir,
    user_skills_dir,
)

__all__ = [
    "Skill",
    "SkillCatalog",
    "SkillError",
    "discover_skills",
    "load_skill",
    "project_skills_dir",
    "user_skills_dir",
]
