"""Interleaved, shuffled, quiet-gated benchmark driver (PERFORMANCE.md §5.1).

A workload has sides: the codesm call (in-process), anchors (processes whose stdout is drained
through a pipe, CPU time from `os.wait4`) and pure-Python baselines (in-process). Each round runs
every side once in a fresh random order after the quiet gate; a comparison reports the median of
the per-round ratios codesm/anchor for wall and CPU time, with min and max.
"""

from __future__ import annotations

import gc
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Literal

SideKind = Literal["codesm", "anchor", "python"]

BUSY_LIMIT = 0.15
GATE_SAMPLE_S = 0.5


@dataclass(frozen=True)
class Sample:
    wall_ns: int
    cpu_ns: int


@dataclass
class Side:
    """One way of doing a workload. `run` does it once and returns the timing and the output."""

    name: str
    kind: SideKind
    run: Callable[[], tuple[Sample, Any]]
    samples: list[Sample] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    """`subject/anchor` per round; `target` is the bound on the wall (or CPU) ratio."""

    subject: str
    anchor: str
    target: float | None = None
    target_text: str = ""
    cpu_target: float | None = None


@dataclass(frozen=True)
class GateReading:
    busy: float
    waited_s: float
    passed: bool


@dataclass(frozen=True)
class RatioStats:
    median: float
    low: float
    high: float


@dataclass
class WorkloadResult:
    workload: str
    description: str
    sides: dict[str, list[Sample]]
    comparisons: list[tuple[Comparison, RatioStats, RatioStats]]
    gate: list[GateReading]
    check: str
    notes: list[str] = field(default_factory=list)


# --- timing -----------------------------------------------------------------------------------


def _self_cpu_ns() -> int:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return int((ru.ru_utime + ru.ru_stime) * 1e9)


def time_call(fn: Callable[[], Any]) -> tuple[Sample, Any]:
    """Wall (`perf_counter_ns`) and process CPU (all threads) of one in-process call, gc off."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        cpu0 = _self_cpu_ns()
        t0 = time.perf_counter_ns()
        out = fn()
        t1 = time.perf_counter_ns()
        cpu1 = _self_cpu_ns()
    finally:
        if gc_was_enabled:
            gc.enable()
    return Sample(t1 - t0, cpu1 - cpu0), out


def time_process(
    argv: Sequence[str], *, cwd: str | None = None, stdin_path: str | None = None
) -> tuple[Sample, bytes]:
    """Run a process with stdout drained through a pipe (never /dev/null: rg stops early there).

    Wall covers spawn to reap; CPU is the child's user+sys from `os.wait4`.
    """
    stdin: IO[bytes] | int = subprocess.DEVNULL
    fh = open(stdin_path, "rb") if stdin_path else None  # noqa: SIM115 - closed below
    if fh is not None:
        stdin = fh
    try:
        t0 = time.perf_counter_ns()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        chunks: list[bytes] = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        _, status, ru = os.wait4(proc.pid, 0)
        t1 = time.perf_counter_ns()
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
    finally:
        if fh is not None:
            fh.close()
    # rg and git grep exit 1 when nothing matched; a crash or bad usage is 2 or a signal.
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}")
    return Sample(t1 - t0, int((ru.ru_utime + ru.ru_stime) * 1e9)), b"".join(chunks)


def in_process(name: str, kind: SideKind, fn: Callable[[], Any]) -> Side:
    return Side(name, kind, lambda: time_call(fn))


def process(
    name: str, argv: Sequence[str], *, cwd: str | None = None, stdin_path: str | None = None
) -> Side:
    return Side(name, "anchor", lambda: time_process(argv, cwd=cwd, stdin_path=stdin_path))


# --- quiet gate -------------------------------------------------------------------------------


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat", encoding="ascii") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return idle, sum(fields[:8])


def busy_fraction(sample_s: float = GATE_SAMPLE_S) -> float:
    idle0, total0 = _cpu_times()
    time.sleep(sample_s)
    idle1, total1 = _cpu_times()
    total = total1 - total0
    return 0.0 if total <= 0 else 1.0 - (idle1 - idle0) / total


def quiet_gate(max_wait_s: float, *, enabled: bool = True) -> GateReading:
    """Wait until the machine is <15 % busy (sampled over 0.5 s), at most `max_wait_s`."""
    if not enabled or not os.path.exists("/proc/stat"):
        return GateReading(busy=-1.0, waited_s=0.0, passed=True)
    start = time.monotonic()
    while True:
        busy = busy_fraction()
        waited = time.monotonic() - start
        if busy < BUSY_LIMIT:
            return GateReading(busy, waited, True)
        if waited >= max_wait_s:
            print(
                f"  gate: still {busy:.0%} busy after {waited:.0f} s, running anyway",
                file=sys.stderr,
            )
            return GateReading(busy, waited, False)


# --- rounds -----------------------------------------------------------------------------------


def _ratio_stats(values: list[float]) -> RatioStats:
    if not values:
        return RatioStats(float("nan"), float("nan"), float("nan"))
    return RatioStats(statistics.median(values), min(values), max(values))


def run_rounds(
    sides: Sequence[Side],
    *,
    rounds: int,
    warmup: int,
    gate_wait_s: float,
    gate: bool,
    rng: random.Random,
) -> list[GateReading]:
    """Warm-up rounds, then `rounds` measured rounds; each round in a new shuffled order."""
    readings: list[GateReading] = []
    for r in range(warmup + rounds):
        reading = quiet_gate(gate_wait_s, enabled=gate)
        order = list(sides)
        rng.shuffle(order)
        for side in order:
            sample, _ = side.run()
            if r >= warmup:
                side.samples.append(sample)
        if r >= warmup:
            readings.append(reading)
    return readings


def compare(
    sides: Sequence[Side], comparisons: Sequence[Comparison]
) -> list[tuple[Comparison, RatioStats, RatioStats]]:
    by_name = {s.name: s for s in sides}
    out = []
    for c in comparisons:
        if c.subject not in by_name or c.anchor not in by_name:
            continue
        a, b = by_name[c.subject].samples, by_name[c.anchor].samples
        wall = [x.wall_ns / y.wall_ns for x, y in zip(a, b, strict=True) if y.wall_ns > 0]
        cpu = [x.cpu_ns / y.cpu_ns for x, y in zip(a, b, strict=True) if y.cpu_ns > 0]
        out.append((c, _ratio_stats(wall), _ratio_stats(cpu)))
    return out


def median_ms(samples: Sequence[Sample], attr: Literal["wall_ns", "cpu_ns"] = "wall_ns") -> float:
    if not samples:
        return float("nan")
    return float(statistics.median(getattr(s, attr) for s in samples)) / 1e6
