"""State changes of the customers app, by sub-domain. Import from here."""

from .economics import (
    RecalculationAbandoned,
    RecalculationAlreadyRunning,
    Window,
    recalculate_customer_economics,
)

__all__ = [
    "RecalculationAbandoned",
    "RecalculationAlreadyRunning",
    "Window",
    "recalculate_customer_economics",
]
