"""Statistical scenarios over time: how steady throughput stays from batch to batch."""

from __future__ import annotations

from ._scenario import Params, Scenario
from .throughput import pair_batches

THROUGHPUT_STABILITY = Scenario(
    name="throughput-stability",
    title="Throughput stability",
    category="Statistical",
    summary="10 s of batches of 1,000 send/recv pairs on capacity 1,000; per-batch throughput and its CV",
    measures="time for one task to send then receive a batch of {sample_every} items",
    operation="pair",
    defaults=Params(capacity=1_000, iterations=None, warmup=10_000, sample_every=1_000),
    tunable=frozenset({"impl", "capacity", "iterations", "warmup", "yield_every", "sample_every"}),
    body=pair_batches,
    min_capacity=1,
    default_duration_s=10.0,
)
