"""Demo catalogue: ~500 SKUs, 2 kits, personalization, 1 DC and 4 stores in Brazil, 5 suppliers, reorder rules.

Idempotent: a second run finds the demo DC and adds nothing. Stock goes in through the ledger.
"""

import random
from datetime import time
from decimal import Decimal

from django.db import transaction

from inventory import services
from inventory.models import (
    Brand,
    Category,
    KitComponent,
    Location,
    PersonalizationField,
    Product,
    ReorderRule,
    Supplier,
    SupplierItem,
    Variant,
)

LOCATIONS = [
    # code, name, kind, street, city, state, postal code, latitude, longitude, ships, pick-up, cut-off
    ("DC-SP", "CD Cajamar", "dc", "Rodovia Anhanguera, km 37", "Cajamar", "SP", "07790-000",
     "-23.356200", "-46.876900", True, False, time(15, 0)),
    ("LJ-SP", "Loja Paulista", "store", "Av. Paulista, 1578", "São Paulo", "SP", "01310-200",
     "-23.561414", "-46.655881", True, True, time(17, 0)),
    ("LJ-RJ", "Loja Copacabana", "store", "Av. Nossa Senhora de Copacabana, 680", "Rio de Janeiro", "RJ",
     "22050-001", "-22.967950", "-43.185910", True, True, time(17, 0)),
    ("LJ-BH", "Loja Savassi", "store", "Rua Pernambuco, 1000", "Belo Horizonte", "MG", "30130-151",
     "-19.938760", "-43.934770", False, True, None),
    ("LJ-CWB", "Loja Batel", "store", "Av. do Batel, 1868", "Curitiba", "PR", "80420-090",
     "-25.442300", "-49.292400", True, True, time(16, 0)),
]

SUPPLIERS = [
    ("TEXSUL", "Têxtil Sul Ltda.", "vendas@texsul.example.com", 12),
    ("MALHA", "Malharia Paulista", "pedidos@malhapaulista.example.com", 8),
    ("ELETRO", "EletroDistribuidora Brasil", "compras@eletrodist.example.com", 15),
    ("CASA", "Casa & Lar Importadora", "comercial@casaelar.example.com", 20),
    ("ACESS", "Acessórios Minas", "atendimento@acessminas.example.com", 10),
]

SIZES = ["PP", "P", "M", "G", "GG"]
COLOURS = [("Preto", "PRT"), ("Branco", "BRC"), ("Azul", "AZL")]
APPAREL = ["Camiseta Básica", "Camiseta Gola V", "Polo Piquet", "Regata Dry", "Moletom Canguru", "Calça Jeans Slim",
           "Bermuda Sarja", "Jaqueta Corta-Vento", "Vestido Midi", "Saia Plissada", "Camisa Social", "Blusa Tricô",
           "Legging Fitness", "Shorts Corrida", "Pijama Algodão", "Camiseta Estampada", "Calça Moletom",
           "Cardigan Leve", "Body Infantil", "Camisa Xadrez", "Jaqueta Jeans", "Top Esportivo", "Macacão Linho",
           "Bermuda Tactel", "Colete Puffer", "Blazer Alfaiataria", "Saia Jeans", "Camiseta Manga Longa",
           "Calça Cargo", "Suéter Gola Alta"]
ELECTRONICS = ["Fone Bluetooth", "Caixa de Som Portátil", "Carregador USB-C 20W", "Cabo USB-C 1m",
               "Power Bank 10000mAh",
               "Smartwatch Fit", "Mouse sem Fio", "Teclado Compacto", "Webcam Full HD", "Hub USB 4 Portas",
               "Fone com Fio", "Suporte Celular", "Lâmpada Inteligente", "Tomada Inteligente", "Cartão microSD 64GB",
               "Pendrive 32GB", "Carregador Veicular", "Película Vidro", "Capa Celular", "Controle Gamer",
               "Roteador Wi-Fi", "Repetidor Wi-Fi", "Ring Light", "Microfone Lapela", "Tripé Flexível",
               "Fone Infantil", "Relógio Digital", "Balança Digital", "Termômetro Digital", "Leitor de Cartão"]
HOME = ["Caneca Cerâmica", "Jogo de Toalhas", "Almofada Decorativa", "Vela Aromática", "Porta-Retrato",
        "Manta Sofá", "Garrafa Térmica", "Tábua de Corte", "Jogo de Copos", "Luminária de Mesa", "Cesto Organizador",
        "Tapete Banheiro", "Pote Hermético", "Jogo Americano", "Difusor de Aromas", "Espelho Redondo",
        "Relógio de Parede", "Vaso Decorativo", "Kit Utensílios", "Avental Cozinha"]


def _seed_gift_card() -> bool:
    """The gift card sold as a product (``GIFT-CARD``): no stock, value chosen on the order (R$ 100 suggested)."""
    if Variant.objects.filter(sku="GIFT-CARD").exists():
        return False
    product, _created = Product.objects.get_or_create(code="GIFT", defaults={"name": "Cartão Presente"})
    Variant.objects.create(product=product, sku="GIFT-CARD", name="Cartão Presente (valor à escolha)",
                           base_price=Decimal("100.00"), cost=Decimal("0.00"), is_gift_card=True,
                           visible_marketplace=False, search_text="gift-card cartão presente gift card vale-presente")
    return True


def seed(*, stdout) -> None:
    if Location.objects.filter(code="DC-SP").exists():
        if _seed_gift_card():  # a database seeded before gift cards were sold as a product
            stdout.write("Inventory demo: gift card SKU GIFT-CARD added.")
        stdout.write("Inventory demo data already present.")
        return
    rng = random.Random(2026)  # noqa: S311 - demo data only
    with transaction.atomic():
        locations = [Location.objects.create(
            code=code, name=name, kind=kind, address_line1=street, city=city, state=state, postal_code=postal,
            country="BR", latitude=Decimal(lat), longitude=Decimal(lng), can_ship=ships, can_pickup=pickup,
            handling_days=1 if kind == "dc" else 0, cutoff_time=cutoff)
            for code, name, kind, street, city, state, postal, lat, lng, ships, pickup, cutoff in LOCATIONS]
        suppliers = [Supplier.objects.create(code=code, name=name, email=email, lead_time_days=lead, currency="BRL")
                     for code, name, email, lead in SUPPLIERS]
        brands = {name: Brand.objects.get_or_create(name=name, defaults={"slug": slug})[0] for name, slug in [
            ("Lumière", "lumiere"), ("Trópico", "tropico"), ("Voltz", "voltz"), ("Aurora Casa", "aurora-casa"),
            ("Norte Sul", "norte-sul"), ("Pixel", "pixel")]}
        root = {name: Category.objects.create(name=name, slug=slug, path=name) for name, slug in [
            ("Vestuário", "vestuario"), ("Eletrônicos", "eletronicos"), ("Casa", "casa")]}
        sub = {name: Category.objects.create(name=name, slug=slug, parent=root[parent], path=f"{parent} / {name}")
               for name, slug, parent in [("Camisetas", "camisetas", "Vestuário"), ("Calças", "calcas", "Vestuário"),
                                          ("Outros", "vestuario-outros", "Vestuário"),
                                          ("Áudio", "audio", "Eletrônicos"),
                                          ("Acessórios", "acessorios", "Eletrônicos"),
                                          ("Cozinha", "cozinha", "Casa"), ("Decoração", "decoracao", "Casa")]}
        variants: list[Variant] = []
        products: list[Product] = []
        gtin = 7891000000000
        for i, name in enumerate(APPAREL):
            category = sub["Camisetas"] if "Camis" in name or "Polo" in name else (
                sub["Calças"] if "Calça" in name else sub["Outros"])
            product = Product(code=f"VST{i + 1:03d}", name=name, brand=brands["Lumière" if i % 2 else "Trópico"],
                              category=category)
            products.append(product)
            price = Decimal(rng.choice(["49.90", "79.90", "99.90", "149.90", "199.90"]))
            for colour, colour_code in COLOURS:
                for size in SIZES:
                    gtin += 1
                    variants.append(Variant(product=product, sku=f"{product.code}-{colour_code}-{size}",
                                            barcode=str(gtin), name=f"{name} {colour} {size}",
                                            attributes={"size": size, "colour": colour}, weight_grams=250,
                                            cost=(price * Decimal("0.4")).quantize(Decimal("0.01")), base_price=price))
        for prefix, names, brand_names, categories, tax_class in [
            ("ELE", ELECTRONICS, ["Voltz", "Pixel"], [sub["Áudio"], sub["Acessórios"]], "standard"),
            ("CAS", HOME, ["Aurora Casa", "Norte Sul"], [sub["Cozinha"], sub["Decoração"]], "reduced"),
        ]:
            for i, name in enumerate(names):
                product = Product(code=f"{prefix}{i + 1:03d}", name=name, brand=brands[brand_names[i % 2]],
                                  category=categories[i % 2])
                products.append(product)
                price = Decimal(rng.choice(["29.90", "59.90", "89.90", "129.90", "249.90", "399.00"]))
                gtin += 1
                variants.append(Variant(product=product, sku=f"{product.code}-UN", barcode=str(gtin), name=name,
                                        weight_grams=rng.choice([150, 300, 600, 1200]), tax_class=tax_class,
                                        cost=(price * Decimal("0.55")).quantize(Decimal("0.01")), base_price=price))
        Product.objects.bulk_create(products)
        for variant in variants:
            variant.product_id = variant.product.pk
        # Two kits sold as one SKU, stocked through their components.
        kit_product = Product.objects.create(code="KIT001", name="Kit Home Office", brand=brands["Pixel"],
                                             category=sub["Acessórios"])
        gift_product = Product.objects.create(code="KIT002", name="Kit Presente Café", brand=brands["Aurora Casa"],
                                              category=sub["Cozinha"])
        variants += [
            Variant(product=kit_product, sku="KIT001-UN", name="Kit Home Office (mouse + teclado + hub)",
                    is_kit=True, base_price=Decimal("289.90"), cost=Decimal("150.00"), weight_grams=900),
            Variant(product=gift_product, sku="KIT002-UN", name="Kit Presente Café (2 canecas + garrafa)",
                    is_kit=True, base_price=Decimal("139.90"), cost=Decimal("70.00"), weight_grams=1400),
        ]
        Variant.objects.bulk_create(variants)
        by_sku = {v.sku: v for v in variants}
        KitComponent.objects.bulk_create([
            KitComponent(kit=by_sku["KIT001-UN"], component=by_sku["ELE007-UN"], quantity=1),
            KitComponent(kit=by_sku["KIT001-UN"], component=by_sku["ELE008-UN"], quantity=1),
            KitComponent(kit=by_sku["KIT001-UN"], component=by_sku["ELE010-UN"], quantity=1),
            KitComponent(kit=by_sku["KIT002-UN"], component=by_sku["CAS001-UN"], quantity=2),
            KitComponent(kit=by_sku["KIT002-UN"], component=by_sku["CAS007-UN"], quantity=1),
        ])
        code_of = {p.code: p for p in products}
        PersonalizationField.objects.bulk_create([
            PersonalizationField(product=code_of["CAS001"], code="engraving", label="Gravação", kind="text",
                                 max_length=20, extra_price=Decimal("15.00")),
            PersonalizationField(product=code_of["CAS007"], code="engraving", label="Gravação na garrafa",
                                 kind="text", max_length=25, extra_price=Decimal("19.90")),
            PersonalizationField(product=code_of["VST004"], code="monogram", label="Monograma", kind="monogram",
                                 max_length=3, extra_price=Decimal("12.00")),
            PersonalizationField(product=gift_product, code="gift_message", label="Mensagem de presente",
                                 kind="gift_message", max_length=140, position=1),
        ])
        services.variant_refresh_search_text()
        stocked = [v for v in variants if not v.is_kit]
        supplier_for = {"VST": suppliers[:2], "ELE": [suppliers[2], suppliers[4]], "CAS": [suppliers[3]]}
        items = []
        for v in stocked:
            for index, supplier in enumerate(supplier_for[v.sku[:3]]):
                items.append(SupplierItem(supplier=supplier, variant=v, supplier_sku=f"{supplier.code}-{v.sku}",
                                          cost=(v.cost * (1 + Decimal(index) / 20)).quantize(Decimal("0.01")),
                                          min_order_quantity=rng.choice([1, 6, 12])))
        SupplierItem.objects.bulk_create(items)
        rows, rules = [], []
        dc, stores = locations[0], locations[1:]
        for n, v in enumerate(stocked):
            low = n % 25 == 0  # some SKUs run low so reorder alerts show
            rows.append((v.pk, dc.pk, rng.randint(0, 4) if low else rng.randint(40, 300), 5))
            for store in stores:
                if rng.random() < 0.7:
                    rows.append((v.pk, store.pk, rng.randint(0, 2) if low else rng.randint(3, 40), 1))
            rules.append(ReorderRule(variant=v, location=dc, reorder_point=20, order_up_to=120))
        services.stock_import_levels(rows=rows, reference="demo:seed", acting_user=None)
        ReorderRule.objects.bulk_create(rules)
        result = services.reorder_scan(acting_user=None, draft=True)
        _seed_gift_card()  # last: the demo orders take the first SKUs, a gift card is not one of them
    stdout.write(f"Inventory demo: {len(variants)} SKUs, {len(locations)} locations, {len(suppliers)} suppliers, "
                 f"{len(rows)} stock levels, {result.raised} reorder alerts, {len(result.purchase_orders)} draft POs.")
