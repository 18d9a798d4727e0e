"""The UI's words and numbers: zh/en strings, stage names, amounts in 元/万元 (no Streamlit)."""

import polars as pl

from dashboard import i18n


def test_every_ui_string_exists_in_both_languages_with_the_same_placeholders():
    import string

    for key, (en, zh) in i18n.STRINGS.items():
        assert en and zh, key
        fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
        assert fields(en) == fields(zh), key


def test_stage_names_come_from_the_domain_config():
    assert i18n.stage_label("tender", "zh") == "招投标"
    assert i18n.stage_label("tender", "en") == "Tender / bidding"
    assert i18n.stage_label("not-a-stage", "zh") == "not-a-stage"  # shown, not crashed


def test_amounts_in_wan_and_yuan_with_the_sign_first():
    assert i18n.fmt_amount(12_345_678, "zh", "wan") == "1,235 万元"
    assert i18n.fmt_amount(12_345, "zh", "wan") == "1.2 万元"
    assert i18n.fmt_amount(12_345_678, "en", "yuan") == "¥12,345,678"
    assert i18n.fmt_amount(-7_441_000, "en", "wan", signed=True) == "-¥744.1 ×10k"
    assert i18n.fmt_amount(5_000, "zh", "yuan", signed=True) == "+5,000 元"
    assert i18n.fmt_amount(None, "zh", "wan") == "–"


def test_percentages_and_points():
    assert i18n.fmt_pct(0.2345) == "23.4%" or i18n.fmt_pct(0.2345) == "23.5%"
    assert i18n.fmt_points(0.004, "zh") == "+0.4 个百分点"
    assert i18n.fmt_points(-0.004, "en") == "-0.4 pp"


def test_no_change_reads_plus_minus_zero_not_plus_zero():
    assert i18n.fmt_delta_int(0) == "±0" and i18n.fmt_delta_int(3) == "+3" and i18n.fmt_delta_int(-1) == "-1"
    assert i18n.fmt_points(0.0, "en") == "±0.0 pp" and i18n.fmt_points(1e-17, "zh") == "±0.0 个百分点"
    assert i18n.fmt_amount(0, "zh", "wan", signed=True) == "±0.0 万元"


def test_a_zero_delta_is_grey_without_an_arrow():
    from dashboard.app_pages import _ui

    assert _ui.metric_delta("±0", True, inverse=True) == {"delta": "±0", "delta_color": "off", "delta_arrow": "off"}
    assert _ui.metric_delta("+1", False, inverse=True) == {"delta": "+1", "delta_color": "inverse"}
    assert _ui.metric_delta(None, False) == {"delta": None}


def test_the_vectorised_check_detail_says_the_same_as_the_scalar_one():
    df = pl.DataFrame(
        {
            "check": ["negative_margin", "below_floor", "eroded", "bid_below_floor", "missing_estimate", "high_expense_ratio", "other"],
            "value": [-0.05, 0.118, 5.04, -0.05, None, 0.004085, 1.0],
            "threshold": [0.0, 0.12, 5.0, 0.15, None, 0.003998, None],
            "detail": ["a", "b", "c", "d", "e", "f", "g"],
        }
    )
    for lang in ("zh", "en"):
        vectorised = df.select(i18n.check_detail_expr(lang)).to_series().to_list()
        scalar = [i18n.check_detail(r["check"], r["value"], r["threshold"], lang, r["detail"]) for r in df.iter_rows(named=True)]
        assert vectorised == scalar


def test_flag_details_name_stages_by_their_names_not_codes_in_both_languages():
    for lang in ("zh", "en"):
        for exception in ("skipped_stage", "fell_back", "out_of_order_dates", "contract_without_tender",
                          "first_seen_mid_funnel", "same_day_moves"):
            text = i18n.exception_detail(exception, "delivery", lang, "negotiation -> delivery")
            assert text and "delivery" not in text and "negotiation" not in text, (lang, exception, text)
        stalled = i18n.stalled_detail(508.0, "delivery", 180.0, lang)
        assert "508" in stalled and "180" in stalled and i18n.stage_label("delivery", lang) in stalled
        assert "proposal" not in i18n.check_detail("missing_estimate", None, None, lang, "at proposal (past approval) without …")


def test_importer_fields_have_names_in_both_languages():
    from dashboard.config import get_config

    for lang in ("zh", "en"):
        for field in get_config().headers:
            label = i18n.field_label(field, lang)
            assert label and label != field and "_" not in label and "stage_date" not in label, (lang, field, label)
    assert i18n.field_label("stage_date.tender", "zh") == "招投标日期"
    assert i18n.how_label("alias", "en") == "Known header"


def test_english_names_the_10k_unit_one_way_in_figures_headers_and_axes():
    assert i18n.fmt_amount(171_450_000, "en", "wan") == "¥17,145 ×10k"
    assert i18n.unit_suffix("wan", "en") == "¥10k" and i18n.unit_suffix("yuan", "en") == "¥"
    assert i18n.unit_suffix("wan", "zh") == "万元" and i18n.unit_suffix("yuan", "zh") == "元"
    for unit in i18n.UNITS:
        assert "万" not in i18n.fmt_amount(123_456, "en", unit) and "万" not in i18n.unit_suffix(unit, "en")
