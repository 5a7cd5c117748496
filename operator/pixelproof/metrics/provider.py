"""The interface every metric provider honours: one query in, one number (or why not) out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class QueryResult:
    """A number, no data (value and error both None), or an error in the provider's own words.

    No data is neither pass nor fail: the gate's onNoData policy decides what it means.
    `rejected` marks an error in the query itself (bad PromQL), which no retry can fix,
    as opposed to an outage."""

    value: float | None = None
    error: str | None = None
    rejected: bool = False

    @property
    def no_data(self) -> bool:
        return self.value is None and self.error is None


NO_DATA = QueryResult()


class MetricProvider(Protocol):
    def query(self, query: str) -> QueryResult:
        """Run one instant query now. Never raises for provider trouble: returns it as an error."""
        ...
