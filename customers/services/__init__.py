"""State changes of the customers app, by sub-domain. Import from here."""

from .economics import (
    RecalculationAbandoned,
    RecalculationAlreadyRunning,
    Window,
    recalculate_customer_economics,
)
from .imports import (
    DuplicateImport,
    ImportFileError,
    ImportProgress,
    ImportRejected,
    ImportResult,
    RowError,
    import_customers,
    import_data_file,
    import_interactions,
    import_revenue,
)

__all__ = [
    "DuplicateImport",
    "ImportFileError",
    "ImportProgress",
    "ImportRejected",
    "ImportResult",
    "RecalculationAbandoned",
    "RecalculationAlreadyRunning",
    "RowError",
    "Window",
    "import_customers",
    "import_data_file",
    "import_interactions",
    "import_revenue",
    "recalculate_customer_economics",
]
