"""Demo data: five channels, ~200 customers and ~2,000 orders over the last 90 days.

Historical orders are bulk-created with their lines, holds and OrderEvents. Their prices are the SKUs'
base prices with the demo tax rate (pricing every historical order through the engine would take
minutes); open orders reserve their stock through ``inventory.services`` so the ledger stays exact.
Idempotent: a second run finds the channels' orders and adds nothing.
"""

import random
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from oms.i18n import StoredMoney, StoredNumber, split
from orders.channels import demo as channels_demo
from orders.fulfilment import demo as fulfilment_demo
from orders.models import Address, Channel, Customer, Order, OrderEvent, OrderHold, OrderLine, OrderLineAllocation
from orders.services.core import ALLOWED_TRANSITIONS
from orders.services.placement import hold_detail

S = Order.Status
L = OrderLine.Status

CHANNELS = [
    ("web", "Loja virtual", Channel.Kind.WEB, "WEB", "web", Channel.Sourcing.NEAREST),
    ("marketplace", "Mercado Livre", Channel.Kind.MARKETPLACE, "MKT", "marketplace", Channel.Sourcing.LOWEST_COST),
    ("pos", "Lojas físicas (PDV)", Channel.Kind.POS, "POS", "store", Channel.Sourcing.STORE_PICKUP),
    ("phone", "Televendas", Channel.Kind.PHONE, "PH", "phone-br", Channel.Sourcing.FIRST_AVAILABLE),
    ("b2b", "Atacado B2B", Channel.Kind.B2B, "B2B", "b2b", Channel.Sourcing.FEWEST_SHIPMENTS),
]
FIRST = ["Ana", "Bruno", "Carla", "Diego", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela", "João", "Karina",
         "Lucas", "Mariana", "Nicolas", "Olívia", "Paulo", "Rafaela", "Sérgio", "Tatiana", "Vinícius", "Yasmin",
         "Fátima", "Omar", "Layla", "Karim"]
LAST = ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
        "Costa", "Ribeiro", "Martins", "Carvalho", "Haddad", "Nasser", "Almeida", "Barbosa"]
COMPANIES = ["Papelaria Central", "Mercadinho Bom Preço", "Hotel Atlântico", "Clínica Vida", "Escola Aprender",
             "Restaurante Sabor", "Academia Forte", "Escritório Nobre", "Loja da Esquina", "Farmácia Popular",
             "Construtora Alicerce", "Café Colonial"]
CITIES = [("São Paulo", "SP", "01310", "Bela Vista"), ("Campinas", "SP", "13010", "Centro"),
          ("Rio de Janeiro", "RJ", "22041", "Copacabana"), ("Belo Horizonte", "MG", "30130", "Funcionários"),
          ("Curitiba", "PR", "80010", "Centro"), ("Porto Alegre", "RS", "90010", "Centro Histórico"),
          ("Salvador", "BA", "40020", "Comércio"), ("Recife", "PE", "50030", "Boa Vista")]
STREETS = ["Rua das Flores", "Avenida Brasil", "Rua XV de Novembro", "Avenida Paulista", "Rua da Consolação",
           "Rua Augusta", "Avenida Atlântica", "Rua do Comércio"]
TAX = Decimal("0.18")
CENT = Decimal("0.01")
# Cards in installments without interest, as Brazilian shops offer them (the marketplace takes its own payments).
CARD_INSTALLMENTS = {
    "web": {"card_installments_max": 12, "card_installment_minimum": Decimal("30.00")},
    "phone": {"card_installments_max": 10, "card_installment_minimum": Decimal("50.00")},
    "pos": {"card_installments_max": 6, "card_installment_minimum": Decimal("50.00")},
}


def _check(numbers: list[int], weights: list[int]) -> int:
    rest = sum(n * w for n, w in zip(numbers, weights, strict=True)) % 11
    return 0 if rest < 2 else 11 - rest


def make_cpf(rng: random.Random) -> str:
    base = [rng.randint(0, 9) for _ in range(9)]
    base.append(_check(base, list(range(10, 1, -1))))
    base.append(_check(base, list(range(11, 1, -1))))
    return "".join(map(str, base))


def make_cnpj(rng: random.Random) -> str:
    base = [rng.randint(0, 9) for _ in range(8)] + [0, 0, 0, 1]
    weights = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    base.append(_check(base, weights))
    base.append(_check(base, [6, *weights]))
    return "".join(map(str, base))


def _path(final: str, rng: random.Random) -> list[str]:
    """A plausible route from draft to ``final`` through the transition table."""
    routes = {
        S.PLACED: [S.PLACED],
        S.ON_HOLD: [S.PLACED, S.ON_HOLD],
        S.CONFIRMED: [S.PLACED, S.CONFIRMED],
        S.BACKORDERED: [S.PLACED, S.BACKORDERED],
        S.ALLOCATED: [S.PLACED, S.CONFIRMED, S.ALLOCATED],
        S.SHIPPED: [S.PLACED, S.CONFIRMED, S.ALLOCATED, S.SHIPPED],
        S.DELIVERY_FAILED: [S.PLACED, S.CONFIRMED, S.ALLOCATED, S.SHIPPED, S.DELIVERY_FAILED],
        S.DELIVERED: [S.PLACED, S.CONFIRMED, S.ALLOCATED, S.SHIPPED, S.DELIVERED],
        S.COMPLETED: [S.PLACED, S.CONFIRMED, S.ALLOCATED, S.SHIPPED, S.DELIVERED, S.COMPLETED],
        S.RETURNED: [S.PLACED, S.CONFIRMED, S.ALLOCATED, S.SHIPPED, S.DELIVERED, S.RETURNED],
        S.PARTIALLY_RETURNED: [S.PLACED, S.CONFIRMED, S.ALLOCATED, S.SHIPPED, S.DELIVERED, S.PARTIALLY_RETURNED],
        S.CANCELLED: [S.PLACED, S.CONFIRMED, S.CANCELLED] if rng.random() < 0.7 else [S.PLACED, S.ON_HOLD,
                                                                                       S.CANCELLED],
    }
    path = [S.DRAFT, *routes[final]]
    for old, new in zip(path, path[1:], strict=False):
        assert new in ALLOWED_TRANSITIONS[old], (old, new)
    return path


def _final_status(age_days: float, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.07:
        return S.CANCELLED
    if age_days < 2:
        return rng.choice([S.CONFIRMED, S.CONFIRMED, S.ALLOCATED, S.ON_HOLD, S.BACKORDERED, S.SHIPPED])
    if age_days < 7:
        return rng.choice([S.ALLOCATED, S.SHIPPED, S.SHIPPED, S.DELIVERED, S.DELIVERY_FAILED, S.BACKORDERED])
    if age_days < 30:
        return rng.choice([S.DELIVERED, S.DELIVERED, S.COMPLETED, S.PARTIALLY_RETURNED])
    return rng.choice([S.COMPLETED] * 8 + [S.RETURNED, S.PARTIALLY_RETURNED])


def seed(*, stdout) -> None:
    from inventory.models import Location, Variant

    if Order.objects.filter(number__startswith="WEB-").exists():
        stdout.write("Orders demo data already present.")
        _seed_sub_packages(stdout)  # idempotent; fills in what was added after the orders were seeded
        return
    rng = random.Random(4004)  # noqa: S311 - demo data only
    User = get_user_model()
    agents = list(User.objects.filter(groups__name__in=["agent", "manager"]).distinct()) or [None]
    variants = list(Variant.objects.filter(is_active=True, is_kit=False).order_by("pk")[:400])
    locations = list(Location.objects.filter(is_active=True, can_ship=True).order_by("code"))
    if not variants or not locations:
        stdout.write("Orders demo data skipped: seed the inventory first.")
        return
    now = timezone.now()
    with transaction.atomic():
        channels = {}
        for code, name, kind, prefix, price_list, sourcing in CHANNELS:
            channels[code], _created = Channel.objects.get_or_create(code=code, defaults={
                "name": name, "kind": kind, "order_prefix": prefix, "price_list_code": price_list,
                "sourcing_strategy": sourcing, "currency": "BRL", "language": "pt-br",
                "notify_customers": kind not in (Channel.Kind.WEB, Channel.Kind.MARKETPLACE),
                **CARD_INSTALLMENTS.get(code, {})})
        customers = _customers(rng)
        addresses = {a.customer_id: a for a in Address.objects.filter(customer__in=customers)}
        orders, lines_by_order = _orders(rng, now, channels, customers, addresses, variants, agents)
        Order.objects.bulk_create(orders, batch_size=500)
        all_lines, events, holds = [], [], []
        for order in orders:
            path = _path(order.status, rng)
            for line in lines_by_order[id(order)]:
                line.order = order
                all_lines.append(line)
            when = order.placed_at
            for old, new in zip(path, path[1:], strict=False):
                events.append(OrderEvent(order=order, from_status=old, to_status=new, actor=order.placed_by,
                                         reason="" if new != S.CANCELLED else order.cancel_reason))
                when += timedelta(hours=rng.randint(1, 30))
            if S.ON_HOLD in path:
                holds.append(_demo_hold(order, lines_by_order[id(order)], rng))
        OrderLine.objects.bulk_create(all_lines, batch_size=1000)
        OrderEvent.objects.bulk_create(events, batch_size=2000)
        OrderHold.objects.bulk_create(holds)
        _backdate(orders)
        for channel in channels.values():
            count = sum(1 for o in orders if o.channel_id == channel.pk)
            Channel.objects.filter(pk=channel.pk).update(last_order_number=count)
    reserved = _reserve_open_orders(orders, locations)
    stdout.write(f"Orders demo data: {len(channels)} channels, {len(customers)} customers, {len(orders)} orders "
                 f"({reserved} open orders holding stock).")
    _seed_sub_packages(stdout)


def _seed_sub_packages(stdout) -> None:
    channels_demo.seed(stdout=stdout)
    fulfilment_demo.seed(stdout=stdout)


def _customers(rng: random.Random) -> list[Customer]:
    people = []
    for i in range(200):
        company = i % 12 == 0
        if company:
            name = f"{COMPANIES[(i // 12) % len(COMPANIES)]} {LAST[i % len(LAST)]}"
        else:
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}"
        slug = name.lower().replace(" ", ".").encode("ascii", "ignore").decode()
        people.append(Customer(
            kind=Customer.Kind.COMPANY if company else Customer.Kind.PERSON, name=name,
            email=f"{slug}.{i}@example.com", phone=f"+55119{rng.randint(10000000, 99999999)}",
            tax_id=make_cnpj(rng) if company else make_cpf(rng),
            group_code="wholesale" if company else rng.choice(["", "", "retail", "vip"]),
            payment_terms_days=30 if company else 0,
            credit_limit=Decimal(rng.choice([5000, 10000, 20000])) if company else Decimal(0),
            marketing_consent=rng.random() < 0.6, currency="BRL",
        ))
    customers = Customer.objects.bulk_create(people)
    Address.objects.bulk_create([
        Address(customer=c, kind=Address.Kind.BOTH, street=rng.choice(STREETS), number=str(rng.randint(1, 3000)),
                district=city[3], city=city[0], state=city[1], postal_code=f"{city[2]}-{rng.randint(0, 999):03d}",
                is_default=True)
        for c in customers for city in [rng.choice(CITIES)]
    ])
    return customers


def _orders(rng, now, channels, customers, addresses, variants, agents):
    orders: list[Order] = []
    lines_by_order: dict[int, list[OrderLine]] = {}
    counters = dict.fromkeys(channels, 0)
    channel_weights = [("web", 40), ("marketplace", 25), ("pos", 15), ("phone", 12), ("b2b", 8)]
    codes = [c for c, w in channel_weights for _ in range(w)]
    sources = ["", "", "", "CAT26A", "CAT26B", "RADIO26", "MAIL26"]
    raw = []
    for _i in range(2000):
        age_days = rng.random() ** 1.3 * 90
        raw.append((now - timedelta(days=age_days), age_days))
    raw.sort()
    for placed_at, age_days in raw:
        code = rng.choice(codes)
        channel = channels[code]
        customer = rng.choice([c for c in rng.sample(customers, 8) if c.is_b2b] or customers[:1]) if code == "b2b" \
            else rng.choice(customers)
        counters[code] += 1
        status = _final_status(age_days, rng)
        lines, subtotal, tax = [], Decimal(0), Decimal(0)
        for position in range(1, rng.choice([1, 1, 2, 2, 3, 4]) + 1):
            variant = rng.choice(variants)
            qty = rng.choice([1, 1, 1, 2, 3]) * (5 if code == "b2b" else 1)
            line_net = (variant.base_price * qty).quantize(CENT)
            line_tax = (line_net * TAX).quantize(CENT)
            subtotal += line_net
            tax += line_tax
            line_status = {S.CANCELLED: L.CANCELLED, S.RETURNED: L.RETURNED, S.BACKORDERED: L.BACKORDERED,
                           S.SHIPPED: L.SHIPPED, S.DELIVERY_FAILED: L.SHIPPED, S.DELIVERED: L.DELIVERED,
                           S.COMPLETED: L.DELIVERED, S.PARTIALLY_RETURNED: L.DELIVERED}.get(status, L.OPEN)
            if status == S.PARTIALLY_RETURNED and position == 1:
                line_status = L.RETURNED
            lines.append(OrderLine(
                position=position, variant=variant, sku=variant.sku, name=variant.name, quantity=qty,
                list_price=variant.base_price, unit_price=variant.base_price, tax_rate=Decimal(18), tax_amount=line_tax,
                line_total=line_net + line_tax, status=line_status,
            ))
        shipping = Decimal(0) if code == "pos" else Decimal(rng.choice(["15.90", "22.50", "0.00", "34.90"]))
        address = addresses.get(customer.pk)
        snapshot = {} if address is None else {**{f: getattr(address, f) for f in Address.SNAPSHOT_FIELDS},
                                                "recipient": customer.name, "address_id": address.pk}
        agent = rng.choice(agents) if code in ("phone", "b2b") else None
        order = Order(
            number=f"{channel.order_prefix}-{counters[code]:06d}", channel=channel, customer=customer,
            external_ref=f"ML-{rng.randint(10**9, 10**10)}" if code == "marketplace" else "",
            email=customer.email, phone=customer.phone, billing_address=snapshot, shipping_address=snapshot,
            status=status, currency="BRL", subtotal=subtotal, shipping_total=shipping, tax_total=tax,
            total=subtotal + tax + shipping, source_code=rng.choice(sources) if code in ("phone", "web") else "",
            payment_method="invoice" if code == "b2b" else rng.choice(["card", "card", "pix", "boleto"]),
            placed_by=agent, created_by=agent, placed_at=placed_at,
            promised_date=(placed_at + timedelta(days=rng.randint(2, 8))).date(),
            priority=rng.choice([1, 1, 1, 2, 3]),
            cancel_reason="Cliente desistiu" if status == S.CANCELLED else "",
        )
        orders.append(order)
        lines_by_order[id(order)] = lines
    return orders, lines_by_order


def _demo_hold(order: Order, lines: list[OrderLine], rng: random.Random) -> OrderHold:
    """A hold this order could have met, described as the rule describes it (``HOLD_DETAILS``)."""
    R = OrderHold.Rule
    money = partial(StoredMoney, currency=order.currency)
    limit = max(Decimal(100), (order.total / 100).quantize(Decimal(1)) * 100 - 100)
    choices = {
        R.HIGH_VALUE: lambda: hold_detail(R.HIGH_VALUE, total=money(order.total), limit=money(limit)),
        R.PRICE_OVERRIDE: lambda: hold_detail(R.PRICE_OVERRIDE, sku=lines[0].sku,
                                              off=StoredNumber(rng.randint(16, 30), 1), limit=15,
                                              why="Cliente antigo, concorrente mais barato"),
        R.ADDRESS_MISMATCH: lambda: hold_detail(
            R.ADDRESS_MISMATCH, bill=rng.choice(["SP", "RJ", "MG", "PR"]),
            ship=(order.shipping_address or {}).get("state") or "BA"),
    }
    if order.payment_method == "invoice":
        credit = order.customer.credit_limit or Decimal(10000)
        choices = {R.CREDIT_LIMIT: lambda: hold_detail(
            R.CREDIT_LIMIT, open=money(credit - order.total / 2), total=money(order.total), limit=money(credit))}
    elif order.payment_method == "card":
        choices[R.CARD_VELOCITY] = lambda: hold_detail(R.CARD_VELOCITY, n=rng.randint(4, 7))
    rule = rng.choice(sorted(choices))
    text, params = split(choices[rule]())
    return OrderHold(order=order, rule=rule, detail=text, detail_params=params,
                     status=OrderHold.Status.OPEN if order.status == S.ON_HOLD else OrderHold.Status.REJECTED)


def _reserve_open_orders(orders: list[Order], locations) -> int:
    """Open orders hold stock like real ones: reserved through the inventory service, or backordered."""
    from inventory.errors import OutOfStock
    from inventory.services import StockLine, stock_reserve

    open_statuses = {S.PLACED, S.ON_HOLD, S.CONFIRMED, S.ALLOCATED}
    count = 0
    location_ids = [loc.pk for loc in locations]
    for order in orders:
        if order.status not in open_statuses:
            continue
        lines = list(OrderLine.objects.filter(order=order))
        for location_id in location_ids[:3]:
            try:
                with transaction.atomic():
                    stock_reserve(lines=[StockLine(line.variant_id, location_id, line.quantity) for line in lines],
                                  reference=f"order:{order.pk}", acting_user=None)
            except OutOfStock:
                continue
            OrderLineAllocation.objects.bulk_create([OrderLineAllocation(line=line, location_id=location_id,
                                                                         quantity=line.quantity) for line in lines])
            _demo_line_transition(order, L.RESERVED)
            count += 1
            break
        else:
            _demo_line_transition(order, L.BACKORDERED)
            _demo_order_transition(order, S.BACKORDERED)
    return count


def _demo_line_transition(order: Order, to: str) -> None:
    OrderLine.objects.filter(order=order).update(status=to)


def _demo_order_transition(order: Order, to: str) -> None:
    """Demo only: an open order whose stock is gone waits as backordered (with its history row)."""
    OrderEvent.objects.create(order=order, from_status=order.status, to_status=to, reason="Sem estoque")
    Order.objects.filter(pk=order.pk).update(status=to)
    order.status = to


def _backdate(orders: list[Order]) -> None:
    """History rows and creation times follow each order's placing time (auto_now_add set them to now)."""
    from django.db import connection

    ids = [o.pk for o in orders]
    Order.objects.filter(pk__in=ids).update(created_at=F("placed_at"))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE orders_orderevent AS e SET created_at = o.placed_at + (r.n - 1) * interval '7 hours'
            FROM (SELECT id, row_number() OVER (PARTITION BY order_id ORDER BY id) AS n
                  FROM orders_orderevent WHERE order_id = ANY(%s)) AS r, orders_order AS o
            WHERE e.id = r.id AND o.id = e.order_id
            """,
            [ids],
        )
