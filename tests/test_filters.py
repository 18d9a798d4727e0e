"""The sidebar's state as plain data: URL/widget values -> FilterState -> queries.Filters."""

from datetime import date

from dashboard import filters
from dashboard.filters import FilterState

SNAPS = [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
OPTIONS = {"region": ["华东", "华北"], "grade": ["A", "B", "C", "D"], "owner": ["张伟"], "category": ["工程"],
           "product_line": ["智慧园区"]}


def test_url_values_become_a_filter_state_with_unknown_values_dropped():
    state = filters.from_values(
        {"as_of": "2026-11-16", "region": ["华东", "火星"], "grade": "A", "owner": [], "lang": "en", "unit": "yuan"},
        snapshots=SNAPS,
        options=OPTIONS,
    )
    assert state == FilterState(as_of=date(2026, 11, 16), selected=(("region", ("华东",)), ("grade", ("A",))),
                                lang="en", unit="yuan")


def test_a_snapshot_that_no_longer_exists_falls_back_to_the_latest():
    state = filters.from_values({"as_of": "2026-01-01"}, snapshots=SNAPS, options=OPTIONS)
    assert state.as_of is None
    assert filters.effective_as_of(SNAPS, state.as_of) == date(2026, 11, 23)


def test_garbage_in_the_url_never_raises():
    state = filters.from_values({"as_of": "'; drop table x; --", "lang": "fr", "unit": 3, "region": [None, ""]})
    assert state == FilterState()


def test_duplicates_are_removed_and_order_is_kept():
    assert filters.known_only(["B", "A", "B"], ["A", "B"]) == ("B", "A")


def test_allowed_regions_come_from_the_caller_not_from_the_user():
    state = FilterState(selected=(("region", ("华东",)),))
    f = state.to_filters(since=date(2026, 11, 16), allowed_regions=["华北"])
    assert f.values("region") == ("华东",) and f.allowed_regions == ("华北",) and f.since == date(2026, 11, 16)
    assert state.to_filters(allowed_regions=None).allowed_regions is None  # no scope given: stays unset (refused)


def test_the_comparison_snapshot_is_the_one_before_the_chosen_one():
    assert filters.previous_snapshot(SNAPS, None) == date(2026, 11, 16)
    assert filters.previous_snapshot(SNAPS, date(2026, 11, 16)) == date(2026, 11, 9)
    assert filters.previous_snapshot(SNAPS, date(2026, 11, 9)) is None
    assert filters.previous_snapshot([], None) is None


def test_query_params_leave_defaults_out_and_round_trip():
    state = FilterState(as_of=date(2026, 11, 16), selected=(("region", ("华东", "华北")),), lang="en")
    params = state.query_params()
    assert params == {"as_of": "2026-11-16", "region": ["华东", "华北"], "lang": "en"}
    assert filters.from_values(params, snapshots=SNAPS, options=OPTIONS) == state
    assert FilterState().query_params() == {}


def test_every_dimension_of_the_registry_is_a_url_parameter_and_a_filter():
    # product_line (an optional dimension) travels like the others: URL -> state -> Filters -> $filters
    params = {"region": ["华东"], "product_line": ["智慧园区", "不存在"], "category": "工程"}
    state = filters.from_values(params, snapshots=SNAPS, options=OPTIONS)
    assert state.values("product_line") == ("智慧园区",) and state.values("category") == ("工程",)
    assert state.query_params() == {"region": ["华东"], "category": ["工程"], "product_line": ["智慧园区"]}
    bound = state.to_filters(allowed_regions=["*"]).params()["filters"]
    assert bound == {"region": ["华东"], "grade": [], "owner": [], "category": ["工程"], "product_line": ["智慧园区"]}


def test_filters_refuse_an_unknown_dimension_and_a_bare_string():
    import pytest

    from queries import Filters

    with pytest.raises(TypeError, match="unknown filter dimension"):
        Filters(regions=("华东",))  # the plural is not a dimension key: never silently ignored
    with pytest.raises(TypeError, match="sequence of values"):
        Filters(region="华东")
    assert Filters(region=("华东",), grade=()) == Filters(region=["华东"])  # empty = no filter, compares equal
    assert Filters(region=("华东",)).narrowed(region=(), owner=("张伟",)).selected == (("owner", ("张伟",)),)


def test_a_project_id_from_the_url_is_trimmed_and_bounded():
    assert filters.project_id_from(["  KA-1 "]) == "KA-1"
    assert filters.project_id_from([]) is None
    assert len(filters.project_id_from("x" * 1000)) == 200


def test_filters_module_does_not_import_streamlit():
    import subprocess
    import sys

    code = "import sys, dashboard.filters, dashboard.i18n, dashboard.charts, dashboard.downloads; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_link_may_name_the_language_by_code_or_by_name_in_any_case():
    for value in ("en", "EN", " English ", ["english"]):
        assert filters.lang_from(value) == "en", value
        assert filters.from_values({"lang": value}).lang == "en"
    for value in ("zh", "ZH", "中文", "zh-CN", "cn"):
        assert filters.lang_from(value) == "zh", value
    assert filters.lang_from("fr") is None and filters.lang_from(None) is None and filters.lang_from([]) is None
    assert filters.from_values({"lang": "fr"}).lang == filters.DEFAULT_LANG
