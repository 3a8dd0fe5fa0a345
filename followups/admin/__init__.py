"""The operators' UI for follow-ups: the queue and the policy; `customers` exports the follow-ups
inline that sales/admin.py puts on the customer page (it registers nothing itself).
"""

from . import customers, policy, queue

__all__ = ["customers", "policy", "queue"]
