"""Demo data: a believable Norwegian B2B customer base with two years of history, for `seed_demo`.

Every random choice is drawn from one `random.Random(seed)` in a fixed order while the data is planned
in memory, before anything is written. A seed therefore plans the same customers, revenue and dialog
(for a given today) whatever ids the database hands out, and the demo looks the same every time.

The plan is shaped so the economics come out the way a demo needs them: exact shares of customers are
aimed at the A, B and C bands with a margin of safety around the thresholds, a few customers get a
negative contribution margin, and service time is sized against each customer's own margin so that
only the customers picked as time thieves (and the loss-makers) cross the tier policy's time-cost share.
A few customers, more of them small, stopped buying (and calling) some months ago, having bought a
year's worth before: the dashboard's churn table has rows, and their tiers stay where the plan put them.
"""

from .accounts import ACCOUNT_MANAGERS, DEMO_PASSWORD, DEMO_USERNAME, EMAIL_TLD, ensure_demo_user
from .catalogue import PRODUCTS, DemoProduct
from .seeding import DemoDataExists, seed_demo_data
from .writing import DemoSeedResult

__all__ = [
    "ACCOUNT_MANAGERS",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "EMAIL_TLD",
    "PRODUCTS",
    "DemoDataExists",
    "DemoProduct",
    "DemoSeedResult",
    "ensure_demo_user",
    "seed_demo_data",
]
