"""The operators' UI for the customers app, one module per area; importing them registers them."""

from . import catalogue, customers, economics, imports, interactions

__all__ = ["catalogue", "customers", "economics", "imports", "interactions"]
