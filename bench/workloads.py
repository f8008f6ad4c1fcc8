"""The native-op workloads of PERFORMANCE.md §5.3 (N1, N3, N8, N10, N12, N13) as driver sides.

Every workload names its sides (codesm in-process, anchors as processes, pure-Python baselines),
the ratios to report with their targets, and how to check that the outputs agree before timing.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import baseline
from bench.driver import Comparison, Side, in_process, process, time_process

Normalizer = Callable[[Any], list[str]]

FUZZY_QUERIES = (
    "kernsched", "drvnetintel", "mmpagealloc", "inclinuxsched", "fsext4inode",
    "archx86kvm", "netipv4tcp", "Makefile", "Kconfig", "pmresume",
    "kernelfork", "blkmq", "usbcore", "soundpci", "cryptoaes",
    "drmi915", "irqchip", "lib/string", "sched.h", "tracefs",
)  # fmt: skip


@dataclass
class Check:
    """An absolute or derived target, e.g. fuzzy p50 per keystroke ≤10 ms."""

    label: str
    value: float
    limit: float
    unit: str
    higher_is_better: bool = False

    @property
    def passed(self) -> bool:
        return self.value >= self.limit if self.higher_is_better else self.value <= self.limit


@dataclass
class Workload:
    id: str
    name: str
    description: str
    sides: list[Side]
    comparisons: list[Comparison]
    reference: str = ""
    """Side whose output the others must equal (codesm differing from it is a bug)."""
    normalizers: dict[str, Normalizer] = field(default_factory=dict)
    verify: Callable[[dict[str, Any]], list[str]] | None = None
    """Custom verification over the first outputs; returns mismatch descriptions."""
    checks: Callable[[Workload], list[Check]] | None = None
    notes: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Env:
    corpus: str
    root: str
    native: ModuleType | None
    fd: str | None
    fzf: str | None
    diff_dir: str
    diff_pairs: Sequence[str]
    fuzzy_queries: int = len(FUZZY_QUERIES)


def _lines(out: bytes) -> list[str]:
    return [x.decode("utf-8", "surrogateescape") for x in out.split(b"\n") if x]


def _native_grep_lines(res: Any) -> list[str]:
    return [f"{m.path}:{m.line_number}:{m.line}" for m in res.matches]


def _py_grep_lines(rows: list[tuple[str, int, str]]) -> list[str]:
    return [f"{p}:{n}:{t}" for p, n, t in rows]


def _sorted(fn: Normalizer) -> Normalizer:
    return lambda out: sorted(fn(out))


def _rg_target(env: Env, c1_target: float) -> tuple[float, str]:
    if env.corpus == "C3":
        return 0.5, "≤0.5x (N14)"
    return c1_target, f"≤{c1_target}x"


def _py_target(speedup: float) -> tuple[float, str]:
    return 1 / speedup, f"≥{speedup:g}x faster"


def _small_repo_checks(w: Workload) -> list[Check]:
    side = next((s for s in w.sides if s.name == "codesm"), None)
    if side is None or not side.samples or w.state.get("corpus") != "C3":
        return []
    p50 = statistics.median(s.wall_ns for s in side.samples) / 1e6
    return [Check("in-process p50 (N14)", p50, 1.0, "ms")]


def grep_workload(env: Env, wid: str, pattern: str, *, word: bool) -> Workload:
    root, nat = env.root, env.native
    rg_args = ["-n", *(["-w"] if word else []), pattern]
    git_args = ["git", "grep", "-n", *(["-w", "-P"] if word else []), pattern]
    walker = baseline.Walker(root)
    sides: list[Side] = []
    if nat is not None:
        sides.append(in_process("codesm", "codesm", lambda: nat.grep(pattern, root, word=word)))
        sides.append(
            in_process("codesm-j1", "codesm", lambda: nat.grep(pattern, root, word=word, threads=1))
        )
    sides += [
        process("rg", ["rg", *rg_args], cwd=root),
        process("rg-j1", ["rg", "-j1", *rg_args], cwd=root),
        process("git-grep", git_args, cwd=root),
        in_process(
            "python",
            "python",
            lambda: baseline.grep(walker, pattern.encode(), fixed=not word, word=word),
        ),
    ]
    rg_t, rg_txt = _rg_target(env, 1.3)
    py_t, py_txt = _py_target(20 if word else 9)
    comps = [
        Comparison("codesm", "rg", rg_t, rg_txt, cpu_target=rg_t if env.corpus != "C3" else None),
        Comparison("codesm-j1", "rg-j1", 1.3, "≤1.3x"),
        Comparison("codesm", "git-grep"),
        Comparison("codesm", "python", py_t, py_txt),
    ]
    lines = _sorted(_lines)
    desc = f"grep {'-w ' if word else ''}{pattern!r}, line output"
    return Workload(
        wid,
        "word" if word else "grep",
        desc,
        sides,
        comps,
        reference="rg",
        normalizers={
            "codesm": _sorted(_native_grep_lines),
            "codesm-j1": _sorted(_native_grep_lines),
            "rg": lines,
            "rg-j1": lines,
            "git-grep": lines,
            "python": _sorted(_py_grep_lines),
        },
        checks=_small_repo_checks,
        state={"corpus": env.corpus},
    )


def walk_workload(env: Env) -> Workload:
    root, nat = env.root, env.native
    walker = baseline.Walker(root)
    sides: list[Side] = []
    if nat is not None:
        sides.append(in_process("codesm", "codesm", lambda: nat.walk(root)))
    sides.append(process("rg", ["rg", "--files"], cwd=root))
    if env.fd:
        sides.append(process("fd", [env.fd, "-t", "f"], cwd=root))
    sides.append(process("git-ls-files", ["git", "ls-files"], cwd=root))
    sides.append(in_process("python", "python", walker.files))
    py_t, py_txt = _py_target(25)
    comps = [
        Comparison("codesm", "rg", 1.2, "≤1.2x"),
        Comparison("codesm", "fd"),
        Comparison("codesm", "git-ls-files"),
        Comparison("codesm", "python", py_t, py_txt),
    ]
    lines = _sorted(_lines)
    return Workload(
        "N8",
        "walk",
        "gitignore-aware file list",
        sides,
        comps,
        reference="rg",
        normalizers={
            "codesm": sorted,
            "rg": lines,
            "fd": lines,
            "git-ls-files": lines,
            "python": sorted,
        },
    )


def glob_workload(env: Env, pattern: str = "**/*.{c,h}") -> Workload:
    root, nat = env.root, env.native
    walker = baseline.Walker(root)
    sides: list[Side] = []
    if nat is not None:
        sides.append(in_process("codesm", "codesm", lambda: nat.glob(pattern, root)))
    sides.append(process("rg", ["rg", "--files", "-g", pattern], cwd=root))
    if env.fd:
        sides.append(process("fd", [env.fd, "-t", "f", "-e", "c", "-e", "h"], cwd=root))
    sides.append(in_process("python", "python", lambda: baseline.glob(walker, pattern)))
    rg_t, rg_txt = _rg_target(env, 1.2)
    py_t, py_txt = _py_target(25)
    comps = [
        Comparison("codesm", "rg", rg_t, rg_txt),
        Comparison("codesm", "fd"),
        Comparison("codesm", "python", py_t, py_txt),
    ]
    lines = _sorted(_lines)
    return Workload(
        "N10",
        "glob",
        f"glob {pattern}",
        sides,
        comps,
        reference="rg",
        normalizers={"codesm": sorted, "rg": lines, "fd": lines, "python": sorted},
        checks=_small_repo_checks,
        state={"corpus": env.corpus},
    )


def fuzzy_workload(env: Env, tmp: str) -> Workload:
    """Every prefix of every query is one keystroke; a round types them all."""
    queries = FUZZY_QUERIES[: env.fuzzy_queries]
    root, nat = env.root, env.native
    _, out = time_process(["rg", "--files"], cwd=root)
    paths = sorted(_lines(out))
    list_file = os.path.join(tmp, "paths.txt")
    Path(list_file).write_text("".join(p + "\n" for p in paths), encoding="utf-8")
    keystrokes = [q[:i] for q in queries for i in range(1, len(q) + 1)]
    per_key_ns: list[list[int]] = []
    sides: list[Side] = []
    if nat is not None:

        def native_typing() -> list[list[str]]:
            # As the product does (codesm/file_finder.py): one PathIndex per typing session,
            # its build counted in the side's time, each keystroke timed on its own.
            res: list[list[str]] = []
            times: list[int] = []
            per_key_ns.append(times)
            index = nat.PathIndex(paths)
            for k in keystrokes:
                t0 = time.perf_counter_ns()
                hits = index.find(k, limit=50)
                times.append(time.perf_counter_ns() - t0)
                res.append([h.path for h in hits])
            return res

        sides.append(in_process("codesm", "codesm", native_typing))
    if env.fzf:
        fzf = env.fzf

        def fzf_typing() -> tuple[Any, list[list[str]]]:
            from bench.driver import Sample

            wall = cpu = 0
            res = []
            for k in keystrokes:
                s, o = time_process([fzf, "--filter", k, "--scheme=path"], stdin_path=list_file)
                wall += s.wall_ns
                cpu += s.cpu_ns
                res.append(_lines(o)[:50])
            return Sample(wall, cpu), res

        sides.append(Side("fzf", "anchor", fzf_typing))
    sides.append(
        in_process("python", "python", lambda: [baseline.fuzzy(k, paths) for k in keystrokes])
    )
    comps = [Comparison("codesm", "fzf"), Comparison("codesm", "python")]

    def verify(outs: dict[str, Any]) -> list[str]:
        if "codesm" not in outs or "fzf" not in outs:
            return []
        finals = [len(q) for q in queries]
        idx = [sum(finals[: i + 1]) - 1 for i in range(len(finals))]
        overlaps = []
        for i in idx:
            a, b = set(outs["codesm"][i][:10]), set(outs["fzf"][i][:10])
            if b:
                overlaps.append(len(a & b) / min(10, len(b)))
        w.state["overlap"] = statistics.mean(overlaps) if overlaps else float("nan")
        return []

    def checks(w: Workload) -> list[Check]:
        out = []
        side = next((s for s in w.sides if s.name == "codesm"), None)
        measured = per_key_ns[-len(side.samples) :] if side and side.samples else []
        if measured:
            ms = sorted(x / 1e6 for r in measured for x in r)
            out.append(Check("p50 per keystroke", ms[len(ms) // 2], 10.0, "ms"))
            out.append(
                Check("p99 per keystroke", ms[min(len(ms) - 1, len(ms) * 99 // 100)], 20.0, "ms")
            )
        if "overlap" in w.state:
            out.append(Check("top-10 overlap with fzf", w.state["overlap"] * 100, 70.0, "%", True))
        return out

    w = Workload(
        "N12",
        "fuzzy",
        f"fuzzy find over {len(paths)} paths, {len(keystrokes)} keystrokes",
        sides,
        comps,
        verify=verify,
        checks=checks,
        notes=["fzf --filter prints every match; codesm and python return the top 50"],
    )
    return w


def _unified_body(text: str) -> list[str]:
    """Hunk lines only, with git's function-name context after `@@ ... @@` dropped."""
    lines = text.splitlines()
    start = next((i for i, x in enumerate(lines) if x.startswith("@@")), len(lines))
    return [x[: x.index("@@", 2) + 2] if x.startswith("@@") else x for x in lines[start:]]


def _apply(old: list[str], hunks: Any) -> list[str] | str:
    """Rebuild the new text from the old one and the hunks; a string says what went wrong."""
    out: list[str] = []
    i = 0
    for h in hunks:
        start = h.old_start if h.old_len == 0 else h.old_start - 1
        if start < i:
            return f"hunk {h.header} overlaps the previous one"
        out.extend(old[i:start])
        i = start
        for dl in h.lines:
            if dl.tag in (" ", "-"):
                if i >= len(old) or old[i] != dl.text:
                    return f"hunk {h.header}: old line {i + 1} does not match {dl.text!r}"
                i += 1
            if dl.tag in (" ", "+"):
                out.append(dl.text)
    out.extend(old[i:])
    return out


def diff_workload(env: Env, pair: str) -> Workload:
    nat = env.native
    old_p, new_p = f"{pair}.old", f"{pair}.new"
    old = Path(env.diff_dir, old_p).read_text(encoding="utf-8")
    new = Path(env.diff_dir, new_p).read_text(encoding="utf-8")
    git = ["git", "diff", "--no-index", "--no-color", "--no-ext-diff", old_p, new_p]
    sides: list[Side] = []
    if nat is not None:
        sides.append(in_process("codesm", "codesm", lambda: nat.diff(old, new)))
    sides.append(process("git-diff", git, cwd=env.diff_dir))
    sides.append(in_process("difflib", "python", lambda: baseline.unified_diff(old, new)))
    big = pair.startswith("big100k")
    comps = [
        Comparison("codesm", "git-diff", 1.0, "≤1.0x"),
        Comparison("codesm", "difflib", *(_py_target(40) if big else (None, ""))),
    ]
    old_lines, new_lines = old.splitlines(), new.splitlines()

    def verify(outs: dict[str, Any]) -> list[str]:
        if "codesm" not in outs:
            return []
        d = outs["codesm"]
        problems = []
        rebuilt = _apply(old_lines, d.hunks)
        if isinstance(rebuilt, str):
            problems.append(f"hunks do not apply: {rebuilt}")
        elif rebuilt != new_lines:
            problems.append("applying the hunks to old does not give new")
        git_text = outs["git-diff"].decode("utf-8", "surrogateescape")
        plus = sum(
            1 for x in git_text.splitlines() if x.startswith("+") and not x.startswith("+++")
        )
        minus = sum(
            1 for x in git_text.splitlines() if x.startswith("-") and not x.startswith("---")
        )
        same = _unified_body(d.unified) == _unified_body(git_text)
        w.notes.append(
            f"codesm +{d.added}/-{d.removed}, git +{plus}/-{minus}; "
            f"unified text {'identical to' if same else 'differs from'} git's"
        )
        if not same:
            _, o = time_process([*git[:2], "--no-indent-heuristic", *git[2:]], cwd=env.diff_dir)
            alt = _unified_body(o.decode("utf-8", "surrogateescape")) == _unified_body(d.unified)
            w.notes.append(f"vs git --no-indent-heuristic: {'identical' if alt else 'differs'}")
        return problems

    def checks(w: Workload) -> list[Check]:
        side = next((s for s in w.sides if s.name == "codesm"), None)
        if side is None or not side.samples or not pair.startswith("disjoint100k"):
            return []
        return [Check("D6 in-process", statistics.median(s.wall_ns for s in side.samples) / 1e6,
                      200.0, "ms")]  # fmt: skip

    w = Workload(
        f"N13:{pair}",
        "diff",
        f"diff {pair} ({len(old_lines)} -> {len(new_lines)} lines)",
        sides,
        comps,
        verify=verify,
        checks=checks,
    )
    return w


ALL = ("grep", "word", "walk", "glob", "fuzzy", "diff")
IDS = {"N1": "grep", "N3": "word", "N8": "walk", "N10": "glob", "N12": "fuzzy", "N13": "diff"}


def build(env: Env, only: Sequence[str], tmp: str) -> list[Workload]:
    wanted = [IDS.get(x, x) for x in only]
    out: list[Workload] = []
    for name in ALL:
        if name not in wanted:
            continue
        if name == "grep":
            out.append(grep_workload(env, "N1", "PM_RESUME", word=False))
        elif name == "word":
            out.append(grep_workload(env, "N3", "[A-Z]+_SUSPEND", word=True))
        elif name == "walk":
            out.append(walk_workload(env))
        elif name == "glob":
            out.append(glob_workload(env))
        elif name == "fuzzy":
            out.append(fuzzy_workload(env, tmp))
        elif name == "diff":
            out += [diff_workload(env, p) for p in env.diff_pairs]
    return out


def find_tool(*names: str) -> str | None:
    return next((p for n in names if (p := shutil.which(n))), None)


def make_tmp() -> str:
    return tempfile.mkdtemp(prefix="codesm-bench-")
