"""The web benchmark harness (`python -m bench.web`) at tiny sizes: it drives real servers and
produces a well-formed report. Only the report's shape and the harness's own bookkeeping are
checked here; the numbers are the benchmark's business, not a test's."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path
from typing import Any

import pytest

from bench.web.options import Options
from bench.web.report import Report, as_json, format_table
from bench.web.run import main, run_all

pytestmark = pytest.mark.slow


def tiny(**overrides: object) -> Options:
    sizes: dict[str, object] = {
        "clients": (1, 2), "flood_events": 60, "stall_clients": 2, "token_rates": (400,),
        "tokens_at": {400: 24}, "synthetic_tree_files": 150, "diff_lines": 400, "idle_s": 0.2,
        "history_events": (40,), "reconnects": 1,
    }  # fmt: skip
    sizes.update(overrides)
    return Options.quick_sizes(**sizes)


def assert_well_formed(report: Report, workloads: set[str]) -> dict[str, Any]:
    assert {row.workload for row in report.rows} == workloads
    for row in report.rows:
        assert row.label and row.unit is not None
        assert isinstance(row.codesm, float | int) and not math.isnan(row.codesm), row
        assert row.met in (True, False, None)
        if row.target and row.met is None:
            assert row.note, f"{row.label} has a target but neither a verdict nor a reason"
        if row.ratio is not None:
            assert row.ratio.low <= row.ratio.median <= row.ratio.high
    table = format_table(report)
    assert len(table.splitlines()) == len(report.rows) + 2
    payload: dict[str, Any] = json.loads(json.dumps(as_json(report)))
    assert len(payload["rows"]) == len(report.rows)
    return payload


@pytest.mark.timeout(300)
def test_the_live_workloads_report_every_event_delivered_and_every_token_seen(
    tmp_path: Path,
) -> None:
    report = asyncio.run(run_all(tiny(), {"W1", "W2", "W3", "W7"}, tmp_path))

    assert_well_formed(report, {"W1", "W2", "W3", "W7"})
    w1, w2 = report.samples["W1"], report.samples["W2"]
    assert all(lost == 0 for key, values in w1.items() if key.endswith(" lost") for lost in values)
    assert all(m == 0 for key, values in w2.items() if key.endswith(" missing") for m in values)
    labels = [row.label for row in report.rows]
    assert any("stalled client" in label for label in labels)
    assert any("fresh client to newest turn" in label for label in labels)


@pytest.mark.timeout(300)
def test_startup_memory_and_diff_workloads_report_against_their_peers(tmp_path: Path) -> None:
    report = asyncio.run(run_all(tiny(), {"W4", "W5", "W6"}, tmp_path))

    payload = assert_well_formed(report, {"W4", "W5", "W6"})
    peers = {row["peer_name"] for row in payload["rows"]}
    assert {"git diff --no-index", "bare uvicorn"} <= peers
    assert any(line.endswith("codesm.web.app") for line in report.importtime)


def test_the_command_line_writes_the_table_and_a_json_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "web.json"

    assert main(["--quick", "--only", "W4", "--json", str(out)]) == 0

    printed = capsys.readouterr().out
    assert "W4" in printed and "git diff --no-index" in printed
    rows = json.loads(out.read_text())["rows"]
    assert rows and all(row["workload"] == "W4" for row in rows)
