"""`codesm skill list|info|add|remove` and `codesm init`: parsing and printing only."""

from __future__ import annotations

import json
from pathlib import Path

import click

from codesm.skills.discovery import (
    SkillCatalog,
    SkillError,
    discover_skills,
    project_skills_dir,
    user_skills_dir,
)


def _catalog() -> SkillCatalog:
    from codesm.config.settings import load_settings
    from codesm.errors import ConfigError

    try:
        extra = load_settings(Path.cwd()).settings.skills_path
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    return discover_skills(Path.cwd(), extra)


@click.group("skill")
def skill_group() -> None:
    """Manage skills (folders with a SKILL.md)."""


@skill_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_skills(as_json: bool) -> None:
    """List the skills found, where they are, and any problems."""
    catalog = _catalog()
    if as_json:
        rows = [
            {"name": s.name, "description": s.description, "source": s.source, "path": str(s.path)}
            for s in catalog.skills.values()
        ]
        click.echo(json.dumps({"skills": rows, "warnings": catalog.warnings}, indent=2))
        return
    for warning in catalog.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not catalog.skills:
        click.echo(
            f"No skills found. Add folders with a SKILL.md to {project_skills_dir(Path.cwd())} "
            f"or {user_skills_dir()}, or run `codesm skill add`."
        )
    for skill in catalog.skills.values():
        click.echo(f"{skill.name} [{skill.source}]: {skill.description}")


@skill_group.command("info")
@click.argument("name")
def info(name: str) -> None:
    """Show one skill: where it is, its description and files."""
    skill = _catalog().get(name)
    if skill is None:
        raise click.ClickException(f"no skill named {name!r} (see `codesm skill list`)")
    click.echo(f"{skill.name} [{skill.source}]\n  path: {skill.path}\n  {skill.description}")
    for key, value in skill.metadata.items():
        click.echo(f"  {key}: {value}")
    files = skill.files()
    click.echo("  files: " + (", ".join(files) if files else "(only SKILL.md)"))


@skill_group.command("add")
@click.argument("source")
@click.option("--scope", type=click.Choice(["user", "project"]), default="user", show_default=True)
@click.option("-y", "--yes", is_flag=True, help="Clone a git URL without asking.")
@click.option("--force", is_flag=True, help="Replace a skill with the same name.")
def add(source: str, scope: str, yes: bool, force: bool) -> None:
    """Install skills from SOURCE: a local folder (copied) or a git URL (cloned after asking)."""
    from codesm.skills.install import install_skills, is_git_url

    if is_git_url(source) and not yes:
        click.echo(f"This runs `git clone --depth 1 {source}` and copies the skills it holds.")
        if not click.confirm("Skills are instructions the agent follows. Continue?", default=False):
            raise click.ClickException("cancelled")
    dest = user_skills_dir() if scope == "user" else project_skills_dir(Path.cwd())
    try:
        skills = install_skills(source, dest, scope=scope, force=force)  # type: ignore[arg-type]
    except SkillError as exc:
        raise click.ClickException(str(exc)) from exc
    for skill in skills:
        click.echo(f"Installed skill {skill.name!r} in {skill.path}.")


@skill_group.command("remove")
@click.argument("name")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def remove(name: str, yes: bool) -> None:
    """Delete installed skill NAME from the project or user skills folder."""
    from codesm.skills.install import remove_skill

    skill = _catalog().get(name)
    if skill is None:
        raise click.ClickException(f"no skill named {name!r}")
    if not yes and not click.confirm(f"Delete {skill.path}?", default=False):
        raise click.ClickException("cancelled")
    try:
        remove_skill(skill, [user_skills_dir(), project_skills_dir(Path.cwd())])
    except SkillError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Removed skill {name!r}.")


@click.command("init")
@click.option("--force", is_flag=True, help="Overwrite an existing AGENTS.md.")
@click.option("--print", "print_only", is_flag=True, help="Print the draft instead of writing.")
def init_command(force: bool, print_only: bool) -> None:
    """Draft an AGENTS.md for this project (build files, test commands, layout) to edit."""
    from codesm.project_init import draft_agents_md

    root = Path.cwd()
    text = draft_agents_md(root)
    if print_only:
        click.echo(text, nl=False)
        return
    target = root / "AGENTS.md"
    if target.exists() and not force:
        raise click.ClickException(f"{target} exists; pass --force to overwrite it")
    target.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {target}. Edit it: it is a draft.")
