"""Issue 10: deny by default, roles and region scope, the access list and the audit.

Real DuckDB files built by the real importer from seeds/ (the company's own imports, no
demo mark); the app through AppTest (the sign-in gate with `at.secrets` / `at.user`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

import queries
from dashboard import access, store
from queries import ALL_REGIONS, Filters, ScopeMissing

EVERY_QUERY = [n for n in queries.QUERY_NAMES if n not in ("project", "ui_imports")]


@pytest.fixture(scope="module")
def company_db_file(tmp_path_factory) -> Path:
    """The seed exports imported as the company's own (ten weeks, six regions)."""
    from dashboard import demo, ingest

    path = tmp_path_factory.mktemp("company") / "pipeline.duckdb"
    ingest.commit(path, demo.prepare_seeds())
    return path


@pytest.fixture
def company_db(company_db_file, tmp_path) -> Path:
    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(company_db_file, copy)
    return copy


@pytest.fixture
def cur(company_db_file):
    hub = store.ReadHub(company_db_file)
    yield hub.cursor()
    hub.close()


# --------------------------------------------------------------------------- deny by default (queries)


def test_no_scope_is_refused_never_everything(cur):
    for name in EVERY_QUERY:
        with pytest.raises(ScopeMissing):
            queries.run(cur, name, Filters())  # allowed_regions not given
        with pytest.raises(ScopeMissing):
            queries.run(cur, name, None)
    with pytest.raises(ScopeMissing):
        queries.project_detail(cur, "KA-2025-00041", Filters())


def test_an_empty_scope_is_no_region_and_all_is_explicit(cur):
    everything = queries.run(cur, "projects", Filters(allowed_regions=ALL_REGIONS))
    assert everything.get_column("region").n_unique() == 6
    for name in EVERY_QUERY:
        df = queries.run(cur, name, Filters(allowed_regions=()))
        if "reached" in df.columns:
            assert df.get_column("reached").sum() == 0, name
        elif "n_projects" in df.columns and name not in ("changes_summary",):
            assert df.get_column("n_projects").sum() == 0, name
        elif name == "changes_summary":
            assert (df.get_column("n_projects").fill_null(0) == 0).all(), name
        elif name == "win_rate":
            assert (df.get_column("n_closed").fill_null(0) == 0).all(), name
        else:
            assert df.height == 0, (name, df.head(3))
    detail = queries.project_detail(cur, "KA-2025-00041", Filters(allowed_regions=()))
    assert all(frame.height == 0 for frame in detail.values())


def test_a_region_scope_shows_that_region_only(cur):
    east = queries.run(cur, "projects", Filters(allowed_regions=("华东",)))
    assert east.height > 0 and east.get_column("region").unique().to_list() == ["华东"]
    # a forged region filter for another region does not widen it
    forged = queries.run(cur, "projects", Filters(regions=("华南",), allowed_regions=("华东",)))
    assert forged.height == 0


def test_star_mixed_with_regions_is_refused(cur):
    with pytest.raises(ValueError, match="mixes"):
        queries.run(cur, "projects", Filters(allowed_regions=("*", "华东")))


# --------------------------------------------------------------------------- deny by default (the UI's data layer)


def test_a_run_without_a_caller_reads_nothing_and_says_so(company_db, monkeypatch):
    from dashboard import data

    monkeypatch.setenv("PIPELINE_DB", str(company_db))
    lost = data.open_run(None)  # e.g. a download callable that opened its own run
    with pytest.raises(ScopeMissing):
        data.query(lost, "projects", Filters(allowed_regions=ALL_REGIONS))  # a scope in Filters is not enough
    with pytest.raises(ScopeMissing):
        data.project_detail(lost, "KA-2025-00041", Filters(allowed_regions=ALL_REGIONS))
    east = data.open_run(access.Access("east@example.com", "regional", ("华东",)))
    got = data.query(east, "projects", Filters(allowed_regions=ALL_REGIONS))  # forced to the run's scope
    assert got.get_column("region").unique().to_list() == ["华东"]
    again = data.reopen(east)  # a later thread keeps the captured caller
    assert again.access == east.access and again.cur is not east.cur


# --------------------------------------------------------------------------- matching the access list

ENTRIES = [
    ("admin@example.com", "admin", ["*"]),
    ("east@example.com", "regional", ["华东"]),
    ("group:south-sales", "regional_importer", ["华南"]),
    ("group:west-sales", "regional", ["西南", "西北"]),
    ("group:north-sales", "regional", ["华北"]),
    ("group:board", "head_office", ["*"]),
]


def test_email_wins_then_groups_and_nobody_else():
    a, _ = access.resolve(ENTRIES, "East@Example.com", ["board"])
    assert (a.who, a.role, a.regions) == ("east@example.com", "regional", ("华东",))  # the e-mail entry wins
    a, _ = access.resolve(ENTRIES, "li@example.com", ["west-sales", "north-sales"])
    assert a.role == "regional" and a.regions == ("西南", "西北", "华北")  # one role: regions united
    a, _ = access.resolve(ENTRIES, "ceo@example.com", ["board"])
    assert a.role == "head_office" and a.sees_all and not a.can_import
    a, _ = access.resolve(ENTRIES, "s@example.com", ["south-sales"])
    assert a.can_import and a.import_regions == ("华南",) and not a.is_admin


@pytest.mark.parametrize("email, groups", [
    (None, ["board"]),  # no e-mail claim
    ("", []),  # empty claim
    ("stranger@example.com", []),  # not listed
    ("stranger@example.com", ["nobody"]),
])
def test_no_identity_or_unlisted_means_no_access(email, groups):
    a, reason = access.resolve(ENTRIES, email, groups)
    assert a is None and reason


def test_groups_with_different_roles_are_ambiguous_and_give_nothing():
    a, reason = access.resolve(ENTRIES, "x@example.com", ["board", "west-sales"])
    assert a is None and "different roles" in reason


def test_entries_are_checked():
    with pytest.raises(access.AccessError):
        access.check_entry("regional", [])  # a regional role needs regions
    with pytest.raises(access.AccessError):
        access.check_entry("regional", ["*"])
    with pytest.raises(access.AccessError):
        access.check_entry("head_office", ["华东"])
    with pytest.raises(access.AccessError):
        access.check_entry("owner", ["华东"])
    with pytest.raises(access.AccessError):
        access.normalize_principal("not an address")
    assert access.check_entry("admin", []) == ALL_REGIONS
    assert access.normalize_principal(" East@Example.COM ") == "east@example.com"
    assert access.normalize_principal("group:South Sales") == "group:South Sales"
