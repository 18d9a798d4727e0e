"""The UI's words and numbers: zh/en strings, stage names, amounts in 元/万元 (no Streamlit)."""

from datetime import date

import polars as pl

from dashboard import i18n
from queries import checks


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
    assert i18n.fmt_amount(-7_441_000, "en", "wan", signed=True) == "-¥7.44M"
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
    # a change too small for the unit reads as no change, never "+0.0" or "-0.0"
    assert i18n.fmt_amount(400, "zh", "wan", signed=True) == "±0.0 万元"
    assert i18n.fmt_amount(-400, "zh", "wan", signed=True) == "±0.0 万元"
    assert i18n.fmt_amount(-0.4, "en", "yuan", signed=True) == "±¥0"
    assert i18n.fmt_amount(-400, "zh", "wan") == "0.0 万元"  # not a change: no sign at all
    assert i18n.fmt_amount(600, "zh", "wan", signed=True) == "+0.1 万元"


def test_a_zero_delta_is_grey_without_an_arrow():
    from dashboard.app_pages import _ui

    assert _ui.metric_delta("±0", True, inverse=True) == {"delta": "±0", "delta_color": "off", "delta_arrow": "off"}
    assert _ui.metric_delta("+1", False, inverse=True) == {"delta": "+1", "delta_color": "inverse"}
    assert _ui.metric_delta(None, False) == {"delta": None}
    grey = {"delta_color": "off", "delta_arrow": "off"}
    # without ``zero``: what the reader sees decides — every figure that shows as 0 is grey
    for shown in ("±0", "±0.0 pp", "±0.0 个百分点", "±0.0 万元", "+0.0 万元", "-¥0.00M", "±¥0"):
        assert _ui.metric_delta(shown) == {"delta": shown, **grey}, shown
    for moved in ("+0.1 万元", "-1", "+0.4 pp", "-¥7.44M", "+10"):
        assert _ui.metric_delta(moved)["delta_color"] == "normal", moved


def test_every_check_detail_is_built_in_both_languages_from_the_same_row():
    df = pl.DataFrame(
        {
            "check": ["negative_margin", "below_floor", "eroded", "bid_below_floor", "missing_estimate", "high_expense_ratio"],
            "value": [-0.05, 0.118, 5.04, -0.05, None, 0.004085],
            "threshold": [0.0, 0.12, 5.0, 0.15, None, 0.003998],
            "reference": [None, None, 0.30, None, None, 0.002],
            "reference_on": [None, None, date(2026, 3, 2), None, None, None],
            "margin": [-0.05, 0.118, 0.2496, 0.2, None, 0.3],
        }
    )
    out = checks.with_detail(df)
    assert out.columns[:5] == ["check", "value", "threshold", "detail", "detail_zh"]
    assert out["detail_zh"][2] == "毛利率由 2026-03-02 的 30.0% 降至 25.0%：下降 5.0 个百分点（阈值 5.0）"
    assert out["detail"][2] == "margin 30.0% on 2026-03-02 -> 25.0% now: 5.0 points lost (limit 5.0)"
    for lang, column in (("zh", "detail_zh"), ("en", "detail")):
        texts = i18n.check_details(out, lang).to_list()
        assert texts == out[column].to_list() and all(texts), (lang, texts)  # none empty, none None
        assert not any("{" in t or "None" in t for t in texts), texts


def test_flag_details_name_stages_by_their_names_not_codes_in_both_languages():
    for lang in ("zh", "en"):
        for exception in ("skipped_stage", "fell_back", "out_of_order_dates", "contract_without_tender",
                          "first_seen_mid_funnel", "same_day_moves"):
            text = i18n.exception_detail(exception, "delivery", lang, "negotiation -> delivery")
            assert text and "delivery" not in text and "negotiation" not in text, (lang, exception, text)
        stalled = i18n.stalled_detail(508.0, "delivery", 180.0, lang)
        assert "508" in stalled and "180" in stalled and i18n.stage_label("delivery", lang) in stalled
        # the margin checks' details (the runner's English, the registry's templates) name no stage code
        built = checks.with_detail(pl.DataFrame(
            {"check": ["missing_estimate"], "value": [None], "threshold": [None], "reference": [None],
             "reference_on": [None], "margin": [None]},
            schema={"check": pl.String, "value": pl.Float64, "threshold": pl.Float64, "reference": pl.Float64,
                    "reference_on": pl.Date, "margin": pl.Float64}))
        text = i18n.check_details(built, lang)[0]
        assert text and "proposal" not in text and "delivery" not in text, text


def test_importer_fields_have_names_in_both_languages():
    from dashboard.config import get_config

    for lang in ("zh", "en"):
        for field in get_config().headers:
            label = i18n.field_label(field, lang)
            assert label and label != field and "_" not in label and "stage_date" not in label, (lang, field, label)
    assert i18n.field_label("stage_date.tender", "zh") == "招投标日期"
    assert i18n.how_label("alias", "en") == "Known header"


def test_english_shows_amounts_in_yuan_millions_where_chinese_keeps_wan():
    # the same switch position (URL value 万元): 万元 in Chinese, ¥ millions in English
    assert i18n.fmt_amount(1_744_090_000, "zh", "wan") == "174,409 万元"
    assert i18n.fmt_amount(1_744_090_000, "en", "wan") == "¥1,744.1M"
    assert i18n.fmt_amount(171_450_000, "en", "wan") == "¥171.5M"
    assert i18n.fmt_amount(2_645_000, "en", "wan") == "¥2.65M"  # a project: two decimals under ¥100M
    assert i18n.unit_divisor("wan", "en") == 1_000_000 and i18n.unit_divisor("wan", "zh") == 10_000
    assert i18n.unit_divisor("yuan", "en") == i18n.unit_divisor("yuan", "zh") == 1
    assert i18n.unit_suffix("wan", "en") == "¥M" and i18n.unit_suffix("yuan", "en") == "¥"
    assert i18n.unit_suffix("wan", "zh") == "万元" and i18n.unit_suffix("yuan", "zh") == "元"
    for unit in i18n.UNITS:
        text = i18n.fmt_amount(123_456, "en", unit)
        assert "万" not in text and "×10k" not in text and "万" not in i18n.unit_suffix(unit, "en")


def test_every_query_names_its_analysis_in_both_languages():
    import queries

    for name in queries.QUERY_NAMES:
        en, zh = i18n.analysis_label(name, "en"), i18n.analysis_label(name, "zh")
        assert en != name and zh != name and en != zh, name
    assert i18n.t("query_failed", "en", what=i18n.analysis_label("changes", "en")).startswith(
        "Could not compute “What changed this week”")


def test_card_labels_say_the_same_in_both_languages():
    # 本周赢单 is "won this week", not "won" (ever); the cards are read side by side in a meeting
    assert i18n.t("kpi_won", "en") == "Won this week" and i18n.t("kpi_won", "zh") == "本周赢单"
    assert i18n.t("kpi_lost", "en") == "Lost/dropped this week" and i18n.t("kpi_lost", "zh") == "本周丢单/放弃"
    assert i18n.t("kpi_stalled", "en") == "Stalled projects" and i18n.t("kpi_stalled", "zh") == "停滞项目"
    for key in ("kpi_open_amount", "kpi_open_count", "kpi_won", "kpi_lost", "kpi_win_rate", "kpi_stalled",
                "kpi_margin_alerts", "kpi_in_progress"):
        en, zh = i18n.STRINGS[key]
        assert ("week" in en.lower()) == ("本周" in zh), key


def test_every_ui_string_is_used_somewhere():
    """A key of i18n.STRINGS is used when code quotes it ("key"), when it names a query's
    column (tables translate their headers by column name), or when code builds it from a
    prefix (f"fc_{…}"). A key nothing reaches is dead text: delete it."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    own = (root / "dashboard" / "i18n.py").read_text(encoding="utf-8")
    code = "\n".join(p.read_text(encoding="utf-8") for p in [*root.glob("dashboard/**/*.py"), *root.glob("queries/**/*.py")]
                     if p.name != "i18n.py")
    code += own[own.index("\ndef t("):]  # i18n's functions (not the table itself)
    sql = "\n".join(p.read_text(encoding="utf-8") for p in root.glob("queries/**/*.sql"))
    prefixes = set(re.findall(r"""f["'](\w+?)_\{""", code))
    unused = [k for k in i18n.STRINGS
              if not re.search(rf"""["']{re.escape(k)}["']""", code)
              and not re.search(rf"\b{re.escape(k)}\b", sql)
              and not any(k.startswith(p + "_") for p in prefixes)]
    assert unused == []
