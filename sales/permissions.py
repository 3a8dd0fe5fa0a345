"""Who may use the sales API."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

VIEW_CUSTOMERS = "customers.view_customer"


class CanViewCustomers(BasePermission):
    """Signed-in users holding customers.view_customer: the Sales and Account managers groups, superusers."""

    message = "You need the permission 'customers | customer | Can view customer' (the Sales group has it)."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(VIEW_CUSTOMERS))
