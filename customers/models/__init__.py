"""Customers, their people, what they buy, how much they cost to serve, and the nightly economics.

One module per concept; every public name is re-exported here, so `from customers.models import X`
is the one way to import a model.
"""

from .catalogue import CustomerProduct, Product, ProductAffinity, RevenueLine
from .customers import MARGIN_PCT, ZERO, Contact, Customer, Language, Tier
from .economics import RecalculationRun, RunStatus, TierChange, TierPolicy
from .imports import DataImport, ImportKind
from .interactions import Channel, Direction, Interaction
from .potential import SIZE_BANDS, PotentialAttribute, PotentialFactor, size_band

__all__ = [
    "MARGIN_PCT",
    "SIZE_BANDS",
    "ZERO",
    "Channel",
    "Contact",
    "Customer",
    "CustomerProduct",
    "DataImport",
    "Direction",
    "ImportKind",
    "Interaction",
    "Language",
    "PotentialAttribute",
    "PotentialFactor",
    "Product",
    "ProductAffinity",
    "RecalculationRun",
    "RevenueLine",
    "RunStatus",
    "Tier",
    "TierChange",
    "TierPolicy",
    "size_band",
]
