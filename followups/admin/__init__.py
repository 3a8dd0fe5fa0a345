"""The operators' UI for follow-ups: the queue, the policy, and the follow-ups on the customer page.

Importing the modules registers them; `customers` re-registers the Customer admin, so it must run
after the customers and surveys apps' admin modules (INSTALLED_APPS order guarantees it).
"""

from . import customers, policy, queue

__all__ = ["customers", "policy", "queue"]
