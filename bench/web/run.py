"""Run the web benchmarks W1-W7 and print ratios against peers measured in the same run.

    python -m bench.web [--rounds N] [--quick] [--only W1,W3] [--json out.json]

Servers: a real `codesm web` (through `serve()`, with a control channel into its SessionHub), the
bare Starlette broadcaster of `bench.web.bare`, and the scripted LLM server of `tests/support`
paced to a token rate. This is not a test: it reports (PERFORMANCE.md §5.4).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.web import fanout, replay, startup, tokens, tree_diff
from bench.web.options import Options
from bench.web.paced_llm import PacedLLMServer
from bench.web.report import Report, as_json, format_table
from bench.web.repos import small_repo
from bench.web.servers import OwnerSession, ServerProcess, start_bare, start_codesm_host

ALL = ("W1", "W2", "W3", "W4", "W5", "W6", "W7")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def run_all(opts: Options, only: set[str], scratch: Path) -> Report:
    report = Report()
    workspace = small_repo(scratch / "repo100", 100)
    if only & {"W1", "W2", "W3", "W7"}:
        llm = PacedLLMServer()
        llm.start()
        try:
            await _live_workloads(opts, only, workspace, scratch, llm, report)
        finally:
            llm.stop()
    if "W4" in only:
        say("W4: diff render")
        tree_diff.run_diff(opts, scratch, report)
    if only & {"W5", "W6"}:
        say("W5/W6: startup and idle memory")
        startup.run(opts, workspace, scratch / "home-startup", report, only)
    return report


async def _live_workloads(
    opts: Options,
    only: set[str],
    workspace: Path,
    scratch: Path,
    llm: PacedLLMServer,
    report: Report,
) -> None:
    """W1, W2, W7 and W3 against one `codesm web` on the 100-file repo and one bare server."""
    llm_env = {"ANTHROPIC_API_KEY": "sk-ant-bench", "ANTHROPIC_BASE_URL": llm.base_url}
    codesm = start_codesm_host(workspace, scratch / "home", llm_env)
    bare: ServerProcess | None = None
    try:
        bare = start_bare(scratch / "home")
        login = OwnerSession.login(codesm)
        if "W1" in only:
            say("W1: event fan-out")
            await fanout.run(opts, codesm, login, bare, report)
        if "W2" in only:
            say("W2: server-added latency per streamed token")
            await tokens.run(opts, codesm, login, llm, report)
        if "W7" in only:
            say("W7: long session, then a fresh client")
            await replay.run(opts, codesm, login, report)
        if "W3" in only:
            say(f"W3: file tree on {opts.tree_corpus} and a 100-file repo")
            tree_diff.run_tree(opts, codesm, login, scratch, report)
    finally:
        codesm.stop()
        if bare is not None:
            bare.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="tiny sizes, one round, no quiet gate")
    p.add_argument("--only", default=",".join(ALL), help="W1..W7, comma separated")
    p.add_argument("--no-gate", action="store_true", help="skip the quiet gate")
    p.add_argument("--gate-wait", type=float, default=60.0, help="max seconds to wait per round")
    p.add_argument("--tree-corpus", default=None, help="C1 (default), C1s or synthetic")
    p.add_argument(
        "--history-events", default=None, help="W7 history sizes, e.g. 1000,100000 (default 1000)"
    )
    p.add_argument("--json", help="write the rows, notes and raw samples here")
    args = p.parse_args(argv)
    opts = Options.quick_sizes() if args.quick else Options(rounds=args.rounds)
    if not args.quick:
        opts.gate, opts.gate_wait_s = not args.no_gate, args.gate_wait
    if args.tree_corpus:
        opts.tree_corpus = args.tree_corpus
    if args.history_events:
        opts.history_events = tuple(int(x) for x in args.history_events.split(","))
    only = {x.strip().upper() for x in args.only.split(",") if x.strip()}
    unknown = only - set(ALL)
    if unknown:
        p.error(f"unknown workloads: {', '.join(sorted(unknown))}")
    scratch = Path(tempfile.mkdtemp(prefix="codesm-bench-web-"))
    started = time.monotonic()
    try:
        report = asyncio.run(run_all(opts, only, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(format_table(report))
    if report.notes:
        print("\nnotes:")
        for note in report.notes:
            print(f"  {note}")
    busy = [g.busy for g in opts.gate_log if g.busy >= 0]
    if busy:
        unquiet = sum(1 for g in opts.gate_log if not g.passed)
        print(
            f"\ngate: busy before rounds {min(busy):.0%}-{max(busy):.0%}; "
            f"{unquiet} rounds ran unquiet"
        )
    say(f"took {time.monotonic() - started:.0f} s")
    if args.json:
        payload = {
            "options": {k: v for k, v in vars(opts).items() if k not in ("rng", "gate_log")},
            "gate": [g.__dict__ for g in opts.gate_log],
            **as_json(report),
        }
        Path(args.json).write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
        say(f"wrote {args.json}")
    return 0
