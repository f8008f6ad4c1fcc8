"""Run the native-op benchmarks and print ratios against anchors measured in the same run.

    python -m bench.run [--corpus C1|C1s|C3] [--rounds N] [--only grep,walk,...] [--json out.json]

Workloads (PERFORMANCE.md §5.3): N1 grep (`PM_RESUME`), N3 word regex (`-w '[A-Z]+_SUSPEND'`),
N8 walk, N10 glob (`**/*.{c,h}`), N12 fuzzy find, N13 diff pairs. This is not a test: it reports.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from types import ModuleType
from typing import Any

from bench import corpus
from bench.driver import GateReading, RatioStats, WorkloadResult, compare, median_ms, run_rounds
from bench.workloads import ALL, IDS, Check, Env, Workload, build, find_tool, make_tmp


def _import_native() -> ModuleType | None:
    try:
        return importlib.import_module("codesm._native")
    except ImportError as exc:
        print(f"warning: codesm._native is not importable ({exc}); timing anchors only",
              file=sys.stderr)  # fmt: skip
        return None


def _cmd(argv: list[str], cwd: str | None = None) -> str:
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return (proc.stdout or proc.stderr).strip()


def machine_info(env: Env) -> dict[str, Any]:
    tools = {
        "rg": _cmd(["rg", "--version"]).splitlines()[:1],
        "fd": _cmd([env.fd, "--version"]) if env.fd else None,
        "fzf": _cmd([env.fzf, "--version"]) if env.fzf else None,
        "git": _cmd(["git", "--version"]),
        "python": sys.version.split()[0],
        "codesm._native": getattr(env.native, "__version__", None),
    }
    return {
        "uname": " ".join(platform.uname()),
        "nproc": os.cpu_count(),
        "lscpu": _cmd(["lscpu"]),
        "tools": tools,
        "corpus": env.corpus,
        "corpus_root": env.root,
        "corpus_head": _cmd(["git", "rev-parse", "HEAD"], cwd=env.root),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _describe_mismatch(a: list[str], b: list[str], name_a: str, name_b: str) -> str:
    sa, sb = set(a), set(b)
    only_a, only_b = sorted(sa - sb), sorted(sb - sa)
    parts = [f"{name_a} {len(a)} vs {name_b} {len(b)} items"]
    if len(a) != len(sa) or len(b) != len(sb):
        parts.append(f"duplicates: {len(a) - len(sa)} / {len(b) - len(sb)}")
    if {x.rstrip("\r") for x in only_a} == {x.rstrip("\r") for x in only_b} and only_a:
        parts.append("differ only by a trailing \\r")
    cut = sum(1 for x, y in zip(only_a, only_b, strict=False) if y.startswith(x) and x != y)
    if cut:
        parts.append(f"{cut} of {name_a}'s lines are prefixes of {name_b}'s (cut lines?)")
    parts += [f"only in {name_a}: {x!r}" for x in only_a[:5]]
    parts += [f"only in {name_b}: {x!r}" for x in only_b[:5]]
    if len(only_a) > 5 or len(only_b) > 5:
        parts.append(f"({len(only_a)} / {len(only_b)} differing in all)")
    return "; ".join(parts)


def verify(w: Workload) -> tuple[str, list[str]]:
    """Run every side once (also a warm-up) and compare outputs before any timing."""
    outs: dict[str, Any] = {}
    for side in w.sides:
        _, outs[side.name] = side.run()
    problems: list[str] = []
    if w.reference and w.reference in outs:
        ref = w.normalizers[w.reference](outs[w.reference])
        for name, out in outs.items():
            norm = w.normalizers.get(name)
            if name == w.reference or norm is None:
                continue
            got = norm(out)
            if got == ref:
                continue
            text = _describe_mismatch(got, ref, name, w.reference)
            if name.startswith("codesm"):
                problems.append(text)
            else:
                w.notes.append(f"(anchor difference, expected) {text}")
    if w.verify is not None:
        problems += w.verify(outs)
    if not any(s.kind == "codesm" for s in w.sides):
        return "n/a", problems
    return ("MISMATCH" if problems else "ok"), problems


def _fmt_ratio(r: RatioStats) -> str:
    if math.isnan(r.median):
        return "-"
    return f"{r.median:.3g} [{r.low:.3g}-{r.high:.3g}]"


def _status(c: Any, wall: RatioStats, cpu: RatioStats) -> str:
    if c.target is None:
        return ""
    ok = wall.median <= c.target
    if c.cpu_target is not None:
        ok = ok and cpu.median <= c.cpu_target
    return "PASS" if ok else "MISS"


def print_table(results: list[tuple[WorkloadResult, list[Check]]]) -> None:
    head = ("workload", "codesm vs", "wall ratio med [min-max]", "CPU ratio", "codesm ms",
            "anchor ms", "target", "", "check")  # fmt: skip
    rows: list[tuple[str, ...]] = [head]
    for res, checks in results:
        for c, wall, cpu in res.comparisons:
            tgt = c.target_text + (" (+CPU)" if c.cpu_target is not None else "")
            rows.append((
                res.workload, c.anchor if c.subject == "codesm" else f"{c.subject}/{c.anchor}",
                _fmt_ratio(wall), "-" if math.isnan(cpu.median) else f"{cpu.median:.3g}",
                f"{median_ms(res.sides[c.subject]):.1f}", f"{median_ms(res.sides[c.anchor]):.1f}",
                tgt, _status(c, wall, cpu), res.check,
            ))  # fmt: skip
        if not res.comparisons:
            for name, samples in res.sides.items():
                rows.append((res.workload, name, "-", "-", "", f"{median_ms(samples):.1f}", "", "",
                             res.check))  # fmt: skip
        for ch in checks:
            rel = "≥" if ch.higher_is_better else "≤"
            rows.append(
                (
                    res.workload,
                    ch.label,
                    f"{ch.value:.3g} {ch.unit}",
                    "",
                    "",
                    "",
                    f"{rel}{ch.limit:g} {ch.unit}",
                    "PASS" if ch.passed else "MISS",
                    "",
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for i, r in enumerate(rows):
        print("  ".join(x.ljust(widths[j]) for j, x in enumerate(r)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    p.add_argument("--corpus", default="C1", choices=["C1", "C1s", "C3"])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--warmup", type=int, default=1, help="rounds after the verification run")
    p.add_argument("--only", default=",".join(ALL), help=f"names or ids: {', '.join(ALL)} / "
                   + ", ".join(IDS))  # fmt: skip
    p.add_argument("--diff-pairs", default="syn10k,big100k,disjoint10k,disjoint100k")
    p.add_argument("--fuzzy-queries", type=int, default=20)
    p.add_argument("--no-gate", action="store_true", help="skip the quiet gate")
    p.add_argument("--gate-wait", type=float, default=120.0, help="max seconds to wait per round")
    p.add_argument("--seed", type=int, default=0, help="seed of the per-round shuffles")
    p.add_argument("--strict", action="store_true", help="stop at the first output mismatch")
    p.add_argument("--json", help="write machine info, gate readings and raw samples here")
    args = p.parse_args(argv)

    if shutil.which("rg") is None:
        print("error: rg not found (apt-get install ripgrep fd-find fzf)", file=sys.stderr)
        return 2
    try:
        root = str(corpus.prepare(args.corpus))
        pairs = corpus.diff_pairs()
    except corpus.CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    env = Env(
        corpus=args.corpus, root=root, native=_import_native(), fd=find_tool("fdfind", "fd"),
        fzf=find_tool("fzf"), diff_dir=str(pairs["syn10k"].old.parent),
        diff_pairs=[x for x in args.diff_pairs.split(",") if x in pairs],
        fuzzy_queries=args.fuzzy_queries,
    )  # fmt: skip
    info = machine_info(env)
    print(
        f"corpus {args.corpus} at {root} (HEAD {info['corpus_head'][:12]}), "
        f"{args.rounds} rounds, gate {'off' if args.no_gate else 'on'}",
        file=sys.stderr,
    )
    rng = random.Random(args.seed)
    tmp = make_tmp()
    results: list[tuple[WorkloadResult, list[Check]]] = []
    try:
        for w in build(env, [x.strip() for x in args.only.split(",") if x.strip()], tmp):
            print(f"{w.id}: {w.description} - verifying outputs", file=sys.stderr)
            check, problems = verify(w)
            for msg in problems:
                print(f"  MISMATCH {msg}", file=sys.stderr)
            if problems and args.strict:
                return 1
            print(f"  timing {len(w.sides)} sides x {args.rounds} rounds", file=sys.stderr)
            gate: list[GateReading] = run_rounds(
                w.sides, rounds=args.rounds, warmup=args.warmup, gate_wait_s=args.gate_wait,
                gate=not args.no_gate, rng=rng,
            )  # fmt: skip
            res = WorkloadResult(
                w.id, w.description, {s.name: s.samples for s in w.sides},
                compare(w.sides, w.comparisons), gate, check, notes=[*w.notes, *problems],
            )  # fmt: skip
            results.append((res, w.checks(w) if w.checks else []))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print_table(results)
    notes = [(r.workload, n) for r, _ in results for n in r.notes]
    if notes:
        print("\nnotes:")
        for wid, n in notes:
            print(f"  {wid}: {n}")
    busy = [g.busy for r, _ in results for g in r.gate if g.busy >= 0]
    if busy:
        print(
            f"\ngate: busy before rounds {min(busy):.0%}-{max(busy):.0%}; "
            f"{sum(1 for r, _ in results for g in r.gate if not g.passed)} rounds ran unquiet"
        )
    if args.json:
        payload = {
            "machine": info,
            "args": vars(args),
            "results": [{**dataclasses.asdict(r), "checks": [dataclasses.asdict(c) for c in ch]}
                        for r, ch in results],
        }  # fmt: skip
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=1, default=str)
        print(f"wrote {args.json}", file=sys.stderr)
    return 1 if any(r.check == "MISMATCH" for r, _ in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
