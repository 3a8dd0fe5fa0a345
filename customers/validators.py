"""Validation of Norwegian identifiers."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Brønnøysundregistrene's MOD11 weights for the first eight digits of an organisation number.
_ORG_NUMBER_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def normalize_org_number(value: str) -> str:
    """Strip the spaces, dots and 'NO'/'MVA' that people type around an organisation number."""
    cleaned = value.strip().upper().removeprefix("NO").removesuffix("MVA")
    return "".join(ch for ch in cleaned if ch not in " .\u00a0-")


def org_number_check_digit(first_eight: str) -> int | None:
    """Return the MOD11 check digit for eight digits, or None when no valid number can end them."""
    remainder = sum(int(d) * w for d, w in zip(first_eight, _ORG_NUMBER_WEIGHTS, strict=True)) % 11
    check = (11 - remainder) % 11
    return None if check == 10 else check


def is_valid_org_number(value: str) -> bool:
    if len(value) != 9 or not value.isdigit():
        return False
    return org_number_check_digit(value[:8]) == int(value[8])


def validate_org_number(value: str) -> None:
    if not is_valid_org_number(value):
        raise ValidationError(
            _("%(value)s is not a valid Norwegian organisation number (9 digits with a MOD11 check digit)."),
            code="invalid_org_number",
            params={"value": value},
        )
