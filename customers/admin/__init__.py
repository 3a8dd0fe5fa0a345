"""The operators' UI for the customers app, one module per area; importing them registers them."""

from . import customers, economics, imports

__all__ = ["customers", "economics", "imports"]
