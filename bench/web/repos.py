"""Small seeded git repositories for the web benchmarks (W3's "100-file repo", its big twin)."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

WORDS = ("alpha", "beta", "gamma", "delta", "parser", "render", "store", "agent", "tree", "util")


def small_repo(root: Path, files: int, *, per_dir: int = 20, seed: int = 7) -> Path:
    """`files` small Python files, `per_dir` to a folder, committed to a fresh git repository."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        folder = root / f"pkg{i // per_dir:03d}"
        folder.mkdir(exist_ok=True)
        body = "\n".join(f"def {rng.choice(WORDS)}_{i}_{j}():\n    return {j}\n" for j in range(5))
        (folder / f"mod{i:05d}.py").write_text(body, encoding="utf-8")
    (root / ".gitignore").write_text("build/\n", encoding="utf-8")
    (root / "README.md").write_text("# bench repo\n", encoding="utf-8")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(root), "commit", "-qm", "seed"], check=True)
    return root
