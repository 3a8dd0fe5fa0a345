"""Proportions with a 95 % Wilson score interval, and when a group is too small to read anything into."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import sqrt

from surveys.selectors import percentage

Z_95 = 1.959964  # the standard normal quantile for a two-sided 95 % interval

# A rate is greyed out (and said in words to be too uncertain) below this many cases, or when its
# interval is wider than this many percentage points: at n = 10 and 50 % the interval is 24-76 %,
# which says nothing a lead could act on. The page states both limits.
MIN_SAMPLE = 10
MAX_INTERVAL_WIDTH = 40.0


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Give the Wilson score interval of successes/n in percent (low, high), None when n is 0.

    Wilson rather than the textbook p ± z·se: it stays inside 0-100 % and is honest for the small
    groups and the 0 % or 100 % rates a dashboard of account managers is full of.
    """
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half_width = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (round(max(0.0, centre - half_width) * 100, 1), round(min(1.0, centre + half_width) * 100, 1))


@dataclass(frozen=True)
class Proportion:
    """`successes` of `n`, as a percentage with its 95 % interval; too_small when it says nothing."""

    successes: int
    n: int
    percent: float | None = field(init=False)
    low: float | None = field(init=False)
    high: float | None = field(init=False)
    too_small: bool = field(init=False)

    def __post_init__(self) -> None:
        interval = wilson_interval(self.successes, self.n)
        low, high = interval if interval is not None else (None, None)
        object.__setattr__(self, "percent", percentage(self.successes, self.n))
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        too_small = self.n < MIN_SAMPLE or (
            low is not None and high is not None and high - low > MAX_INTERVAL_WIDTH
        )
        object.__setattr__(self, "too_small", too_small)
