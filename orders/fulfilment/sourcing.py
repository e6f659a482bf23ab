"""Sourcing (order promising): which locations ship which quantities, at what cost, arriving when.

Pure computation over plain values, so the same engine serves placement, re-sourcing after an edit,
the simulation page and the benchmark. ``decide`` builds candidate plans (one location for
everything, greedy splits, transfers to a pick-up store), scores each by the channel's strategy and
returns the winner with its alternatives and a sentence an agent can read:
"Loja Pinheiros: 3.4 km, arrives Tue, R$ 11,90 cheaper than CD Cajamar".

Consolidation: where the network has a ``Route`` from a location to another, the first may forward its
units to the second, which ships everything in one parcel ("CD Cajamar consolidates Loja Pinheiros' items:
one package, arrives Thu"). The forwarding leg adds its working days and cost to the plan.
"""

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.utils.translation import gettext_noop

from oms.i18n import StoredDate, StoredMoney, StoredNumber, StoredText, stored_join, stored_plural, stored_text
from oms.money import quantize
from orders.fulfilment.calendar import ClosedDays, add_working_days, arrival_date, ship_date
from orders.fulfilment.geo import Point, distance_km

NEAREST = "nearest"
LOWEST_COST = "lowest_cost"
FEWEST_SHIPMENTS = "fewest_shipments"
WEIGHTED = "weighted"
STRATEGIES = (NEAREST, LOWEST_COST, FEWEST_SHIPMENTS, WEIGHTED)
CONSOLIDATION_SLACK_DAYS = 2  # without a promised date, a consolidation may arrive this many working days after
                              # the fastest plan and still count as on time


@dataclass(frozen=True)
class RateCard:
    """Our cost of a carrier service from a location: a base fee, per kilogram and per kilometre."""

    service_code: str = "standard"
    base: Decimal = Decimal("12.00")
    per_kg: Decimal = Decimal("2.50")
    per_km: Decimal = Decimal("0.020")
    km_per_transit_day: int = 500
    min_transit_days: int = 1

    def cost(self, *, weight_grams: int, km: float) -> Decimal:
        kilos = Decimal(max(weight_grams, 1)) / 1000
        return quantize(self.base + self.per_kg * kilos + self.per_km * Decimal(str(round(km, 1))))

    def transit_days(self, *, km: float) -> int:
        return self.min_transit_days + int(km // self.km_per_transit_day)


@dataclass(frozen=True)
class Candidate:
    location_id: int
    name: str
    point: Point | None
    available: dict[int, int]  # variant id -> units available to promise here
    can_ship: bool = True
    can_pickup: bool = False
    handling_days: int = 1
    cutoff: time | None = None


@dataclass(frozen=True)
class Route:
    """The network allows ``from_id`` to forward units to ``to_id``, which consolidates them into its parcel."""

    from_id: int
    to_id: int
    days: int = 1  # working days from the forwarding location's hand-over to arrival at the consolidating one
    cost: Decimal = Decimal("0.00")  # per transfer


@dataclass(frozen=True)
class Line:
    variant_id: int
    quantity: int
    weight_grams: int = 500


@dataclass(frozen=True)
class Request:
    lines: tuple[Line, ...]
    destination: Point | None
    now: datetime
    strategy: str = NEAREST
    promised_by: date | None = None
    pickup_location_id: int | None = None
    currency: str = "BRL"
    transit_days: int | None = None  # the carrier service the customer chose; None: estimated from the distance
    closed: ClosedDays = field(default_factory=ClosedDays)  # the holidays around ``now``


@dataclass
class Shipment:
    location_id: int
    location_name: str
    items: dict[int, int]  # variant id -> quantity
    km: float
    cost: Decimal
    ships_on: date
    arrives_on: date
    transfer_to: int | None = None  # a transfer into the pick-up store or the consolidating location, not a parcel


@dataclass
class Plan:
    kind: str  # single, split, pickup, transfer, consolidate
    shipments: list[Shipment]
    stock_left: int  # the fewest units any used location keeps of a sourced SKU (higher is safer)
    score: float = 0.0
    late: bool = False
    pickup_store: str = ""

    @property
    def cost(self) -> Decimal:
        return sum((s.cost for s in self.shipments), Decimal("0"))

    @property
    def km(self) -> float:
        return sum(s.km for s in self.shipments)

    @property
    def packages(self) -> int:
        """Parcels the customer receives (a forwarding transfer is not one)."""
        return sum(1 for s in self.shipments if s.transfer_to is None) or len(self.shipments)

    @property
    def arrives_on(self) -> date:
        return max(s.arrives_on for s in self.shipments)

    def signature(self) -> tuple:
        return tuple(sorted((s.location_id, tuple(sorted(s.items.items()))) for s in self.shipments))

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "cost": str(self.cost), "km": round(self.km, 1), "packages": self.packages,
            "arrives_on": self.arrives_on.isoformat(), "late": self.late, "score": round(self.score, 4),
            "shipments": [
                {"location_id": s.location_id, "location": s.location_name,
                 "items": {str(k): v for k, v in s.items.items()}, "km": round(s.km, 1), "cost": str(s.cost),
                 "ships_on": s.ships_on.isoformat(), "arrives_on": s.arrives_on.isoformat(),
                 "transfer_to": s.transfer_to}
                for s in self.shipments
            ],
        }


NO_PLAN = stored_text(gettext_noop("No location can promise every item"))


@dataclass
class Decision:
    plan: Plan | None
    alternatives: list[Plan] = field(default_factory=list)
    reason: StoredText | str = ""

    @property
    def reason_text(self) -> str:
        """The reason in the active language."""
        return str(self.reason)
    shortages: dict[int, int] = field(default_factory=dict)  # variant id -> units no location can promise


def _transit_days(request: Request, rate: RateCard, *, km: float, transfer: bool) -> int:
    """Working days on the road: a parcel to the customer takes the chosen service's transit days (what the promise
    counts), a transfer between locations or a parcel with no service chosen the rate card's estimate."""
    if request.transit_days is not None and not transfer:
        return request.transit_days
    return rate.transit_days(km=km)


def _shipment(request: Request, rate: RateCard, candidate: Candidate, items: dict[int, int],
              weights: dict[int, int], *, to: Point | None, transfer_to: int | None = None) -> Shipment:
    km = distance_km(candidate.point, to) if candidate.point and to else 0.0
    weight = sum(weights[v] * q for v, q in items.items())
    ships_on = ship_date(now=request.now, cutoff=candidate.cutoff, handling_days=candidate.handling_days,
                         closed=request.closed.at(candidate.location_id))
    transit = _transit_days(request, rate, km=km, transfer=transfer_to is not None)
    return Shipment(
        location_id=candidate.location_id, location_name=candidate.name, items=dict(items), km=km,
        cost=rate.cost(weight_grams=weight, km=km), ships_on=ships_on,
        arrives_on=arrival_date(shipped_on=ships_on, transit_days=transit, closed=request.closed.national),
        transfer_to=transfer_to,
    )


def ready_after(arrivals: Iterable[date], *, handling_days: int, closed: Collection[date]) -> date:
    """The day a location has what is forwarded to it (the last transfer's ``arrivals``) handled: a consolidating
    location hands its parcel over then, a pick-up store (no handling days) has the order ready then. ``closed``:
    that location's closed days."""
    return add_working_days(max(arrivals), handling_days, closed)


def _stock_left(candidates: dict[int, Candidate], shipments: Iterable[Shipment]) -> int:
    left = [candidates[s.location_id].available.get(v, 0) - q for s in shipments for v, q in s.items.items()]
    return min(left) if left else 0


def _greedy_split(needed: dict[int, int], order: list[Candidate]) -> tuple[list[tuple[Candidate, dict]], dict]:
    remaining = dict(needed)
    taken: list[tuple[Candidate, dict]] = []
    for candidate in order:
        items = {}
        for variant_id, qty in remaining.items():
            give = min(qty, candidate.available.get(variant_id, 0))
            if give > 0:
                items[variant_id] = give
        if items:
            taken.append((candidate, items))
            for variant_id, qty in items.items():
                remaining[variant_id] -= qty
            remaining = {v: q for v, q in remaining.items() if q > 0}
        if not remaining:
            break
    return taken, remaining


def _coverage_order(needed: dict[int, int], candidates: list[Candidate]) -> list[Candidate]:
    """Locations that cover the most units first, so a split uses as few parcels as it can."""
    def covered(c: Candidate) -> int:
        return sum(min(q, c.available.get(v, 0)) for v, q in needed.items())

    return sorted(candidates, key=lambda c: (-covered(c), c.location_id))


def _consolidations(request: Request, candidates: list[Candidate], rate: RateCard, routes: Iterable[Route],
                    needed: dict[int, int], weights: dict[int, int]) -> list[tuple[list[Shipment], int]]:
    """Per consolidating location: its own units, the rest forwarded by the fewest locations routed to it, and
    one parcel from it to the customer once the last transfer arrived (plus its handling days)."""
    by_id = {c.location_id: c for c in candidates}
    into: dict[int, list[Route]] = {}
    for route in routes:
        if route.from_id in by_id and route.to_id in by_id and route.from_id != route.to_id:
            into.setdefault(route.to_id, []).append(route)
    found = []
    for hub_id, hub_routes in sorted(into.items()):
        hub = by_id[hub_id]
        if not hub.can_ship:
            continue
        own = {v: min(q, hub.available.get(v, 0)) for v, q in needed.items()}
        own = {v: q for v, q in own.items() if q > 0}
        missing = {v: q - own.get(v, 0) for v, q in needed.items() if q - own.get(v, 0) > 0}
        if not missing:
            continue  # the hub alone covers it: that is a single plan
        route_of = {r.from_id: r for r in hub_routes}
        taken, short = _greedy_split(missing, _coverage_order(missing, [by_id[r.from_id] for r in hub_routes]))
        if short:
            continue
        legs = []
        for source, items in taken:
            route = route_of[source.location_id]
            ships_on = ship_date(now=request.now, cutoff=source.cutoff, handling_days=source.handling_days,
                                 closed=request.closed.at(source.location_id))
            legs.append(Shipment(
                location_id=source.location_id, location_name=source.name, items=dict(items),
                km=distance_km(source.point, hub.point) if source.point and hub.point else 0.0,
                cost=quantize(route.cost), ships_on=ships_on,
                arrives_on=add_working_days(ships_on, route.days, request.closed.national),
                transfer_to=hub_id))
        parcel = _shipment(request, rate, hub, needed, weights, to=request.destination)
        ready = ready_after([leg.arrives_on for leg in legs], handling_days=hub.handling_days,
                            closed=request.closed.at(hub_id))
        if ready > parcel.ships_on:
            transit = _transit_days(request, rate, km=parcel.km, transfer=False)
            parcel.ships_on, parcel.arrives_on = ready, arrival_date(shipped_on=ready, transit_days=transit,
                                                                      closed=request.closed.national)
        parcel.items = own  # the forwarded units are reserved where they are now
        found.append(([*legs, parcel], hub_id))
    return found


def build_plans(request: Request, candidates: list[Candidate], rate: RateCard, routes: Iterable[Route] = ()
                ) -> tuple[list[Plan], dict[int, int]]:
    needed: dict[int, int] = {}
    weights: dict[int, int] = {}
    for line in request.lines:
        needed[line.variant_id] = needed.get(line.variant_id, 0) + line.quantity
        weights[line.variant_id] = line.weight_grams
    by_id = {c.location_id: c for c in candidates}
    plans: list[Plan] = []

    def plan_of(kind: str, shipments: list[Shipment]) -> Plan:
        return Plan(kind=kind, shipments=shipments, stock_left=_stock_left(by_id, shipments))

    def covers(c: Candidate) -> bool:
        return all(c.available.get(v, 0) >= q for v, q in needed.items())

    if request.pickup_location_id is not None:
        store = by_id.get(request.pickup_location_id)
        if store is None:
            return [], needed
        own = {v: min(q, store.available.get(v, 0)) for v, q in needed.items()}
        own = {v: q for v, q in own.items() if q > 0}
        missing = {v: q - own.get(v, 0) for v, q in needed.items() if q - own.get(v, 0) > 0}
        pickup_ready = ship_date(now=request.now, cutoff=store.cutoff, handling_days=0,
                                 closed=request.closed.at(store.location_id))
        shipments = []
        if own:
            shipments.append(Shipment(store.location_id, store.name, own, 0.0, Decimal("0.00"), pickup_ready,
                                      pickup_ready))
        if missing:
            others = [c for c in candidates if c.can_ship and c.location_id != store.location_id]
            if store.point:
                others.sort(key=lambda c: distance_km(c.point, store.point) if c.point else math.inf)
            taken, short = _greedy_split(missing, others)
            if short:
                return [], short
            legs = [_shipment(request, rate, c, items, weights, to=store.point, transfer_to=store.location_id)
                    for c, items in taken]
            if own:  # collected once, when everything is there: the store's part is ready with the last transfer
                own_part = shipments[0]
                own_part.ships_on = own_part.arrives_on = max(pickup_ready, ready_after(
                    [leg.arrives_on for leg in legs], handling_days=0, closed=request.closed.at(store.location_id)))
            shipments += legs
        plan = plan_of("transfer" if missing else "pickup", shipments)
        plan.pickup_store = store.name
        return [plan], {}

    shippers = [c for c in candidates if c.can_ship]
    for candidate in shippers:
        if covers(candidate):
            shipment = _shipment(request, rate, candidate, needed, weights, to=request.destination)
            plans.append(plan_of("single", [shipment]))

    def nearest_first(c: Candidate) -> float:
        return distance_km(c.point, request.destination) if c.point and request.destination else math.inf

    orders = [sorted(shippers, key=lambda c: (nearest_first(c), c.location_id)), _coverage_order(needed, shippers)]
    shortages: dict[int, int] = {}
    seen = {p.signature() for p in plans}
    for order in orders:
        taken, short = _greedy_split(needed, order)
        if short:
            shortages = short
            continue
        if len(taken) < 2:
            continue
        plan = plan_of("split", [_shipment(request, rate, c, items, weights, to=request.destination)
                                 for c, items in taken])
        if plan.signature() not in seen:
            seen.add(plan.signature())
            plans.append(plan)
    for shipments, _hub in _consolidations(request, candidates, rate, routes, needed, weights):
        plans.append(plan_of("consolidate", shipments))
    return plans, ({} if plans else shortages or needed)


def _score(plans: list[Plan], strategy: str, promised_by: date | None, closed: ClosedDays) -> None:
    max_cost = max((float(p.cost) for p in plans), default=1.0) or 1.0
    max_km = max((p.km for p in plans), default=1.0) or 1.0
    fastest = min((p.arrives_on for p in plans if p.kind != "consolidate"), default=None)
    slack = add_working_days(fastest, CONSOLIDATION_SLACK_DAYS, closed.national) if fastest else None
    for plan in plans:
        plan.late = promised_by is not None and plan.arrives_on > promised_by
        if plan.kind == "consolidate" and promised_by is None and slack is not None:
            plan.late = plan.arrives_on > slack  # one parcel is not worth waiting much longer for
        late_days = (plan.arrives_on - (promised_by or slack)).days if plan.late else 0
        if strategy == NEAREST:
            plan.score = plan.km + plan.packages * 0.001
        elif strategy == LOWEST_COST:
            plan.score = float(plan.cost) + plan.packages * 0.001
        elif strategy == FEWEST_SHIPMENTS:
            plan.score = plan.packages * 1_000_000 + float(plan.cost)
        else:
            plan.score = (0.4 * float(plan.cost) / max_cost + 0.3 * plan.km / max_km
                          + 0.2 * (plan.packages - 1) + 0.1 * late_days - 0.0001 * plan.stock_left)


def _sort_key(plan: Plan) -> tuple:
    return (plan.late, plan.score, plan.packages, plan.cost, -plan.stock_left, plan.signature())


def explain(winner: Plan, runner_up: Plan | None, currency: str, strategy: str = WEIGHTED) -> StoredText:
    """Why ``winner`` beat ``runner_up`` under ``strategy``, as a stored text (read in the reader's language)."""
    day = StoredDate(winner.arrives_on, "D")
    names = ", ".join(s.location_name for s in winner.shipments)
    if winner.kind == "consolidate":
        hub = next(s for s in winner.shipments if s.transfer_to is None)
        sources = ", ".join(s.location_name for s in winner.shipments if s.transfer_to is not None)
        head = stored_text(gettext_noop("%(hub)s consolidates %(sources)s' items: one package, arrives %(day)s"),
                           hub=hub.location_name, sources=sources, day=day)
        if runner_up is not None and runner_up.packages > 1:
            return stored_join(", ", [head, stored_plural(
                "instead of %(n)d parcel (%(names)s)", "instead of %(n)d parcels (%(names)s)", runner_up.packages,
                n=runner_up.packages, names=", ".join(s.location_name for s in runner_up.shipments))])
        if runner_up is not None and runner_up.cost > winner.cost:
            return stored_join(", ", [head, stored_text(
                gettext_noop("%(amount)s cheaper than %(other)s"), amount=StoredMoney(runner_up.cost - winner.cost,
                                                                                      currency),
                other=", ".join(s.location_name for s in runner_up.shipments))])
        return head
    if winner.kind == "pickup":
        return stored_text(gettext_noop("Pick-up at %(store)s: ready %(day)s"), store=winner.pickup_store, day=day)
    if winner.kind == "transfer":
        sources = ", ".join(s.location_name for s in winner.shipments if s.transfer_to)
        return stored_text(gettext_noop("Pick-up at %(store)s after a transfer from %(sources)s: ready %(day)s"),
                           store=winner.pickup_store, sources=sources, day=day)
    if winner.kind == "split":
        head = stored_join(", ", [
            stored_plural("%(n)d shipment (%(names)s)", "%(n)d shipments (%(names)s)", winner.packages,
                          n=winner.packages, names=names),
            stored_text(gettext_noop("arrives %(day)s"), day=day)])
        if runner_up is None or runner_up.kind == "split":
            return stored_join(": ", [head, stored_text(gettext_noop("no single location has every item"))])
    else:
        head = stored_text(gettext_noop("%(name)s: %(km)s km, arrives %(day)s"), name=names, km=stored_km(winner.km),
                           day=day)
    if runner_up is None:
        return stored_join(": ", [head, stored_text(gettext_noop("the only location that can ship everything"))])
    return stored_join(", ", [head, _why(winner, runner_up, currency, strategy)])


def stored_km(km: float) -> StoredNumber:
    """A distance for a stored reason: one decimal, in the reader's number format when read ("32,4" in pt-BR)."""
    return StoredNumber(Decimal(str(round(km, 1))), 1)


# What each strategy ranks by, in the order it does (``_score`` and ``_sort_key``): the reason names the first
# that tells the winner from the runner-up, so a nearest-first channel reads "closer", not "cheaper".
WHY_ORDER = {
    NEAREST: ("closer", "fewer", "cheaper", "sooner"),
    LOWEST_COST: ("cheaper", "fewer", "sooner", "closer"),
    FEWEST_SHIPMENTS: ("fewer", "cheaper", "sooner", "closer"),
    WEIGHTED: ("cheaper", "sooner", "closer", "fewer"),
}


def _why(winner: Plan, runner_up: Plan, currency: str, strategy: str = WEIGHTED) -> StoredText:
    other = ", ".join(s.location_name for s in runner_up.shipments)
    if runner_up.late and not winner.late:
        return stored_text(gettext_noop("on time, where %(other)s would be late"), other=other)
    for criterion in WHY_ORDER.get(strategy, WHY_ORDER[WEIGHTED]):
        if criterion == "cheaper" and runner_up.cost > winner.cost:
            return stored_text(gettext_noop("%(amount)s cheaper than %(other)s"),
                               amount=StoredMoney(runner_up.cost - winner.cost, currency), other=other)
        if criterion == "sooner" and runner_up.arrives_on > winner.arrives_on:
            days = (runner_up.arrives_on - winner.arrives_on).days
            return stored_plural("%(n)d day sooner than %(other)s", "%(n)d days sooner than %(other)s", days,
                                 n=days, other=other)
        if criterion == "closer" and runner_up.km > winner.km:
            return stored_text(gettext_noop("%(km)s km closer than %(other)s"),
                               km=stored_km(runner_up.km - winner.km), other=other)
        if criterion == "fewer" and runner_up.packages > winner.packages:
            return stored_text(gettext_noop("fewer parcels than %(other)s"), other=other)
    return stored_text(gettext_noop("keeps more stock than %(other)s"), other=other)


def decide(request: Request, candidates: list[Candidate], rate: RateCard | None = None,
           routes: Iterable[Route] = ()) -> Decision:
    """The best plan for the request's strategy, its ranked alternatives, and why it won.

    ``routes``: which locations may forward their units to which (consolidation); none by default."""
    if request.strategy not in STRATEGIES:
        raise ValueError(f"Unknown sourcing strategy {request.strategy!r}")
    plans, shortages = build_plans(request, candidates, rate or RateCard(), routes)
    if not plans:
        return Decision(plan=None, shortages=shortages, reason=NO_PLAN)
    _score(plans, request.strategy, request.promised_by, request.closed)
    plans.sort(key=_sort_key)
    winner, alternatives = plans[0], plans[1:]
    return Decision(plan=winner, alternatives=alternatives,
                    reason=explain(winner, alternatives[0] if alternatives else None, request.currency,
                                   request.strategy))
