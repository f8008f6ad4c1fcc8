"""W7: a long session, then a fresh client: time to the newest turn, frames, server memory.

The history is whole scripted turns (11 events each, one commit per turn) published into the
real hub. A fresh client then does what a browser does: GET the session page (which already holds
the newest turns) and open its WebSocket, whose first frame replays the transcript. Measured:
page and replay time until the newest turn's element is in hand, WebSocket frames per 100
replayed events, and the server's RSS before the history, after it, and after the reconnects.
"""

from __future__ import annotations

import asyncio
import time

from bench.web.clients import close_all, open_clients
from bench.web.options import Options
from bench.web.report import Report, Row, med
from bench.web.servers import OwnerSession, ServerProcess, rss_kb
from codesm.web.render.view import dom_id

QUIET_AFTER_REPLAY_S = 0.3
MIN_EVENTS_TO_JUDGE_RSS = 10_000
"""Below this, RSS noise (allocator arenas, caches) swamps the history's own growth."""


async def reconnect(login: OwnerSession, session: str, newest: str) -> dict[str, float]:
    t0 = time.monotonic_ns()
    with login.http() as http:
        page = await asyncio.to_thread(http.get, f"/s/{session}")
    t1 = time.monotonic_ns()
    if page.status_code != 200 or f'id="{newest}"' not in page.text:
        raise RuntimeError(f"the session page ({page.status_code}) lacks the newest turn")
    (ws,) = await open_clients(login.ws_url(session), 1, **login.ws_args())
    try:
        frames, replay_ns, size = 0, 0, 0
        while True:
            try:
                message = await asyncio.wait_for(ws.recv(), QUIET_AFTER_REPLAY_S if frames else 30)
            except TimeoutError:
                break
            frames += 1
            size += len(message)
            if not replay_ns and f'id="{newest}"' in str(message):
                replay_ns = time.monotonic_ns()
    finally:
        await close_all([ws])
    if not replay_ns:
        raise RuntimeError("the WebSocket replay lacks the newest turn")
    return {
        "page_ms": (t1 - t0) / 1e6,
        "replay_ms": (replay_ns - t1) / 1e6,
        "total_ms": (replay_ns - t0) / 1e6,
        "frames": frames,
        "page_kb": len(page.content) / 1024,
        "replay_kb": size / 1024,
    }


async def run(opts: Options, server: ServerProcess, login: OwnerSession, report: Report) -> None:
    for events in opts.history_events:
        session = (await asyncio.to_thread(server.call, "new_session"))["session"]
        rss0 = rss_kb(server.pid)
        t0 = time.monotonic()
        seeded = await asyncio.to_thread(server.call, "seed", session=session, events=events)
        seed_s = time.monotonic() - t0
        rss1 = rss_kb(server.pid)
        newest = dom_id("turn", seeded["last_turn"])
        trials = []
        for _ in range(opts.reconnects):
            opts.before_round()
            trials.append(await reconnect(login, session, newest))
        rss2 = rss_kb(server.pid)
        stored = int(seeded["events"])
        series = {k: [t[k] for t in trials] for k in trials[0]}
        report.samples[f"W7 {stored}"] = {**series, "rss_kb": [rss0, rss1, rss2]}
        who = f"{stored:,} events ({seeded['turns']:,} turns)"
        total = med(series["total_ms"])
        report.add(
            Row(
                "W7",
                f"{who}: fresh client to newest turn (page + WS replay)",
                "ms",
                total,
                target="≤300 ms",
                met=total <= 300,
            )
        )
        report.add(
            Row(
                "W7",
                f"{who}: of which page GET",
                "ms",
                med(series["page_ms"]),
                note=f"{med(series['page_kb']):.0f} KiB",
            )
        )
        per100 = 100 * med(series["frames"]) / stored
        report.add(
            Row(
                "W7",
                f"{who}: WS frames per 100 replayed events",
                "",
                per100,
                target="≤1",
                met=per100 <= 1,
            )
        )
        history_mb = (rss1 - rss0) / 1024
        per100k = history_mb * 100_000 / stored
        judged = stored >= MIN_EVENTS_TO_JUDGE_RSS
        report.add(
            Row(
                "W7",
                f"{who}: server RSS growth from the history",
                "MB",
                history_mb,
                target="≤50 MB / 100k events",
                met=per100k <= 50 if judged else None,
                note=f"{per100k:.0f} MB per 100k" if judged else "too few to judge",
            )
        )
        report.add(
            Row(
                "W7",
                f"{who}: server RSS growth from {opts.reconnects} reconnects",
                "MB",
                (rss2 - rss1) / 1024,
            )
        )
        report.notes.append(
            f"W7 {who}: seeded in {seed_s:.1f} s; replay frame {med(series['replay_kb']):.0f} KiB; "
            f"RSS {rss0 / 1024:.0f} -> {rss1 / 1024:.0f} (history) -> {rss2 / 1024:.0f} MB "
            f"(after {opts.reconnects} reconnects); the first reconnect (nothing folded in "
            f"memory yet) took {series['total_ms'][0]:.0f} ms, page {series['page_ms'][0]:.0f} ms"
        )
