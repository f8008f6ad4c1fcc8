"""W5 (startup) and W6 (idle memory): the real `codesm web` CLI against a bare uvicorn app.

W5: from spawning the process to the first `/healthz` 200, each side spawned once per round in a
shuffled order; plus the import time of `codesm._native` and the slowest imports of the CLI
(`python -X importtime`). W6: both servers started side by side, left idle, then their RSS.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.web.options import Options
from bench.web.report import Report, Row, compare_row, med
from bench.web.servers import REPO_ROOT, free_port, isolated_env, rss_kb, wait_healthy

CODESM = Path(sys.executable).with_name("codesm")


def _argv(side: str, workspace: Path, port: int) -> list[str]:
    if side == "codesm":
        script = [str(CODESM)] if CODESM.exists() else [sys.executable, "-m", "codesm.cli"]
        return [*script, "web", str(workspace), "--no-open", "--port", str(port)]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.web.bare:app",
        "--port",
        str(port),
        "--ws",
        "websockets-sansio",
        "--log-level",
        "warning",
        "--no-server-header",
    ]


def _start(side: str, workspace: Path, home: Path) -> tuple[subprocess.Popen[bytes], float]:
    """The process, and seconds from spawn to its first healthy answer."""
    port = free_port()
    t0 = time.perf_counter()
    process = subprocess.Popen(
        _argv(side, workspace, port),
        env=isolated_env(home),
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
    except TimeoutError:
        _stop(process)
        raise
    return process, time.perf_counter() - t0


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def import_times(module: str) -> list[tuple[int, int, str]]:
    """(cumulative µs, self µs, module) of every import `import module` makes, slowest first."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), int(parts[0]), parts[2].strip()))
    return sorted(rows, reverse=True)


def run(opts: Options, workspace: Path, home: Path, report: Report, only: set[str]) -> None:
    if "W5" in only:
        series: dict[str, list[float]] = {"codesm": [], "bare": [], "native import": []}
        for _ in range(opts.rounds):
            opts.before_round()
            for side in opts.rng.sample(["codesm", "bare"], 2):
                process, seconds = _start(side, workspace, home)
                _stop(process)
                series[side].append(seconds * 1e3)
            # The extension module's own load, without the `codesm` package it sits in.
            native = {name: own for _, own, name in import_times("codesm._native")}
            series["native import"].append(native.get("codesm._native", 0) / 1e3)
        cli = import_times("codesm.web.server")
        report.samples["W5"] = series
        report.importtime = [f"{us:>9} µs  {name}" for us, _, name in cli[:40]]
        added = med([a - b for a, b in zip(series["codesm"], series["bare"], strict=True)])
        report.add(
            compare_row(
                "W5",
                "startup to /healthz 200",
                "ms",
                series["codesm"],
                series["bare"],
                "bare uvicorn",
            )
        )
        report.add(
            Row("W5", "startup added over bare", "ms", added, target="≤150 ms", met=added <= 150)
        )
        native_ms = med(series["native import"])
        report.add(
            Row(
                "W5", "import codesm._native", "ms", native_ms, target="≤10 ms", met=native_ms <= 10
            )
        )
        slowest = ", ".join(f"{name} {us / 1e3:.0f} ms" for us, _, name in cli[1:6])
        total = cli[0][0] / 1e3
        report.notes.append(f"W5: import codesm.web.server {total:.0f} ms; slowest: {slowest}")
    if "W6" in only:
        codesm, _ = _start("codesm", workspace, home)
        bare, _ = _start("bare", workspace, home)
        try:
            time.sleep(opts.idle_s)
            idle = {"codesm": rss_kb(codesm.pid) / 1024, "bare": rss_kb(bare.pid) / 1024}
        finally:
            _stop(codesm)
            _stop(bare)
        report.samples["W6"] = {k: [v] for k, v in idle.items()}
        extra = idle["codesm"] - idle["bare"]
        report.add(
            compare_row(
                "W6",
                f"idle RSS after {opts.idle_s:g} s",
                "MB",
                [idle["codesm"]],
                [idle["bare"]],
                "bare uvicorn",
            )
        )
        report.add(
            Row("W6", "idle RSS added over bare", "MB", extra, target="≤40 MB", met=extra <= 40)
        )
