"""Skills: discovery, the prompt section, the `skill` tool, malformed skills, and the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesm import paths
from codesm.agent.events import ToolCallFinished
from codesm.cli import main
from codesm.skills.discovery import discover_skills
from codesm.skills.tool import SkillTool
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn


def write_skill(root: Path, folder: str, front: str, body: str = "Do the thing.\n") -> Path:
    path = root / folder
    path.mkdir(parents=True, exist_ok=True)
    (path / "SKILL.md").write_text(f"---\n{front}\n---\n{body}")
    return path


def good(root: Path, name: str, description: str = "Use when testing.") -> Path:
    return write_skill(root, name, f"name: {name}\ndescription: {description}")


def test_skills_are_found_in_the_project_the_user_dir_and_skills_path(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    good(ws / ".codesm" / "skills", "pdf-forms", "Fill PDF forms. Use with PDFs.")
    good(paths.config_dir() / "skills", "release", "Cut a release.")
    good(tmp_path / "extra", "lint-fix")
    good(paths.config_dir() / "skills", "pdf-forms", "A shadowed user copy.")
    catalog = discover_skills(ws, [str(tmp_path / "extra")])
    assert sorted(catalog.skills) == ["lint-fix", "pdf-forms", "release"]
    assert catalog.skills["pdf-forms"].source == "project"
    section = catalog.prompt_section()
    assert "- pdf-forms: Fill PDF forms. Use with PDFs." in section and "skill tool" in section
    assert any("shadowed" in w for w in catalog.warnings)


@pytest.mark.parametrize(
    ("front", "problem"),
    [
        (None, "no front matter"),
        ("name: [unclosed", "not valid YAML"),
        ("description: no name", "needs a 'name'"),
        ("name: Bad_Name\ndescription: x", "lowercase letters"),
        ("name: broken", "needs a 'description'"),
        ("- a list", "must be a mapping"),
    ],
)
def test_malformed_skills_are_skipped_with_a_clear_warning(
    tmp_path: Path, front: str | None, problem: str
) -> None:
    root = tmp_path / "ws" / ".codesm" / "skills"
    good(root, "fine")
    if front is None:
        (root / "broken").mkdir()
        (root / "broken" / "SKILL.md").write_text("# no front matter\n")
    else:
        write_skill(root, "broken", front)
    catalog = discover_skills(tmp_path / "ws")
    assert list(catalog.skills) == ["fine"]
    assert len(catalog.warnings) == 1 and problem in catalog.warnings[0]
    assert "broken" in catalog.warnings[0]


async def test_the_model_loads_a_skill_body_and_reads_one_of_its_files(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    folder = good(tmp_path / "ws" / ".codesm" / "skills", "release", "Cut a release.")
    (folder / "scripts").mkdir()
    (folder / "scripts" / "bump.sh").write_text("echo bump\n")
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("skill", {"name": "release"})]),
        Turn(tool_calls=[ToolCallSpec("skill", {"name": "release", "file": "scripts/bump.sh"})]),
        Turn(tool_calls=[ToolCallSpec("skill", {"name": "release", "file": "../../x"})]),
        Turn(text="Released."),
    )
    catalog = discover_skills(tmp_path / "ws")
    async with agent_harness(
        tmp_path, scripted_llm, permission_mode="review", extra_tools=[SkillTool(catalog)]
    ) as h:
        outcome = await h.agent.run_turn("release it")
        finished = [s.event for s in await h.events() if isinstance(s.event, ToolCallFinished)]
    assert outcome.status == "completed"
    body, script, escape = finished
    assert "Do the thing." in body.content and "- scripts/bump.sh" in body.content
    assert not body.is_error and "echo bump" in script.content
    assert escape.is_error and "outside" in escape.content


def invoke(*args: str, cwd: Path) -> tuple[int, str]:
    import os

    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.output


def test_skill_cli_adds_a_folder_lists_shows_and_removes_it(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    source = good(tmp_path / "src", "release", "Cut a release.")
    (source / "notes.md").write_text("notes")
    code, out = invoke("skill", "add", str(source), "--scope", "project", cwd=ws)
    assert code == 0, out
    assert (ws / ".codesm" / "skills" / "release" / "notes.md").exists()
    code, out = invoke("skill", "list", "--json", cwd=ws)
    assert [s["name"] for s in json.loads(out)["skills"]] == ["release"]
    code, out = invoke("skill", "info", "release", cwd=ws)
    assert "notes.md" in out
    code, out = invoke("skill", "remove", "release", "--yes", cwd=ws)
    assert code == 0 and not (ws / ".codesm" / "skills" / "release").exists()


def test_skill_cli_clones_a_git_url_only_after_confirmation(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    good(repo / "skills", "deploy", "Deploy the app.")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "skills"], check=True)
    ws = tmp_path / "ws"
    ws.mkdir()
    url = repo.as_uri()
    code, _ = invoke("skill", "add", url, cwd=ws)
    assert code != 0 and not (paths.config_dir() / "skills" / "deploy").exists()
    code, out = invoke("skill", "add", url, "--yes", cwd=ws)
    assert code == 0, out
    assert (paths.config_dir() / "skills" / "deploy" / "SKILL.md").exists()
    assert not (paths.config_dir() / "skills" / "deploy" / ".git").exists()


def test_init_drafts_agents_md_from_build_files_and_never_overwrites(tmp_path: Path) -> None:
    ws = tmp_path / "proj"
    (ws / "src" / "pkg").mkdir(parents=True)
    (ws / "src" / "pkg" / "__init__.py").write_text("")
    (ws / "tests").mkdir()
    (ws / "pyproject.toml").write_text(
        '[project]\nname = "demo"\ndescription = "A demo tool."\n'
        "[tool.ruff]\n[tool.pytest.ini_options]\n"
    )
    (ws / "package.json").write_text(json.dumps({"scripts": {"build": "vite build"}}))
    code, out = invoke("init", cwd=ws)
    assert code == 0, out
    text = (ws / "AGENTS.md").read_text()
    assert "A demo tool." in text and "- Test: `pytest`" in text
    assert "- Build: `npm run build`" in text and "ruff check" in text
    assert "- `tests/`: tests" in text
    (ws / "AGENTS.md").write_text("mine")
    code, out = invoke("init", cwd=ws)
    assert code != 0 and "--force" in out and (ws / "AGENTS.md").read_text() == "mine"
    code, _ = invoke("init", "--force", cwd=ws)
    assert code == 0 and (ws / "AGENTS.md").read_text() != "mine"
