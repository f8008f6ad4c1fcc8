"""Sizes and switches shared by the web workloads; `--quick` shrinks every one of them."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bench.driver import GateReading, quiet_gate


@dataclass
class Options:
    rounds: int = 5
    gate: bool = True
    gate_wait_s: float = 60.0
    quick: bool = False
    # W1
    clients: tuple[int, ...] = (1, 10, 50)
    flood_events: int = 20_000
    event_bytes: int = 200
    publish_batch: int = 100
    stall_clients: int = 10
    # W2
    token_rates: tuple[int, ...] = (50, 500)
    tokens_at: dict[int, int] = field(default_factory=lambda: {50: 400, 500: 4000})
    # W3, W4
    tree_corpus: str = "C1"
    synthetic_tree_files: int = 2_000
    diff_lines: int = 16_000
    # W5, W6
    idle_s: float = 10.0
    # W7
    history_events: tuple[int, ...] = (1_000,)
    reconnects: int = 5
    idle_timeout_s: float = 15.0
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    gate_log: list[GateReading] = field(default_factory=list)

    @classmethod
    def quick_sizes(cls, **overrides: object) -> Options:
        opts = cls(
            rounds=1,
            gate=False,
            quick=True,
            clients=(1, 3),
            flood_events=300,
            stall_clients=2,
            token_rates=(200,),
            tokens_at={200: 60},
            tree_corpus="synthetic",
            diff_lines=2_000,
            idle_s=1.0,
            history_events=(200,),
            reconnects=2,
            idle_timeout_s=10.0,
        )
        for key, value in overrides.items():
            setattr(opts, key, value)
        return opts

    def before_round(self) -> None:
        self.gate_log.append(quiet_gate(self.gate_wait_s, enabled=self.gate))
