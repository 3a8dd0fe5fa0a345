"""The followups REST API: the account managers' follow-up queue and the NPS metrics.

The metrics endpoint lives here rather than in surveys.api because it reports follow-up figures
(time to first contact, recovery) next to the NPS, and surveys may not import followups.
"""
