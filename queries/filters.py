"""The filter parameters every query takes, as plain data (no database, no UI).

``Filters`` is what the sidebar, the URL and the CLI all produce; ``params()`` turns it
into the named parameters the .sql files declare. An empty tuple means "all".
``allowed_regions`` is set by access control, never by the user: a non-empty tuple
restricts every query to those regions in SQL. Must not import streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Filters:
    as_of: date | None = None  # which snapshot; None = the latest
    since: date | None = None  # the earlier snapshot for comparisons; None = the one before as_of
    regions: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    allowed_regions: tuple[str, ...] = field(default=())

    def params(self) -> dict[str, Any]:
        """Named SQL parameters: lists are passed as varchar[] (empty list = no filter)."""
        return {
            "as_of": self.as_of,
            "since": self.since,
            "regions": list(self.regions),
            "grades": list(self.grades),
            "owners": list(self.owners),
            "categories": list(self.categories),
            "allowed_regions": list(self.allowed_regions),
        }
