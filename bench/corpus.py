"""Prepare the benchmark corpora under a cache directory (idempotent).

C1  Debian's `linux-source-6.1` tree made a git repository (~78k searchable files, 1.3 GB).
C1s The `kernel/` and `include/` subset of the same tarball, also a git repository.
C3  This repository (per-call overhead on a small tree).
D*  Seeded diff pairs: syn10k (1 % changed), big100k (1 % changed), disjoint10k, disjoint100k.

Usage: `python -m bench.corpus [C1] [C1s] [C3] [diff]` (default: all). The cache is
`bench/.cache/` unless `CODESM_BENCH_CACHE` names another directory.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "linux-source-6.1"
TREE_NAME = "linux-source-6.1"
READY_MARKER = ".codesm-bench-ready"
REPO_ROOT = Path(__file__).resolve().parent.parent
SUBSET_DIRS = ("kernel", "include")
GIT_IDENTITY = ("-c", "user.name=codesm-bench", "-c", "user.email=bench@codesm.invalid")


class CorpusError(RuntimeError):
    """A corpus cannot be prepared; the message says what to install or fix."""


@dataclass(frozen=True)
class DiffPair:
    name: str
    old: Path
    new: Path


def cache_dir() -> Path:
    env = os.environ.get("CODESM_BENCH_CACHE")
    path = Path(env) if env else REPO_ROOT / "bench" / ".cache"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def say(msg: str) -> None:
    print(f"[corpus] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], *, cwd: Path | None = None, quiet: bool = False) -> str:
    say(("$ " if cwd is None else f"({cwd})$ ") + " ".join(cmd))
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CorpusError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    if not quiet and proc.stderr.strip():
        say(proc.stderr.strip()[-500:])
    return proc.stdout


def _require(tool: str, hint: str) -> None:
    if shutil.which(tool) is None:
        raise CorpusError(f"`{tool}` is not available: {hint}")


def candidate_version() -> str:
    """The version apt would install (`apt-cache policy`), e.g. `6.1.192-2`."""
    _require("apt-cache", "C1 needs a Debian/Ubuntu machine with apt (apt-get download)")
    out = run(["apt-cache", "policy", PACKAGE], quiet=True)
    m = re.search(r"Candidate:\s*(\S+)", out)
    if not m or m.group(1) == "(none)":
        raise CorpusError(
            f"apt knows no candidate for {PACKAGE}; run `apt-get update` (bookworm or "
            "bookworm-security must be in the sources)"
        )
    return m.group(1)


def source_tarball(cache: Path) -> Path:
    """Download the .deb (once) and unpack the kernel tarball from it (once)."""
    debs = cache / "debs"
    debs.mkdir(exist_ok=True)
    unpacked = debs / "unpacked"
    found = sorted(unpacked.glob(f"usr/src/{PACKAGE}.tar.xz"))
    if found:
        return found[0]
    _require("apt-get", "C1 needs apt-get (Debian/Ubuntu) to download linux-source-6.1")
    _require("dpkg-deb", "C1 needs dpkg-deb (Debian/Ubuntu)")
    deb = next(iter(sorted(debs.glob(f"{PACKAGE}_*.deb"))), None)
    if deb is None:
        version = candidate_version()
        say(f"downloading {PACKAGE}={version} (~150 MB)")
        run(["apt-get", "download", f"{PACKAGE}={version}"], cwd=debs, quiet=True)
        deb = next(iter(sorted(debs.glob(f"{PACKAGE}_*.deb"))), None)
        if deb is None:
            raise CorpusError(f"apt-get download left no {PACKAGE}_*.deb in {debs}")
    else:
        say(f"using downloaded {deb.name}")
    run(["dpkg-deb", "-x", str(deb), str(unpacked)])
    found = sorted(unpacked.glob(f"usr/src/{PACKAGE}.tar.xz"))
    if not found:
        raise CorpusError(f"{deb.name} holds no usr/src/{PACKAGE}.tar.xz")
    return found[0]


def drop_debian_ignore_block(gitignore: Path) -> bool:
    """Remove the `/*` block Debian appends to the top-level .gitignore.

    Inside a git repository that block makes rg, fd and git ignore the whole tree. The block starts
    at its comment header just above the first `/*` line and runs to the end of the file.
    """
    lines = gitignore.read_text(encoding="utf-8", errors="surrogateescape").splitlines(True)
    try:
        star = next(i for i, line in enumerate(lines) if line.strip() == "/*")
    except StopIteration:
        return False
    start = star
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    say(f"dropping Debian's ignore block from {gitignore} (lines {start + 1}-{len(lines)})")
    gitignore.write_text("".join(lines[:start]), encoding="utf-8", errors="surrogateescape")
    return True


def make_git_repo(tree: Path) -> None:
    if (tree / ".git").exists():
        shutil.rmtree(tree / ".git")
    run(["git", "init", "-q"], cwd=tree)
    run(["git", *GIT_IDENTITY, "add", "-A"], cwd=tree, quiet=True)
    run(["git", *GIT_IDENTITY, "commit", "-q", "-m", "bench corpus", "--no-gpg-sign"], cwd=tree)


def prepare_kernel_tree(cache: Path, name: str, members: tuple[str, ...] | None) -> Path:
    dest = cache / name
    tree = dest / TREE_NAME
    if (tree / ".git" / READY_MARKER).exists():
        say(f"{name} ready at {tree}")
        return tree
    tarball = source_tarball(cache)
    if dest.exists():
        say(f"removing incomplete {dest}")
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    cmd = ["tar", "-xJf", str(tarball), "-C", str(dest)]
    if members is not None:
        cmd += [f"{TREE_NAME}/{m}" for m in members]
    say(f"extracting {name} (xz, a minute or more)")
    run(cmd)
    gi = tree / ".gitignore"
    if gi.exists():
        drop_debian_ignore_block(gi)
    say(f"making {name} a git repository (git add of the whole tree takes a while)")
    make_git_repo(tree)
    # The marker lives inside .git/ so that no walk (not even `-uuu`) sees one more file.
    (tree / ".git" / READY_MARKER).write_text("ok\n")
    return tree


def kernel_tree(name: str) -> Path:
    """Prepared tree for C1 or C1s (prepares it when missing)."""
    cache = cache_dir()
    tree = cache / name / TREE_NAME
    if (tree / ".git" / READY_MARKER).exists():
        return tree
    members = None if name == "C1" else (*SUBSET_DIRS, ".gitignore")
    return prepare_kernel_tree(cache, name, members)


def prepare(name: str) -> Path:
    if name in ("C1", "C1s"):
        return kernel_tree(name)
    if name == "C3":
        return REPO_ROOT
    raise CorpusError(f"unknown corpus {name!r} (C1, C1s, C3)")


# --- diff pairs -------------------------------------------------------------------------------

_VOCABULARY = """
    ctx buf len idx node page entry flags count state dev irq lock list head next prev
    data size offset addr ret err val mask base priv info desc queue work timer cpu task
    mm inode file
"""
_WORDS = tuple(_VOCABULARY.split())
_KEYWORDS = ("if", "for", "while", "return", "static int", "unsigned long", "struct", "case")


def _code_line(rng: random.Random, tag: str, n: int) -> str:
    indent = "\t" * rng.randrange(0, 4)
    a, b, c = rng.choice(_WORDS), rng.choice(_WORDS), rng.choice(_WORDS)
    kind = rng.randrange(6)
    if kind == 0:
        return f"{indent}{a}->{b} = {c}_{tag}{n};"
    if kind == 1:
        return f"{indent}{rng.choice(_KEYWORDS)} ({a} && {b}_{tag}{n}) {{"
    if kind == 2:
        return f"{indent}/* {a} {b} {c} {tag}{n} */"
    if kind == 3:
        return f"{indent}{a} = {b}({c}, {rng.randrange(1 << 16)}); /* {tag}{n} */"
    if kind == 4:
        return f"{indent}}} /* {tag}{n} */"
    return f"{indent}return {a}_{tag}{n};"


def synthetic_text(rng: random.Random, lines: int, tag: str) -> list[str]:
    """Code-like lines; every line carries `tag` and its index, so two tags never share a line."""
    return [_code_line(rng, tag, i) for i in range(lines)]


def mutate(rng: random.Random, old: list[str], rate: float) -> list[str]:
    """Change about `rate` of the lines: a third replaced, a third deleted, a third inserted."""
    new: list[str] = []
    fresh = 0
    for line in old:
        if rng.random() >= rate:
            new.append(line)
            continue
        op = rng.randrange(3)
        if op == 0:
            new.append(_code_line(rng, "m", fresh))
            fresh += 1
        elif op == 2:
            new.append(line)
            new.append(_code_line(rng, "m", fresh))
            fresh += 1
    return new


def _write_pair(dest: Path, name: str, old: list[str], new: list[str]) -> DiffPair:
    pair = DiffPair(name, dest / f"{name}.old", dest / f"{name}.new")
    pair.old.write_text("\n".join(old) + "\n", encoding="utf-8")
    pair.new.write_text("\n".join(new) + "\n", encoding="utf-8")
    return pair


def diff_pairs() -> dict[str, DiffPair]:
    """syn10k, big100k (1 % changed), disjoint10k and disjoint100k; generated once per seed."""
    dest = cache_dir() / "diff"
    dest.mkdir(exist_ok=True)
    specs: dict[str, tuple[int, bool]] = {
        "syn10k": (10_000, False),
        "big100k": (100_000, False),
        "disjoint10k": (10_000, True),
        "disjoint100k": (100_000, True),
    }
    pairs: dict[str, DiffPair] = {}
    for seed, (name, (lines, disjoint)) in enumerate(specs.items(), start=1):
        pair = DiffPair(name, dest / f"{name}.old", dest / f"{name}.new")
        if pair.old.exists() and pair.new.exists():
            pairs[name] = pair
            continue
        say(f"generating diff pair {name} ({lines} lines, seed {seed})")
        rng = random.Random(seed)
        old = synthetic_text(rng, lines, "a")
        new = synthetic_text(rng, lines, "b") if disjoint else mutate(rng, old, 0.01)
        pairs[name] = _write_pair(dest, name, old, new)
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("what", nargs="*", default=["C1", "C1s", "C3", "diff"])
    args = parser.parse_args(argv)
    say(f"cache: {cache_dir()}")
    try:
        for name in args.what:
            if name == "diff":
                for pair in diff_pairs().values():
                    say(f"diff pair {pair.name}: {pair.old} {pair.new}")
            else:
                say(f"{name}: {prepare(name)}")
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
