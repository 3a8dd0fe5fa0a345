"""Who may see and change a customer's contacts and interactions.

- Everyone with the view permission sees every contact and interaction: the dialog log is one shared
  history across departments, so that a customer never has to explain twice (DOMAIN.md).
- Changing (adding, editing) needs the model's add/change permission and, for account managers, that
  the customer is one they manage. Leads (`customers.change_every_account`) and superusers change all.
- Sales hold view permissions only, so they change nothing.

The admin (core.permissions.PolicyAdmin) and the services ask these objects; nothing else decides.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.utils.translation import gettext

from core.permissions import Policy, has_perm, is_active_user, is_superuser
from core.types import AnyUser
from customers.models import Contact, Customer, Interaction

EVERY_ACCOUNT_PERMISSION = "customers.change_every_account"


def manages_every_account(user: AnyUser) -> bool:
    """Leads and superusers: they change the contacts and interactions of every customer."""
    return is_superuser(user) or has_perm(user, EVERY_ACCOUNT_PERMISSION)


def manages(user: AnyUser, customer: Customer | None) -> bool:
    """Whether the user may change this customer's contacts and interactions."""
    if not is_active_user(user):
        return False
    if manages_every_account(user):
        return True
    return (
        customer is not None
        and customer.account_manager_id is not None
        and (customer.account_manager_id == user.pk)
    )


def managed_customers(user: AnyUser, customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """The customers whose contacts and interactions the user may change (for choice lists)."""
    if manages_every_account(user):
        return customers
    if not is_active_user(user):
        return customers.none()
    return customers.filter(account_manager_id=user.pk)


class CustomerRecordPolicy(Policy[Model]):
    """The rules for a model that belongs to one customer through a `customer` foreign key."""

    def __init__(self, model: type[Contact] | type[Interaction]) -> None:
        self.model = model
        self.label = f"{model._meta.app_label}.%s_{model._meta.model_name}"

    def _has(self, user: AnyUser, action: str) -> bool:
        return has_perm(user, self.label % action)

    def can_view_any(self, user: AnyUser) -> bool:
        return self._has(user, "view") or self._has(user, "change")

    def can_view(self, user: AnyUser, obj: Model) -> bool:
        return self.can_view_any(user)

    def can_change_any(self, user: AnyUser) -> bool:
        return self._has(user, "change")

    def can_add_any(self, user: AnyUser) -> bool:
        return self._has(user, "add")

    def can_change(self, user: AnyUser, obj: Model) -> bool:
        return self._has(user, "change") and manages(user, _customer_of(obj))

    def can_add_for(self, user: AnyUser, customer: Customer | None) -> bool:
        return self._has(user, "add") and manages(user, customer)

    def refusal(self, user: AnyUser, obj: Model) -> str:
        if not self._has(user, "change"):
            return gettext("Your role may read this but not change it.")
        return gettext("This customer has another account manager; ask them or a lead to change it.")


def _customer_of(obj: Model) -> Customer | None:
    customer = getattr(obj, "customer", None)
    return customer if isinstance(customer, Customer) else None


contact_policy = CustomerRecordPolicy(Contact)
interaction_policy = CustomerRecordPolicy(Interaction)
