"""Value parsers hold under property-based tests: format a value every supported way,
parse it back, get the value. Pure functions (dashboard/ingest/values.py), no files."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.ingest import values as V

settings.register_profile("ingest", max_examples=60, deadline=None)
settings.load_profile("ingest")

amounts = st.decimals(
    min_value=Decimal("-9999999999999.99"), max_value=Decimal("9999999999999.99"), places=2, allow_nan=False
)
dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31))
ratios = st.integers(min_value=-10000, max_value=10000).map(lambda n: n / 10000)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(amounts)
def test_an_amount_written_plain_with_separators_or_full_width_reads_back_exactly(d):
    for text in (str(d), f"{d:,}", f"¥{d:,}", f" {d} 元", _full_width(f"{d:,}"), f'"{d:,}"'.strip('"')):
        assert V.parse_amount(text) == d, text


@given(amounts)
def test_an_amount_in_wan_or_yi_is_stored_in_yuan(d):
    assert V.parse_amount(str(d.scaleb(-4)), "万元") == d
    assert V.parse_amount(f"{d.scaleb(-4)}万") == d
    assert V.parse_amount(str(d.scaleb(-8)), "亿") == d


@given(ratios)
def test_a_margin_reads_back_as_a_ratio_from_ratio_or_percent_text(r):
    assert V.parse_margin(str(r)) == pytest.approx(r)
    assert V.parse_margin(f"{r * 100:.2f}%") == pytest.approx(r)
    assert V.parse_margin(f"{r * 100:.2f}", percent=True) == pytest.approx(r)


@given(st.lists(ratios, min_size=1, max_size=20))
def test_a_column_of_percent_numbers_under_a_percent_header_is_read_as_percentages(rs):
    col = V.parse_margins(pl.Series([f"{r * 100:.2f}" for r in rs]), "%")
    assert not col.bad.any() and not col.ambiguous.any()
    assert col.values.to_list() == pytest.approx(rs)


def test_plain_margins_above_one_are_percent_and_in_such_a_column_one_up_to_1_is_ambiguous():
    col = V.parse_margins(pl.Series(["23", "18", "1", "35", "0.5", "0", "23%"]))
    assert col.ambiguous.to_list() == [False, False, True, False, True, False, False]
    assert col.values.to_list() == pytest.approx([0.23, 0.18, None, 0.35, None, 0.0, 0.23], nan_ok=True)
    ratios_only = V.parse_margins(pl.Series(["0.15", "1", "23%", "-0.05"]))
    assert not ratios_only.ambiguous.any()
    assert ratios_only.values.to_list() == pytest.approx([0.15, 1.0, 0.23, -0.05])
    assert not V.parse_margins(pl.Series(["23", "1"]), "%").ambiguous.any()


@given(amounts)
def test_an_accounting_negative_and_the_full_width_yen_sign_read_as_written(d):
    assert V.parse_amount(f"({abs(d):,})") == -abs(d)
    assert V.parse_amount(f"（{abs(d):,}）") == -abs(d)
    assert V.parse_amount(f"￥{d:,}") == d
    assert V.parse_amount(f"−{abs(d)}") == -abs(d)  # U+2212 MINUS SIGN


@given(amounts)
def test_an_amount_written_the_european_way_reads_back_under_a_decimal_comma(d):
    us = f"{d:,}"
    eu = us.replace(",", "_").replace(".", ",").replace("_", ".")
    values, bad = V.parse_amounts(pl.Series([eu]), None, ",")
    assert not bad[0] and values[0] == d


def test_which_separator_is_the_decimal_one_is_told_only_by_cells_that_allow_one_reading():
    style = V.number_style(pl.Series(["1.234,50", "88,00", "1.234", None]))
    assert (style.point, style.comma, style.ambiguous, style.decided) == (0, 2, 1, ",")
    style = V.number_style(pl.Series(["1,234", "2,000", "12"]))
    assert (style.decided, style.ambiguous) == (None, 2)
    assert V.number_style(pl.Series(["1,234.5", "88,00"])).conflicting
    assert V.number_style(pl.Series(["1200.5", "3"])).decided == "."  # a workbook's number cell
    # an ambiguous cell is read under the column's separator, or refused when not allowed
    values, bad = V.parse_amounts(pl.Series(["1.234", "1,234"]), None, ",", ambiguous_ok=False)
    assert bad.to_list() == [True, True]
    assert V.parse_amounts(pl.Series(["1.234"]), None, ",")[0][0] == Decimal("1234")


def test_ids_are_folded_with_nfkc_and_lose_invisible_characters_but_keep_their_case():
    got = V.fold_ids(pl.Series(["ＨＸ－２０２６－００１", "HX-2026-001\u200b", "\u202eab", "sf0061a", " ", None]))
    assert got.to_list() == ["HX-2026-001", "HX-2026-001", "ab", "sf0061a", None, None]


def test_text_loses_bidi_controls_and_keeps_everything_else():
    got = V.clean_text(pl.Series(["\u202e华东\u202c", "a\u2066b\u2069", "Ａ"]))
    assert got.to_list() == ["华东", "ab", "Ａ"]


def test_a_margin_above_100_percent_is_refused():
    with pytest.raises(ValueError):
        V.parse_margin("130%")


def _date_texts(d: date) -> list[str]:
    return [
        d.isoformat(),
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}.{d.month:02d}.{d.day:02d}",
        f"{d.year}年{d.month}月{d.day}日",
        d.strftime("%Y%m%d"),
        f"{d.isoformat()} 17:16:45",
        datetime(d.year, d.month, d.day, 9, 30).isoformat(),
        str((d - date(1899, 12, 30)).days),  # an Excel serial
        _full_width(d.isoformat()),
    ]


@given(dates)
def test_a_date_written_in_any_supported_way_reads_back(d):
    for text in _date_texts(d):
        assert V.parse_date(text) == d, text
    assert V.parse_date(f"{d.month}/{d.day}/{d.year}", "MDY") == d
    assert V.parse_date(f"{d.day}/{d.month}/{d.year}", "DMY") == d


@given(st.lists(dates, min_size=1, max_size=30))
def test_the_day_month_order_is_decided_from_the_values_of_the_whole_column(ds):
    ds = [*ds, date(2026, 3, 25)]  # a day above 12 tells the order
    mdy = V.parse_dates(pl.Series([f"{d.month}/{d.day}/{d.year}" for d in ds]))
    dmy = V.parse_dates(pl.Series([f"{d.day}/{d.month}/{d.year}" for d in ds]))
    assert (mdy.order, mdy.values.to_list()) == ("MDY", ds)
    assert (dmy.order, dmy.values.to_list()) == ("DMY", ds)


def test_a_column_whose_day_month_order_cannot_be_told_is_ambiguous_never_silently_dmy():
    col = V.parse_dates(pl.Series(["3/5/2026", "4/6/2026", "12/11/2026"]))
    assert col.ambiguous and col.order is None
    assert col.values.null_count() == 3
    with pytest.raises(ValueError, match="ambiguous"):
        V.parse_date("3/5/2026")


def test_a_column_mixing_month_first_and_day_first_dates_is_conflicting():
    col = V.parse_dates(pl.Series(["13/5/2026", "5/13/2026"]))
    assert col.conflicting


@given(st.sampled_from("ABCD"), st.sampled_from(["", "级", "类", " 级", "级客户", "类客户"]), st.booleans(), st.booleans())
def test_a_grade_with_suffix_case_or_full_width_reads_as_the_letter(g, suffix, lower, wide):
    text = (g.lower() if lower else g) + suffix
    if wide:
        text = _full_width(text)
    assert V.parse_grade(text) == g


def test_an_unknown_grade_or_impossible_date_is_marked_bad_not_guessed():
    _, bad = V.parse_grades(pl.Series(["E级", "A", None]), ("A", "B", "C", "D"))
    assert bad.to_list() == [True, False, False]
    for text in ("2026-02-30", "2026-13-01", "yesterday", "3/5/26"):
        with pytest.raises(ValueError):
            V.parse_date(text)


def test_the_unit_comes_from_the_header_in_half_or_full_width_brackets():
    assert V.split_header_unit("预计签约金额（万元）") == ("预计签约金额", "万元")
    assert V.split_header_unit("合同金额 (元)") == ("合同金额", "元")
    assert V.split_header_unit("投标金额(亿)") == ("投标金额", "亿")
    assert V.split_header_unit("毛利率(%)") == ("毛利率", "%")
    assert V.split_header_unit("阶段(旧)") == ("阶段(旧)", None)


def test_a_date_is_found_in_a_title_row_or_a_file_name():
    assert V.find_date_in_text("大客户项目台账（截至2026年11月23日）") == date(2026, 11, 23)
    assert V.find_date_in_text("pipeline_20261123") == date(2026, 11, 23)
    assert V.find_date_in_text("周报-2026-11-2") == date(2026, 11, 2)
    assert V.find_date_in_text("台账 v3") is None


def test_excel_serials_count_from_1899_12_30():
    assert V.parse_date("45991") == date(1899, 12, 30) + timedelta(days=45991)
