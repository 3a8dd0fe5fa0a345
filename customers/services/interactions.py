"""Logging a call, meeting or email in the shared dialog log."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.errors import BadInput, Forbidden
from core.types import User
from customers.models import Interaction
from customers.policy import interaction_policy


def log_interaction(*, interaction: Interaction, user: User) -> Interaction:
    """Save a new interaction that `user` had, after the policy and the model's own rules agree.

    The caller builds the unsaved row (usually a form's `save(commit=False)`); `logged_by` is set
    here, so a posted value cannot put the entry in a colleague's name.
    """
    if not interaction_policy.can_add_for(user, interaction.customer):
        raise Forbidden(interaction_policy.refusal(user, interaction))
    if interaction.contact is not None and interaction.contact.customer_id != interaction.customer_id:
        raise BadInput(_("The contact person belongs to another customer."), field="contact")
    interaction.logged_by = user
    try:
        # A form has run these already; a caller without one (a script, a future API) has not.
        interaction.full_clean(exclude=["data_import"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise BadInput(" ".join(messages), field=None if field == "__all__" else field) from error
    interaction.save()
    return interaction
