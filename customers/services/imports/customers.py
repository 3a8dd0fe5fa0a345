"""Customer files from the ERP: upsert by external ID."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import CharField, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext

from customers.models import Customer, DataImport, ImportKind
from customers.validators import is_valid_org_number, normalize_org_number

from .engine import INSERT_ROWS, PendingRow, RowImporter, WriteCounts
from .reading import CellError, cell, check_length, model_field, parse_whole_number, shown

# Free-text columns, stored as written after a length check.
_TEXT_COLUMNS = ("industry", "business_model", "region")


@dataclass
class CustomerRow:
    external_id: str
    name: str
    org_number: str | None = None
    industry: str | None = None
    employees: int | None = None
    business_model: str | None = None
    region: str | None = None
    account_manager: str | None = None
    account_manager_id: int | None = None


def _org_number(raw: str) -> str:
    number = normalize_org_number(raw)
    if not is_valid_org_number(number):
        raise CellError(
            gettext(
                "%(value)s is not a valid Norwegian organisation number (9 digits with a MOD11 check digit)"
            )
            % {"value": shown(raw)}
        )
    return number


def _employees(raw: str) -> int:
    return parse_whole_number(raw, refusal=gettext("%(value)s is not a number of employees"))


def _text(name: str) -> Callable[[str], str]:
    max_length = model_field(Customer, name, CharField).max_length
    return lambda raw: check_length(raw, max_length)


_TEXT = {name: _text(name) for name in ("external_id", "name", *_TEXT_COLUMNS)}


class CustomerImporter(RowImporter[CustomerRow]):
    kind = ImportKind.CUSTOMERS
    required = ("external_id", "name")
    optional = ("org_number", "industry", "employees", "business_model", "region", "account_manager")

    def parse(self, values: Mapping[str, str], errors: list[tuple[str, str]]) -> CustomerRow | None:
        row = CustomerRow(
            external_id=cell(values, "external_id", errors, _TEXT["external_id"], required=True),
            name=cell(values, "name", errors, _TEXT["name"], required=True),
            org_number=cell(values, "org_number", errors, _org_number),
            employees=cell(values, "employees", errors, _employees),
        )
        for column in _TEXT_COLUMNS:
            setattr(row, column, cell(values, column, errors, _TEXT[column]))
        row.account_manager = cell(values, "account_manager", errors, str)
        return None if errors else row

    def resolve(self, rows: Sequence[PendingRow[CustomerRow]]) -> None:
        wanted = {p.row.account_manager for p in rows if p.row.account_manager}
        if not wanted:
            return
        by_username, by_email = _users_matching(wanted)
        for pending in rows:
            key = pending.row.account_manager
            if not key:
                continue
            if key in by_username:
                pending.row.account_manager_id = by_username[key]
                continue
            matches = by_email.get(key.lower(), [])
            if len(matches) == 1:
                pending.row.account_manager_id = matches[0]
            elif matches:
                pending.errors.append(
                    (
                        "account_manager",
                        gettext("%(value)s is the email of %(count)s users; use the username")
                        % {"value": shown(key), "count": len(matches)},
                    )
                )
            else:
                pending.errors.append(
                    (
                        "account_manager",
                        gettext("no user has the username or email %(value)s") % {"value": shown(key)},
                    )
                )

    def write(self, rows: Sequence[CustomerRow], data_import: DataImport) -> WriteCounts:
        # The last row wins when a file lists a customer twice: PostgreSQL refuses one INSERT ... ON
        # CONFLICT that would update the same row twice, and the later line is the newer truth.
        latest = {row.external_id: row for row in rows}
        existing = set(Customer.objects.filter(external_id__in=latest).values_list("external_id", flat=True))
        Customer.objects.bulk_create(
            [self._customer(row) for row in latest.values()],
            batch_size=INSERT_ROWS,
            update_conflicts=True,
            unique_fields=["external_id"],
            update_fields=self._update_fields(),
        )
        created = len(latest) - len(existing)
        return WriteCounts(created=created, updated=len(rows) - created)

    def _customer(self, row: CustomerRow) -> Customer:
        customer = Customer(external_id=row.external_id, name=row.name)
        for column in ("org_number", *_TEXT_COLUMNS):
            if column in self.columns:
                setattr(customer, column, getattr(row, column) or "")
        if "employees" in self.columns:
            customer.employees = row.employees
        if "account_manager" in self.columns:
            customer.account_manager_id = row.account_manager_id
        return customer

    def _update_fields(self) -> list[str]:
        # Only the columns the file has: a file without `region` must not blank every region. An empty
        # cell in a column the file has does clear the value, as the ERP says.
        return ["name", "updated_at", *(column for column in self.optional if column in self.columns)]


def _users_matching(keys: set[str]) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Users whose username is one of `keys` or whose email is one of them in any case, in one query."""
    user_model = get_user_model()
    username_field = user_model.USERNAME_FIELD
    email_field = user_model.get_email_field_name()
    users = (
        user_model._default_manager.annotate(email_lower=Lower(email_field))
        .filter(Q(**{f"{username_field}__in": keys}) | Q(email_lower__in={key.lower() for key in keys}))
        .values_list("pk", username_field, "email_lower")
    )
    by_username: dict[str, int] = {}
    by_email: dict[str, list[int]] = defaultdict(list)
    for pk, username, email in users:
        by_username[username] = pk
        if email:
            by_email[email].append(pk)
    return by_username, by_email
