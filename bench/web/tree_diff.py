"""W3 (file tree) and W4 (diff render): codesm's server side against git in the same rounds.

W3 times, over HTTP on loopback against a real `codesm web`, one level of the file tree
(`/files/tree`) and the whole session page (which embeds the root level), on a big corpus (C1,
or a synthetic tree with `--tree-corpus synthetic`) and on a 100-file repository; the peer is
`git ls-files` (a process) on the same tree. What a browser paints is not measured here.

W4 renders a proposed change of a 16k-line pair (1 % changed) through the same code as the live
page (`SessionRenderer` folding a `ChangeProposed` event: parse, highlight, template) and times
it with and without computing the diff (`codesm._native.diff`); the peer is
`git diff --no-index` on the same pair.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import corpus
from bench.driver import time_call, time_process
from bench.web.options import Options
from bench.web.report import Report, Row, compare_row, med
from bench.web.repos import small_repo
from bench.web.servers import OwnerSession, ServerProcess, start_codesm_host
from codesm import _native
from codesm.agent.events import ChangeProposed, Event, StoredEvent, TurnStarted
from codesm.web.access import CsrfForRequest
from codesm.web.app import TEMPLATES_DIR
from codesm.web.app import _template_env as template_env  # the app's own Jinja environment
from codesm.web.render.live import SessionRenderer
from codesm.web.render.view import StatusView

BIG_LEVELS = {
    "C1": ("drivers", "include/linux"),
    "C1s": ("include", "include/linux"),
    "synthetic": ("pkg000",),
}
Timer = Callable[[], int]
OLD, NEW = "a/src/big.c", "b/src/big.c"
"""A C file's labels: the review highlights it as C, as it would a proposed edit of one."""


def _get(http: httpx.Client, path: str) -> Timer:
    def timed() -> int:
        t0 = time.perf_counter_ns()
        response = http.get(path)
        elapsed = time.perf_counter_ns() - t0
        response.raise_for_status()
        return elapsed

    return timed


def _process(argv: list[str], cwd: Path) -> Timer:
    return lambda: time_process(argv, cwd=str(cwd))[0].wall_ns


def _rounds(opts: Options, timers: dict[str, Timer]) -> dict[str, list[float]]:
    for timer in timers.values():  # warm-up: caches, connections, first-call imports
        timer()
    series: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(opts.rounds):
        opts.before_round()
        order = list(timers)
        opts.rng.shuffle(order)
        for name in order:
            series[name].append(timers[name]() / 1e6)
    return series


def _big_tree(opts: Options, scratch: Path) -> Path:
    if opts.tree_corpus == "synthetic":
        return small_repo(scratch / "tree-big", opts.synthetic_tree_files, per_dir=100)
    return corpus.prepare(opts.tree_corpus)


def run_tree(
    opts: Options, small: ServerProcess, small_login: OwnerSession, scratch: Path, report: Report
) -> None:
    big_root = _big_tree(opts, scratch)
    small_root = Path(small.banner[1].split(":", 1)[1].strip())
    big = start_codesm_host(big_root, scratch / "home-tree")
    try:
        big_login = OwnerSession.login(big)
        big_session = big.call("new_session")["session"]
        small_session = small.call("new_session")["session"]
        with big_login.http() as big_http, small_login.http() as small_http:
            timers: dict[str, Timer] = {
                "big root": _get(big_http, "/files/tree"),
                "small root": _get(small_http, "/files/tree"),
                "big page": _get(big_http, f"/s/{big_session}"),
                "small page": _get(small_http, f"/s/{small_session}"),
                "git big": _process(["git", "ls-files"], big_root),
                "git small": _process(["git", "ls-files"], small_root),
            }
            levels = BIG_LEVELS.get(opts.tree_corpus, ())
            for level in levels:
                timers[f"big {level}"] = _get(big_http, f"/files/tree?path={level}")
            series = _rounds(opts, timers)
    finally:
        big.stop()
    report.samples["W3"] = series
    name = opts.tree_corpus
    report.add(
        compare_row(
            "W3",
            f"{name}: tree root level (/files/tree)",
            "ms",
            series["big root"],
            series["git big"],
            "git ls-files",
        )
    )
    report.add(
        compare_row(
            "W3",
            f"{name} vs 100-file repo: tree root level",
            "ms",
            series["big root"],
            series["small root"],
            "100 files",
            target="≤1.2x, ≤20 ms",
            ok=lambda r: r.median <= 1.2 and med(series["big root"]) <= 20,
        )
    )
    report.add(
        compare_row(
            "W3",
            f"{name} vs 100-file repo: session page (first render, server)",
            "ms",
            series["big page"],
            series["small page"],
            "100 files",
            target="≤1.2x, ≤300 ms",
            ok=lambda r: r.median <= 1.2 and med(series["big page"]) <= 300,
        )
    )
    report.add(
        compare_row(
            "W3",
            "100-file repo: tree root level",
            "ms",
            series["small root"],
            series["git small"],
            "git ls-files",
        )
    )
    for level in levels:
        got = med(series[f"big {level}"])
        report.add(
            Row("W3", f"{name}: expand {level}/", "ms", got, target="≤100 ms", met=got <= 100)
        )


def _pair(scratch: Path, lines: int) -> tuple[Path, Path]:
    rng = random.Random(16)
    old = corpus.synthetic_text(rng, lines, "a")
    new = corpus.mutate(rng, old, 0.01)
    paths = scratch / f"pair{lines}.old", scratch / f"pair{lines}.new"
    for path, text in zip(paths, (old, new), strict=True):
        path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return paths


def _renderer() -> Callable[[str], int]:
    """Folds a `ChangeProposed` with `diff` into a live page's renderer; returns bytes rendered."""
    macros = (
        template_env(TEMPLATES_DIR, csrf_token=CsrfForRequest("bench"))
        .get_template("partials/live.html")
        .module
    )
    renderer = SessionRenderer(macros, StatusView("smart", "review", "bench"), lambda m: m)
    seq = 0

    def fold(event: Event) -> list[str]:
        nonlocal seq
        seq += 1
        stored = StoredEvent(session_id="bench", seq=seq, ts=datetime.now(UTC), event=event)
        return renderer.apply(stored)

    fold(TurnStarted(turn_id="t1"))

    def render(diff: str) -> int:
        change = ChangeProposed(
            turn_id="t1", call_id=f"c{seq}", change_id=f"ch{seq}", paths=["src/big.c"], diff=diff
        )
        return sum(map(len, fold(change)))

    return render


def run_diff(opts: Options, scratch: Path, report: Report) -> None:
    pairs = {f"{opts.diff_lines // 1000}k lines": _pair(scratch, opts.diff_lines)}
    if not opts.quick:
        big = corpus.diff_pairs()["big100k"]
        pairs["100k lines"] = (big.old, big.new)
    render = _renderer()
    for name, (old_path, new_path) in pairs.items():
        old, new = old_path.read_text(), new_path.read_text()
        diff = _native.diff(old, new, old_label=OLD, new_label=NEW).unified
        if render(diff) < len(diff) // 2:
            raise RuntimeError("the rendered diff is smaller than the diff itself")
        git = ["git", "diff", "--no-index", "--no-color", str(old_path), str(new_path)]
        series = _rounds(
            opts,
            {
                "render": lambda d=diff: time_call(lambda: render(d))[0].wall_ns,  # type: ignore[misc]
                "diff+render": lambda o=old, n=new: (
                    time_call(  # type: ignore[misc]
                        lambda: render(_native.diff(o, n, old_label=OLD, new_label=NEW).unified)
                    )[0].wall_ns
                ),
                "git": _process(git, scratch),
            },
        )
        report.samples[f"W4 {name}"] = series
        lines = diff.count("\n")
        report.add(
            compare_row(
                "W4",
                f"{name} pair ({lines:,}-line diff): render the change fragment",
                "ms",
                series["render"],
                series["git"],
                "git diff --no-index",
            )
        )
        report.add(
            compare_row(
                "W4",
                f"{name} pair: diff + render",
                "ms",
                series["diff+render"],
                series["git"],
                "git diff --no-index",
                target="≤1.5x git",
                ok=lambda r: r.median <= 1.5,
            )
        )
