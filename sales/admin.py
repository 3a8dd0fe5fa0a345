"""The customer and contact pages, composed once from the pieces each app below exports.

Every app adds something to these pages (customers: the record and its contacts; surveys: the
send-survey actions and the survey history; followups: the customer's follow-ups), and sales sits on
top of all of them, so the one registration lives here. Each piece is a ModelAdmin subclass that
calls super(), so the pieces are listed before the base class of the app that owns the model.
"""

from __future__ import annotations

from django.contrib import admin

from customers.admin import customers as customer_pages
from customers.models import Contact, Customer
from followups.admin.customers import FollowUpInline
from surveys.admin import SEND_SURVEY_ACTIONS, ContactSurveyActions, CustomerSurveyActions, SurveyHistoryPanel


@admin.register(Customer)
class CustomerAdmin(CustomerSurveyActions, SurveyHistoryPanel, customer_pages.CustomerAdmin):
    """The customer list and page: economics and contacts, survey actions and history, follow-ups."""

    actions = SEND_SURVEY_ACTIONS
    inlines = [*customer_pages.CustomerAdmin.inlines, FollowUpInline]


@admin.register(Contact)
class ContactAdmin(ContactSurveyActions, customer_pages.ContactAdmin):
    """The contact list and page, with the survey actions; who may change what is customers.policy."""

    actions = SEND_SURVEY_ACTIONS
