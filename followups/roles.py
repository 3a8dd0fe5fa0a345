"""The names of the follow-up roles' auth groups, created by migration 0002_groups.

Kept apart from the services and the selectors so both can read them: the services email the leads,
the selectors list whom a lead may hand a follow-up to. Renaming a group means a migration and this.
Who may do what is not decided by group name but by permission, in followups.policy.
"""

ACCOUNT_MANAGERS_GROUP = "Account managers"
LEADS_GROUP = "Follow-up leads"
SALES_GROUP = "Sales"
