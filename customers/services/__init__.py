"""State changes of the customers app, by sub-domain. Import from here."""

from customers.windows import Window

from .economics import (
    RecalculationAbandoned,
    RecalculationAlreadyRunning,
    recalculate_customer_economics,
)
from .imports import (
    DuplicateImport,
    ImportFileError,
    ImportProgress,
    ImportRejected,
    ImportResult,
    RowError,
    import_data_file,
)
from .nightly import NightlyResult, run_nightly
from .potential import PotentialResult, recalculate_potential
from .relevance import AFFINITY_MIN_SUPPORT, RelevanceResult, recalculate_product_relevance

__all__ = [
    "AFFINITY_MIN_SUPPORT",
    "DuplicateImport",
    "ImportFileError",
    "ImportProgress",
    "ImportRejected",
    "ImportResult",
    "NightlyResult",
    "PotentialResult",
    "RecalculationAbandoned",
    "RecalculationAlreadyRunning",
    "RelevanceResult",
    "RowError",
    "Window",
    "import_data_file",
    "recalculate_customer_economics",
    "recalculate_potential",
    "recalculate_product_relevance",
    "run_nightly",
]
