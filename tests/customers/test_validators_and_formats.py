import pytest
from django.core.exceptions import ValidationError

from customers.validators import (
    is_valid_org_number,
    normalize_org_number,
    org_number_check_digit,
    validate_org_number,
)


@pytest.mark.parametrize("number", ["923609016", "974760673", "982463718"])
def test_real_organisation_numbers_are_valid(number):
    assert is_valid_org_number(number)


@pytest.mark.parametrize("number", ["923609017", "92360901", "9236090160", "92360901a", ""])
def test_wrong_check_digit_length_or_characters_are_invalid(number):
    with pytest.raises(ValidationError, match="not a valid Norwegian organisation number"):
        validate_org_number(number)


def test_a_base_whose_check_digit_would_be_ten_can_never_be_valid():
    # The weighted sum of 10000013 is 12, remainder 1 mod 11, so the check digit would be 10.
    assert org_number_check_digit("10000013") is None
    assert not any(is_valid_org_number(f"10000013{digit}") for digit in range(10))


@pytest.mark.parametrize("typed", ["923 609 016", "NO 923 609 016 MVA", "923.609.016", " 923609016 "])
def test_typed_variants_normalise_to_nine_digits(typed):
    assert normalize_org_number(typed) == "923609016"
