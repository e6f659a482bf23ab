"""Demo marketing data: a phone price list with tiers, Brazilian ICMS by state plus a generic VAT, carriers and
zones, a winter catalogue campaign with source codes, a few promotions and coupons. Idempotent."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from marketing.models import (
    Campaign,
    CarrierService,
    ChannelTaxSetting,
    Coupon,
    PriceList,
    PriceListItem,
    Promotion,
    Segment,
    ShippingRate,
    ShippingZone,
    SourceCode,
    TaxRate,
)

# Internal ICMS rates by state (standard goods), as published for 2025; demo values, not tax advice.
ICMS_2025 = {
    "AC": "19", "AL": "19", "AP": "18", "AM": "20", "BA": "20.5", "CE": "20", "DF": "20", "ES": "17", "GO": "19",
    "MA": "23", "MT": "17", "MS": "17", "MG": "18", "PA": "19", "PB": "20", "PR": "19.5", "PE": "20.5",
    "PI": "22.5", "RJ": "22", "RN": "20", "RS": "17", "RO": "19.5", "RR": "20", "SC": "17", "SP": "18",
    "SE": "20", "TO": "20",
}
ZONES = {
    "sudeste": ("Sudeste", ["SP", "RJ", "MG", "ES"], Decimal("0")),
    "sul": ("Sul", ["PR", "SC", "RS"], Decimal("4")),
    "centro-oeste": ("Centro-Oeste", ["DF", "GO", "MT", "MS"], Decimal("8")),
    "nordeste": ("Nordeste", ["BA", "SE", "AL", "PE", "PB", "RN", "CE", "PI", "MA"], Decimal("12")),
    "norte": ("Norte", ["PA", "AM", "AP", "RR", "RO", "AC", "TO"], Decimal("18")),
}
SERVICES = [  # code, name, carrier, free above, base price, price per extra kg, transit days, order
    ("pac", "PAC", "Correios", Decimal("299"), Decimal("19.90"), Decimal("3.50"), 7, 1),
    ("sedex", "SEDEX", "Correios", None, Decimal("34.90"), Decimal("6.00"), 2, 2),
    ("carga", "Transportadora", "Jadlog", None, Decimal("59.90"), Decimal("1.80"), 5, 3),
]
WEIGHT_BRACKETS = [1000, 2000, 5000, 10000, 30000]
START = date(2025, 1, 1)


@transaction.atomic
def seed(*, stdout) -> None:
    from inventory.models import Variant

    today = timezone.localdate()
    made = []
    if not TaxRate.objects.exists():
        rows = [TaxRate(name=f"ICMS {uf}", region=uf, tax_class="standard", rate=Decimal(rate),
                        valid_from=START) for uf, rate in ICMS_2025.items()]
        rows += [
            TaxRate(name="ICMS reduzido", region="", tax_class="reduced", rate=Decimal("7"), valid_from=START),
            TaxRate(name="Isento", region="", tax_class="exempt", rate=Decimal("0"), valid_from=START),
            TaxRate(name="Alíquota zero", region="", tax_class="zero", rate=Decimal("0"), valid_from=START),
            TaxRate(name="VAT (generic)", region="", tax_class="", rate=Decimal("20"), valid_from=START),
        ]
        TaxRate.objects.bulk_create(rows)
        made.append(f"{len(rows)} tax rates")
    if not ShippingZone.objects.exists():
        zones = {code: ShippingZone.objects.create(code=code, name=name, regions=regions)
                 for code, (name, regions, _extra) in ZONES.items()}
        rates = []
        for code, name, carrier, free, base, per_kg, days, order in SERVICES:
            service = CarrierService.objects.create(code=code, name=name, carrier=carrier, currency="BRL",
                                                    free_shipping_threshold=free, sort_order=order)
            for zone_code, zone in zones.items():
                extra = ZONES[zone_code][2]
                for grams in WEIGHT_BRACKETS:
                    price = base + extra + per_kg * Decimal(max(grams // 1000 - 1, 0))
                    rates.append(ShippingRate(service=service, zone=zone, max_weight_grams=grams, price=price,
                                              transit_days=days + int(extra // 6)))
        ShippingRate.objects.bulk_create(rates)
        made.append(f"{len(zones)} shipping zones, {len(SERVICES)} carrier services, {len(rates)} rates")

    variants = list(Variant.objects.filter(is_active=True, currency="BRL", is_kit=False).order_by("sku")[:40])
    price_list, created = PriceList.objects.get_or_create(
        code="phone-br", defaults={"name": "Televendas 2026", "currency": "BRL", "channel_code": "phone",
                                   "priority": 10})
    if created and variants:
        items = []
        for variant in variants[:30]:
            base = variant.base_price
            for quantity, factor in ((1, "0.95"), (5, "0.90"), (10, "0.85")):
                items.append(PriceListItem(price_list=price_list, variant=variant, min_quantity=quantity,
                                           unit_price=(base * Decimal(factor)).quantize(Decimal("0.01"))))
        PriceListItem.objects.bulk_create(items)
        made.append(f"price list phone-br with {len(items)} prices")

    b2b, created = PriceList.objects.get_or_create(
        code="b2b", defaults={"name": "Atacado 2026", "currency": "BRL", "channel_code": "b2b", "priority": 10})
    if created and variants:
        items = [PriceListItem(price_list=b2b, variant=variant, min_quantity=quantity,
                               unit_price=(variant.base_price * Decimal(factor)).quantize(Decimal("0.01")))
                 for variant in variants for quantity, factor in ((1, "0.80"), (12, "0.75"), (48, "0.70"))]
        PriceListItem.objects.bulk_create(items)
        made.append(f"price list b2b with {len(items)} prices")
    _tax_setting, created = ChannelTaxSetting.objects.get_or_create(channel_code="pos",
                                                                     defaults={"prices_include_tax": True})
    if created:
        made.append("store prices include tax")

    campaign, created = Campaign.objects.get_or_create(
        code="inverno-2026", defaults={"name": "Catálogo Inverno 2026", "starts_on": today - timedelta(days=30),
                                       "ends_on": today + timedelta(days=120), "budget": Decimal("50000"),
                                       "description": "Catálogo impresso, spot de rádio e e-mail."})
    if created:
        SourceCode.objects.bulk_create([
            SourceCode(code="CAT26A", campaign=campaign, kind="catalogue", description="Catálogo p. 1-40"),
            SourceCode(code="CAT26B", campaign=campaign, kind="catalogue", description="Catálogo p. 41-80"),
            SourceCode(code="RADIO26", campaign=campaign, kind="radio", description="Spot rádio 98 FM"),
            SourceCode(code="MAIL26", campaign=campaign, kind="email", description="Newsletter junho"),
        ])
        made.append("campaign inverno-2026 with 4 source codes")

    if not Promotion.objects.exists():
        Promotion.objects.create(name="Catálogo Inverno: 10% off", kind=Promotion.Kind.ORDER_PERCENT,
                                 percent=Decimal("10"), campaign=campaign, priority=5, is_active=True,
                                 description="Para quem cita um código do catálogo de inverno.")
        Promotion.objects.create(name="Gaste mais, ganhe mais", kind=Promotion.Kind.TIERED_SPEND, is_active=True,
                                 tiers=[{"threshold": "300", "percent": "5"}, {"threshold": "500", "percent": "8"}])
        three_for_two = Promotion.objects.create(name="Leve 3, pague 2", kind=Promotion.Kind.BUY_X_GET_Y,
                                                 buy_quantity=2, get_quantity=1, is_active=True, priority=2)
        three_for_two.variants.set(variants[:5])
        Promotion.objects.create(name="Frete grátis PAC acima de R$ 199", kind=Promotion.Kind.FREE_SHIPPING,
                                 min_subtotal=Decimal("199"), shipping_services=["pac"], is_active=True)
        welcome = Promotion.objects.create(name="Boas-vindas 15%", kind=Promotion.Kind.ORDER_PERCENT,
                                           percent=Decimal("15"), requires_coupon=True, exclusive=True,
                                           usage_limit_per_customer=1, is_active=True)
        Coupon.objects.create(code="BEMVINDO15", promotion=welcome, usage_limit=None)
        single = Promotion.objects.create(name="Cupom R$ 30", kind=Promotion.Kind.ORDER_FIXED, amount=Decimal("30"),
                                          min_subtotal=Decimal("150"), requires_coupon=True, is_active=True)
        Coupon.objects.bulk_create([Coupon(code=f"DEMO30-{n:04d}", promotion=single, usage_limit=1)
                                    for n in range(1, 51)])
        made.append("6 promotions, 51 coupons")

    if not Segment.objects.exists():
        Segment.objects.create(code="vip", name="VIP (gastou R$ 2.000+)",
                               rules=[{"field": "total_spent", "op": "gte", "value": "2000"}])
        Segment.objects.create(code="dormant-sp", name="Inativos em SP (sem pedido há 180 dias)",
                               rules=[{"field": "region", "op": "in", "value": ["SP"]},
                                      {"field": "last_order_date", "op": "not_within_days", "value": 180}])
        made.append("2 segments")
    stdout.write("Marketing demo: " + (", ".join(made) if made else "already there"))
