"""Stages are read by their role, never by position or code (issue 11, item 1).

The demo seeds are imported three times through the real importer, each under its own
domain.toml: the shipped six stages; the same with two stage codes renamed (tender ->
tendering, which has role 'bid'; delivery -> in_delivery, role 'won'); and seven stages, with a
'screening' nobody reaches inserted after the first stage (so every later stage, the
approval, the bid and the won one among them, moves one position). The key analyses must give the same answers: identical ones for the
renamed stages (once the codes are mapped back), and for the seven stages the same
numbers for every other stage (a stage nobody reaches is passed by whoever goes further,
so only the rows of that stage itself, and its "skipped" flags, are new).
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest

import queries
from dashboard import config, demo, store
from queries import ALL_REGIONS, Filters

RENAMED = {"tender": "tendering", "delivery": "in_delivery"}
EXTRA = "screening"


def _renamed_config(text: str) -> str:
    for old, new in RENAMED.items():
        text = text.replace(f'code = "{old}"', f'code = "{new}"')
        text = re.sub(rf'= "{old}"$', f'= "{new}"', text, flags=re.M)  # stage_names values
        text = text.replace(f'"stage_date.{old}"', f'"stage_date.{new}"')
        text = re.sub(rf"^{old} = ", f"{new} = ", text, flags=re.M)  # age limits per stage
        text = text.replace(f'"{old}"]', f'"{new}"]').replace(f'["{old}",', f'["{new}",')  # [forecast] lists
    return text


def _seven_stage_config(text: str) -> str:
    block = (f'[[stages]]\ncode = "{EXTRA}"\nzh = "筛选评估"\nen = "Screening"\n\n'
             '[[stages]]\ncode = "approval"\n')
    assert text.count('[[stages]]\ncode = "approval"\n') == 1
    text = text.replace('[[stages]]\ncode = "approval"\n', block)
    return text.replace("\ntender = 45\n", f"\ntender = 45\n{EXTRA} = 30\n", 1)


@contextmanager
def _domain(path: Path | None):
    before = os.environ.get("PIPELINE_CONFIG")
    if path is None:
        os.environ.pop("PIPELINE_CONFIG", None)
    else:
        os.environ["PIPELINE_CONFIG"] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PIPELINE_CONFIG", None)
        else:
            os.environ["PIPELINE_CONFIG"] = before


def _analyses(db: Path, cfg_path: Path | None) -> dict[str, pl.DataFrame]:
    """The key analyses at the newest snapshot, compared with the one before (and the
    forecast's back-test over every snapshot), under the configuration at ``cfg_path``."""
    with _domain(cfg_path):
        con = store.connect_read_only(db)
        try:
            dates = queries.list_snapshots(con, Filters(allowed_regions=ALL_REGIONS))["as_of"].sort().to_list()
            f = Filters(as_of=dates[-1], since=dates[-2], allowed_regions=ALL_REGIONS)
            out = {name: queries.run(con, name, f) for name in (
                "projects", "funnel", "win_rate", "aging", "aging_summary", "stage_durations", "margin",
                "margin_summary", "changes", "changes_summary", "process_exceptions", "win_probabilities",
                "forecast", "forecast_projects", "backtest", "slips", "owners")}
            out["funnel_by_region"] = queries.run(con, "funnel", f, by="region")
            out["events"] = pl.concat([
                queries.run(con, "project_events", f, project_id=pid).with_columns(project_id=pl.lit(pid))
                for pid in out["projects"]["project_id"].head(40)
            ])
            return out
        finally:
            con.close()


@pytest.fixture(scope="module")
def three_ways(tmp_path_factory) -> dict[str, dict[str, pl.DataFrame]]:
    tmp = tmp_path_factory.mktemp("stage_config")
    text = config.DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    paths = {"shipped": None, "renamed": tmp / "renamed.toml", "seven": tmp / "seven.toml"}
    paths["renamed"].write_text(_renamed_config(text), encoding="utf-8")
    paths["seven"].write_text(_seven_stage_config(text), encoding="utf-8")
    out = {}
    for name, cfg_path in paths.items():
        db = tmp / f"{name}.duckdb"
        with _domain(cfg_path):
            assert len(config.get_config().stages) == (7 if name == "seven" else 6)
            demo.load_seeds(db)  # the real importer (child processes inherit the variable)
        out[name] = _analyses(db, cfg_path)
    return out


def _back(df: pl.DataFrame) -> pl.DataFrame:
    """The renamed codes mapped back, wherever a stage code or a detail text names one."""
    out = df
    for old, new in RENAMED.items():
        out = out.with_columns(
            pl.col(c).str.replace_all(rf"\b{new}\b", old) for c, t in out.schema.items() if t == pl.String
        )
    return out


def test_the_configurations_hold_what_the_test_means():
    text = config.DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    renamed = config.parse_config(__import__("tomllib").loads(_renamed_config(text)), Path("renamed.toml"))
    assert renamed.role_stage("bid").code == "tendering" and renamed.role_stage("won").code == "in_delivery"
    assert renamed.forecast.best_case_stages == ("tendering", "negotiation")
    assert renamed.stage_names[config.normalize("招投标")] == "tendering"
    seven = config.parse_config(__import__("tomllib").loads(_seven_stage_config(text)), Path("seven.toml"))
    assert [s.code for s in seven.stages][:3] == ["development", EXTRA, "approval"]
    assert seven.stage_order("delivery") == 7 and seven.role_stage("won").code == "delivery"


def test_renamed_stages_give_identical_answers(three_ways):
    shipped, renamed = three_ways["shipped"], three_ways["renamed"]
    for name, df in shipped.items():
        assert df.height > 0 or name in ("slips",), f"{name}: the seeds must exercise it"
        assert _back(renamed[name]).equals(df), name


def test_a_seventh_stage_nobody_reaches_leaves_every_other_stage_unchanged(three_ways):
    shipped, seven = three_ways["shipped"], three_ways["seven"]
    # the analyses without a row per stage: identical
    for name in ("projects", "win_rate", "aging", "margin", "margin_summary", "changes", "changes_summary",
                 "forecast", "forecast_projects", "backtest", "slips", "owners"):
        assert seven[name].equals(shipped[name]), name
    # per stage: the other stages' rows identical but for their position
    for name in ("funnel", "funnel_by_region", "aging_summary", "stage_durations", "win_probabilities"):
        got = seven[name].filter(pl.col("stage") != EXTRA).drop("stage_order", strict=False)
        assert got.equals(shipped[name].drop("stage_order", strict=False)), name
    funnel = seven["funnel"].to_dicts()
    at = {r["stage"]: r for r in funnel}
    x = at[EXTRA]
    # passed by everyone who went further: reached as the approval, nobody here
    assert x["reached"] == at["approval"]["reached"] > 0
    assert x["n_open_here"] == x["n_won_here"] == x["n_lost_here"] == x["n_dropped_here"] == 0
    assert x["step_conversion"] == 1.0
    assert [r["stage_order"] for r in funnel] == list(range(1, 8))
    # its flags: only "skipped" rows of the new stage are new
    new = seven["process_exceptions"]
    assert new.filter(pl.col("stage") != EXTRA).equals(shipped["process_exceptions"])
    assert set(new.filter(pl.col("stage") == EXTRA)["exception"]) == {"skipped_stage"}
    assert set(seven["aging"]["stage"]) <= set(shipped["aging"]["stage"])
    # the stage entries: the same entries, only the stage positions (and skips across it) move
    keep = ["project_id", "seq", "stage", "entered_on", "left_on", "source", "prev_stage", "is_fall_back",
            "is_date_out_of_order"]
    assert seven["events"].select(keep).equals(shipped["events"].select(keep))


def test_a_config_without_a_role_or_with_won_not_last_is_refused():
    text = config.DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    import tomllib

    no_bid = tomllib.loads(text.replace('role = "bid"\n', ""))
    with pytest.raises(ValueError, match="role = 'bid'"):
        config.parse_config(no_bid, Path("x.toml"))
    twice = tomllib.loads(text.replace('role = "approval"\n', 'role = "bid"\n'))
    with pytest.raises(ValueError, match="role = 'approval'"):
        config.parse_config(twice, Path("x.toml"))
    won_early = tomllib.loads(text.replace('role = "won"\n', "").replace('code = "negotiation"\n',
                                                                          'code = "negotiation"\nrole = "won"\n'))
    with pytest.raises(ValueError, match="'won' last"):
        config.parse_config(won_early, Path("x.toml"))
    unknown = tomllib.loads(text.replace('code = "proposal"\n', 'code = "proposal"\nrole = "pitch"\n'))
    with pytest.raises(ValueError, match="unknown stage roles"):
        config.parse_config(unknown, Path("x.toml"))


def test_the_sql_names_no_stage_by_code_or_position():
    """The shipped stage codes and stage_order literals appear in no query (roles instead)."""
    from queries.runner import SQL_DIR

    codes = config.get_config().stage_codes
    for path in [*SQL_DIR.glob("*.sql"), *SQL_DIR.glob("*/*.sql")]:
        body = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                         if not line.lstrip().startswith("--"))
        body = re.sub(r"role = '\w+'", "", body)  # a role's name may equal a code (approval)
        for code in codes:
            assert f"'{code}'" not in body and f"entered_{code}" not in body, (path.name, code)
        assert not re.search(r"stage_order\s*[=<>]+\s*\d|\d\s*[=<>]+\s*stage_order", body), path.name
        assert not re.search(r"_order\s*[<>=]+\s*[1-9]\b", body), path.name
