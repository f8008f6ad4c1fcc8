"""W1: one session's events fanned out to N WebSocket clients, codesm vs the bare broadcaster.

codesm: `count` text deltas of `size` bytes published into the real SessionHub of a real
`codesm web` (commit, then every subscribed page renders and sends its fragments); the peer
broadcasts the same strings. Measured per trial: deliveries per second (events received by all
clients / time from the first publish to the last receipt), per-event latency p50/p99, events
lost, and the server's CPU per 1,000 deliveries. The stall check runs `stall_clients` readers
plus one client that never reads, against the same readers alone.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.web.clients import (
    close_all,
    collect_markers,
    first_frame,
    open_clients,
    percentile,
    stalled_client,
)
from bench.web.options import Options
from bench.web.report import Report, compare_row, med
from bench.web.servers import OwnerSession, ServerProcess, cpu_ns

Trial = dict[str, float]


async def flood(
    opts: Options, server: ServerProcess, login: OwnerSession | None, n: int, *, stall: bool
) -> Trial:
    """One flood to `n` readers (plus a stalled client); `login` None means the bare peer."""
    publish: dict[str, Any] = {
        "count": opts.flood_events,
        "size": opts.event_bytes,
        "batch": opts.publish_batch,
    }
    if login is not None:
        session = (await asyncio.to_thread(server.call, "new_session"))["session"]
        url, args = login.ws_url(session), login.ws_args()
        publish["session"] = session
    else:
        url, args = server.base_url.replace("http", "ws", 1) + "/ws", {"max_size": None}
    readers = await open_clients(url, n, **args)
    stuck = [await stalled_client(url, **args)] if stall else []
    try:
        if login is not None:  # the replay frame every page gets first
            await asyncio.gather(*(first_frame(ws) for ws in readers))
        cpu0, t0 = cpu_ns(server.pid), time.monotonic_ns()
        tasks = [
            asyncio.create_task(collect_markers(ws, opts.flood_events, opts.idle_timeout_s))
            for ws in readers
        ]
        await asyncio.to_thread(server.call, "publish", **publish)
        receipts = await asyncio.gather(*tasks)
        cpu1 = cpu_ns(server.pid)
    finally:
        await close_all(readers + stuck)
    delivered = sum(r.events for r in receipts)
    end = max((r.last_ns for r in receipts if r.events), default=t0)
    latencies = [x for r in receipts for x in r.latencies_ns]
    return {
        "rate": delivered / max(1e-9, (end - t0) / 1e9),
        "p50_ms": percentile(latencies, 0.50) / 1e6,
        "p99_ms": percentile(latencies, 0.99) / 1e6,
        "lost": n * opts.flood_events - delivered,
        "frames_per_100": 100 * sum(r.frames for r in receipts) / max(1, delivered),
        "cpu_us_per_delivery": (cpu1 - cpu0) / 1e3 / max(1, delivered),
    }


async def run(
    opts: Options, codesm: ServerProcess, login: OwnerSession, bare: ServerProcess, report: Report
) -> None:
    cases = [(f"N={n}", n, False) for n in sorted({*opts.clients, opts.stall_clients})]
    cases.append((f"N={opts.stall_clients}+stalled", opts.stall_clients, True))
    series: dict[str, list[float]] = {}
    for _ in range(opts.rounds):
        opts.before_round()
        order = [(case, side) for case in cases for side in ("codesm", "bare")]
        opts.rng.shuffle(order)
        for (name, n, stall), side in order:
            trial = await flood(
                opts,
                codesm if side == "codesm" else bare,
                login if side == "codesm" else None,
                n,
                stall=stall,
            )
            for key, value in trial.items():
                series.setdefault(f"{side} {name} {key}", []).append(value)
    report.samples["W1"] = series
    for name, _, stall in cases:
        if stall:
            continue
        s = {
            f"{side} {key}": series[f"{side} {name} {key}"]
            for side in ("codesm", "bare")
            for key in trial
        }
        report.add(
            compare_row(
                "W1",
                f"{name}: deliveries/s",
                "ev/s",
                s["codesm rate"],
                s["bare rate"],
                "bare",
                target="≥0.67x bare",
                ok=lambda r: r.median >= 0.67,
            )
        )
        report.add(
            compare_row(
                "W1", f"{name}: latency p50", "ms", s["codesm p50_ms"], s["bare p50_ms"], "bare"
            )
        )
        report.add(
            compare_row(
                "W1",
                f"{name}: latency p99",
                "ms",
                s["codesm p99_ms"],
                s["bare p99_ms"],
                "bare",
                target="≤2x bare",
                ok=lambda r: r.median <= 2.0,
            )
        )
        report.add(
            compare_row(
                "W1",
                f"{name}: server CPU per delivery",
                "µs",
                s["codesm cpu_us_per_delivery"],
                s["bare cpu_us_per_delivery"],
                "bare",
            )
        )
        lost = max(series[f"codesm {name} lost"])
        if lost:
            report.notes.append(f"W1 {name}: codesm clients missed up to {lost:.0f} events")
        report.notes.append(
            f"W1 {name}: codesm sent {med(series[f'codesm {name} frames_per_100']):.2g} WS frames "
            f"per 100 events, bare {med(series[f'bare {name} frames_per_100']):.3g}"
        )
    stalled, alone = f"N={opts.stall_clients}+stalled", f"N={opts.stall_clients}"
    for side in ("codesm", "bare"):
        with_stall, without = series[f"{side} {stalled} rate"], series[f"{side} {alone} rate"]
        row = compare_row(
            "W1",
            f"{side}: readers' rate with a stalled client / without",
            "ev/s",
            with_stall,
            without,
            "no stalled client",
            target="≥0.9 (≤10 % lower)" if side == "codesm" else "",
            ok=(lambda r: r.median >= 0.9) if side == "codesm" else None,
        )
        report.add(row)
