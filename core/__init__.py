"""Typed pieces every app may use. This package imports no app (an import-linter contract keeps it so)."""
