"""Splitting a table into primary-key ranges, for set-based work in short transactions."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Model


def id_ranges(model: type[Model], chunk_size: int) -> Iterator[tuple[int, int]]:
    """Yield inclusive (lower, upper) primary-key bounds covering every row, chunk_size rows each at most.

    Bounds are computed one chunk ahead with one index-only probe each, so a table of a million rows
    is never read into memory and gaps in the ids cost nothing. Rows inserted after a bound was
    computed may fall outside every range: callers that must see them run again (the nightly jobs do).
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")  # a programming error, not user input
    ids = model._default_manager.order_by("pk").values_list("pk", flat=True)
    lower = ids.first()
    while lower is not None:
        upper_and_next = list(ids.filter(pk__gte=lower)[chunk_size - 1 : chunk_size + 1])
        if not upper_and_next:
            # Fewer than chunk_size rows left: the last range ends at the largest id.
            last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
            yield (lower, last if last is not None else lower)
            return
        yield (lower, upper_and_next[0])
        lower = upper_and_next[1] if len(upper_and_next) > 1 else None
