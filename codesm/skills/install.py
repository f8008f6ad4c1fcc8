"""Installing and removing skills: copy a local folder, or clone a git URL (after the caller asked
the user) and copy the skills it holds. Git runs with an argument list, never a shell."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from codesm.skills.discovery import (
    SKILL_FILE,
    Skill,
    SkillError,
    SkillSource,
    _skill_folders,
    load_skill,
)

__all__ = ["find_skill_folders", "install_skills", "is_git_url", "remove_skill"]

_GIT_URL = re.compile(r"^(https?://|ssh://|git://|file://|git@[\w.-]+:)")
CLONE_TIMEOUT_S = 300


def is_git_url(source: str) -> bool:
    return bool(_GIT_URL.match(source)) or (source.endswith(".git") and not Path(source).is_dir())


def find_skill_folders(root: Path) -> list[Path]:
    """Skill folders in a checkout or folder: itself, its children, or `skills/*`."""
    found = list(_skill_folders(root))
    if not found and (root / "skills").is_dir():
        found = list(_skill_folders(root / "skills"))
    return found


def clone(url: str, dest: Path) -> None:
    """`git clone --depth 1 -- URL DEST`; raises `SkillError` with git's message on failure."""
    if url.startswith("-"):
        raise SkillError(f"not a git URL: {url!r}")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", "clone", "--depth", "1", "--quiet", "--", url, str(dest)],
            capture_output=True,
            text=True,
            timeout=CLONE_TIMEOUT_S,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SkillError(f"git clone {url} failed: {exc}") from exc
    if done.returncode != 0:
        raise SkillError(f"git clone {url} failed: {done.stderr.strip()[-500:]}")


def _copy(folder: Path, dest_root: Path, source: SkillSource, *, force: bool) -> Skill:
    skill = load_skill(folder, source)
    dest = dest_root / skill.name
    if dest.exists():
        if not force:
            raise SkillError(f"a skill named {skill.name!r} exists already in {dest_root}")
        shutil.rmtree(dest)
    dest_root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(folder, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    return load_skill(dest, source)


def install_skills(
    source: str, dest_root: Path, *, scope: SkillSource, force: bool = False
) -> list[Skill]:
    """Install every skill found at `source` (a folder or a git URL) into `dest_root`. Every
    skill is checked before anything is copied."""
    with tempfile.TemporaryDirectory(prefix="codesm-skill-") as tmp:
        if is_git_url(source):
            root = Path(tmp) / "checkout"
            clone(source, root)
        else:
            root = Path(source).expanduser()
            if not root.is_dir():
                raise SkillError(f"{source} is not a folder or a git URL")
        folders = find_skill_folders(root)
        if not folders:
            raise SkillError(f"no {SKILL_FILE} found in {source}")
        for folder in folders:
            load_skill(folder, scope)
        return [_copy(folder, dest_root, scope, force=force) for folder in folders]


def remove_skill(skill: Skill, allowed_roots: list[Path]) -> None:
    """Delete an installed skill's folder; only inside the managed skill folders."""
    parent = skill.path.parent.resolve()
    if not any(parent == root.resolve() for root in allowed_roots):
        raise SkillError(f"{skill.path} is not in a codesm skills folder; remove it yourself")
    shutil.rmtree(skill.path)
