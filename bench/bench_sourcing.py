"""Sourcing decision for a 5-line order over 100 locations (pure computation, no database)."""

import random
import statistics
import time
from datetime import datetime
from datetime import time as clock

from bench.run import Result
from orders.fulfilment.geo import Point
from orders.fulfilment.sourcing import (
    FEWEST_SHIPMENTS,
    LOWEST_COST,
    NEAREST,
    WEIGHTED,
    Candidate,
    Line,
    Request,
    Route,
    decide,
)

LOCATIONS = 100
LINES = 5
ROUNDS = 300
HUBS = 5  # locations 0..4 consolidate; every other location may forward to one of them


def _network(rng: random.Random) -> list[Candidate]:
    candidates = []
    for index in range(LOCATIONS):
        point = Point(-23.5 + rng.uniform(-8, 8), -46.6 + rng.uniform(-8, 8))
        stock = {variant: rng.choice([0, 2, 5, 20, 50]) for variant in range(1, LINES + 1)}
        candidates.append(Candidate(index, f"Location {index}", point, stock, handling_days=rng.choice([0, 1, 2]),
                                    cutoff=clock(rng.choice([12, 14, 16]), 0)))
    return candidates


def run() -> list[Result]:
    rng = random.Random(7)
    candidates = _network(rng)
    lines = tuple(Line(variant, rng.choice([1, 2, 3]), rng.choice([200, 500, 1500])) for variant in range(1, LINES + 1))
    routes = [Route(index, index % HUBS, days=1) for index in range(HUBS, LOCATIONS)]
    results = []
    for strategy, network_routes in ((NEAREST, ()), (LOWEST_COST, ()), (WEIGHTED, ()), (FEWEST_SHIPMENTS, routes)):
        request = Request(lines=lines, destination=Point(-23.56, -46.69), now=datetime(2026, 11, 23, 10, 0),
                          strategy=strategy)
        timings = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            decision = decide(request, candidates, routes=network_routes)
            timings.append((time.perf_counter() - started) * 1000)
        assert decision.plan is not None
        timings.sort()
        results.append(Result(
            f"sourcing 5 lines x {LOCATIONS} locations ({strategy}{', with routes' if network_routes else ''})",
            statistics.median(timings), "ms median",
            note=f"p95 {timings[int(len(timings) * 0.95)]:.2f} ms, {len(decision.alternatives) + 1} plans scored",
        ))
    return results
