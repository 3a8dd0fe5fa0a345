"""The demo's product catalogue: what a Norwegian IT supplier sells, with prices and margins."""

from __future__ import annotations

from dataclasses import dataclass

from customers.models import Product


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    category: str
    price: int  # list price in NOK per unit (per month for subscriptions)
    margin_offset: (
        float  # margin points above or below the customer's average: licences earn more than hardware
    )
    topic: str  # how a support note refers to it
    recurring: bool = False
    step: float = 1.0  # smallest quantity sold: consulting is billed in half hours


PRODUCTS = (
    DemoProduct("SA-100", "Serviceavtale Basis", "Serviceavtaler", 2_900, 0.15, "serviceavtalen", True),
    DemoProduct("SA-200", "Serviceavtale Pluss", "Serviceavtaler", 6_500, 0.15, "serviceavtalen", True),
    DemoProduct(
        "SA-300", "Serviceavtale Premium 24/7", "Serviceavtaler", 14_500, 0.15, "serviceavtalen", True
    ),
    DemoProduct(
        "SA-400", "Driftsavtale server og nettverk", "Serviceavtaler", 9_800, 0.1, "driftsavtalen", True
    ),
    DemoProduct("LIS-110", "Kontorpakke, per bruker/mnd", "Lisenser", 189, 0.05, "kontorpakken", True),
    DemoProduct("LIS-120", "E-post og samhandling, per bruker/mnd", "Lisenser", 79, 0.05, "e-posten", True),
    DemoProduct("LIS-130", "Endepunktsikkerhet, per enhet/år", "Lisenser", 590, 0.1, "sikkerhetsprogrammet"),
    DemoProduct(
        "LIS-140", "Sikkerhetskopi i sky, per TB/mnd", "Lisenser", 450, 0.1, "sikkerhetskopien", True
    ),
    DemoProduct("LIS-150", "ERP Økonomi, per bruker/mnd", "Lisenser", 690, 0.1, "økonomisystemet", True),
    DemoProduct(
        "LIS-160", "Feltservice-app, per bruker/mnd", "Lisenser", 349, 0.1, "feltservice-appen", True
    ),
    DemoProduct("HW-210", 'Bærbar PC 14", forretningsmodell', "Maskinvare", 13_900, -0.15, "PC-ene"),
    DemoProduct("HW-220", 'Skjerm 27"', "Maskinvare", 3_490, -0.15, "skjermene"),
    DemoProduct("HW-230", "Dokkingstasjon USB-C", "Maskinvare", 2_290, -0.1, "dokkingstasjonene"),
    DemoProduct("HW-240", "Nettverkssvitsj 24 porter", "Maskinvare", 8_900, -0.1, "nettverket"),
    DemoProduct("HW-250", "Trådløst aksesspunkt", "Maskinvare", 3_900, -0.1, "det trådløse nettet"),
    DemoProduct("HW-260", "Mobiltelefon, bedrift", "Maskinvare", 8_490, -0.2, "mobiltelefonene"),
    DemoProduct("HW-270", "Multifunksjonsskriver A3", "Maskinvare", 29_900, -0.1, "skriveren"),
    DemoProduct(
        "KT-310", "Konsulenttime, seniorrådgiver", "Konsulenttimer", 1_650, 0.1, "rådgivningen", step=0.5
    ),
    DemoProduct(
        "KT-320", "Konsulenttime, tekniker", "Konsulenttimer", 1_150, 0.05, "teknikerbesøket", step=0.5
    ),
    DemoProduct("KT-330", "Prosjektledelse, time", "Konsulenttimer", 1_450, 0.1, "prosjektet", step=0.5),
    DemoProduct("KT-340", "Utrykning på stedet", "Konsulenttimer", 2_450, 0.0, "utrykningen"),
    DemoProduct("OPL-410", "Kurs: informasjonssikkerhet, per deltaker", "Opplæring", 3_900, 0.15, "kurset"),
    DemoProduct(
        "OPL-420", "Kurs: kontorpakken videregående, per deltaker", "Opplæring", 2_900, 0.15, "kurset"
    ),
    DemoProduct("SUP-510", "Supportklippekort, 10 timer", "Support", 10_500, 0.05, "klippekortet"),
    DemoProduct("SUP-520", "Migrering til sky, fastpris", "Support", 48_000, 0.0, "skymigreringen"),
)
SERVICE_AGREEMENTS = tuple(p for p in PRODUCTS if p.sku.startswith("SA-"))
SUBSCRIPTIONS = tuple(p for p in PRODUCTS if p.recurring and not p.sku.startswith("SA-"))
ONE_OFFS = tuple(p for p in PRODUCTS if not p.recurring)
CHEAPEST_ONE_OFF = min(ONE_OFFS, key=lambda p: p.price * p.step)


def ensure_products() -> dict[str, Product]:
    """Create the catalogue's missing products and return every catalogue product by SKU."""
    Product.objects.bulk_create(
        [Product(sku=p.sku, name=p.name, category=p.category) for p in PRODUCTS], ignore_conflicts=True
    )
    return {p.sku: p for p in Product.objects.filter(sku__in=[p.sku for p in PRODUCTS])}
