"""The filter / segment dimensions: the one Python list of them (no database, no UI).

A *dimension* is a column of every project row that a user can filter on (the sidebar, the
URL, ``dashboard query --region …``) and segment by (``--by``): region, customer grade,
owner, category and, when the export has it, product line. Everything that offers,
carries or binds filters reads :data:`DIMENSIONS`:

* ``queries.Filters`` takes one keyword per dimension key (``Filters(region=("华东",))``) and
  binds them as one ``$filters`` struct (a ``varchar[]`` per key; empty = no filter);
* ``queries/macros/dimensions.sql`` is the only SQL naming the columns (``in_scope``,
  ``segment_of``; the filter options read every dimension through ``segment_of``);
* ``dashboard/filters.py`` (the URL and the sidebar's state), ``dashboard/sidebar.py`` (one
  multiselect each), ``dashboard/cli.py`` (``--<key>`` options, ``--by`` choices) loop over it;
* the ingest reads the column from the export's header aliases in ``dashboard/domain.toml``
  (``[headers]``, the key's own entry) — optional dimensions may be absent from a file.

Adding a dimension (docs/ARCHITECTURE.md "How to add a filter dimension"): an entry here, a
line in each macro of ``dimensions.sql``, the column in the stored and derived tables (a
migration, ``stg_projects``, ``facts_date``, ``snapshot_pairs_computed``), its header
aliases, and its label in ``dashboard/i18n.py``.
Must not import streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dimension:
    key: str  # the column, the $filters field, the URL parameter, the CLI option, the --by value, the i18n key
    optional: bool = False  # exports may lack it: the sidebar hides it while no project has a value


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("region"),
    Dimension("grade"),
    Dimension("owner"),
    Dimension("category"),
    Dimension("product_line", optional=True),
)
KEYS: tuple[str, ...] = tuple(d.key for d in DIMENSIONS)


def no_filters() -> dict[str, list[str]]:
    """The ``$filters`` struct that filters nothing (every key present, every list empty)."""
    return {key: [] for key in KEYS}
