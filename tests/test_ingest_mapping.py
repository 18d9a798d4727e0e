"""Mapping files: the shipped examples load, a mapping saves and loads back unchanged, a
bad mapping says which key is wrong, lookups resolve from the data file's folder."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.ingest import Lookup, Mapping, MappingError, load_mapping, prepare, save_mapping

MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"


@pytest.mark.parametrize("name", ["maven-crm", "salesforce-opportunity", "salesforce-history"])
def test_every_shipped_mapping_loads_and_survives_a_save_and_load(name, tmp_path):
    m = load_mapping(MAPPINGS / f"{name}.toml")
    assert m.name == name and m.columns and m.stages
    again = load_mapping(save_mapping(m, tmp_path / "mappings"))
    assert (again.name, again.columns, again.stages, again.constants, again.lookups) == (
        m.name, m.columns, m.stages, m.constants, m.lookups
    )


text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@given(st.dictionaries(text, st.sampled_from(["project_id", "stage", "owner", "expected_amount", ""]), max_size=6),
       st.dictionaries(text, st.sampled_from(["development", "tender", "won", "lost"]), max_size=6))
def test_any_mapping_written_as_toml_reads_back_the_same(columns, stages):
    import tomllib

    from dashboard.ingest.mapping import parse_mapping

    m = Mapping(name="客户CRM \"导出\"", columns=columns, stages=stages, constants={"date_order": "DMY"})
    back = parse_mapping(tomllib.loads(m.to_toml()))
    assert (back.name, back.columns, back.stages, back.constants) == (m.name, columns, stages, m.constants)


def test_a_saved_mappings_file_name_is_made_safe_from_its_name(tmp_path):
    path = save_mapping(Mapping(name="../../etc/evil name"), tmp_path)
    assert path.parent == tmp_path and path.name == "etc-evil-name.toml"


def test_a_mapping_that_does_not_validate_is_not_saved(tmp_path):
    with pytest.raises(MappingError, match="not a canonical field"):
        save_mapping(Mapping(name="bad", columns={"X": "nonsense"}), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_mapping_naming_an_unknown_field_or_stage_says_which_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\n"Deal" = "deal_size"\n', encoding="utf-8")
    with pytest.raises(MappingError, match="'Deal' = 'deal_size'"):
        load_mapping(bad)
    bad.write_text('[stages]\n"Won" = "champagne"\n', encoding="utf-8")
    with pytest.raises(MappingError, match="champagne"):
        load_mapping(bad)
    bad.write_text('[constants]\ndate_order = "YMD"\n', encoding="utf-8")
    with pytest.raises(MappingError, match="date_order"):
        load_mapping(bad)


def test_a_mapping_renames_columns_maps_crm_stages_and_fills_region_from_a_lookup_file(tmp_path):
    (tmp_path / "teams.csv").write_text("agent,office\n张伟,华东\n", encoding="utf-8")
    m = Mapping(
        name="x",
        columns={"Deal": "project_id", "Phase": "stage", "Rep": "owner", "Value": "expected_amount"},
        stages={"Pitch": "proposal", "Signed": "won"},
        constants={"amount_unit": "万元"},
        lookups=(Lookup(field="region", file="teams.csv", key="agent", value="office", from_column="owner"),),
    )
    resolved, notes = m.resolve_lookups(tmp_path)
    assert notes == []
    data = "Deal,Phase,Rep,Value\nD1,Pitch,张伟,12\nD2,Signed,李娜,3\n".encode()
    p = prepare("crm.csv", data, as_of=date(2026, 1, 5), mapping=resolved)
    assert p.ok, p.messages()
    assert p.projects.select("stage", "status", "owner", "region").rows() == [
        ("proposal", "open", "张伟", "华东"), ("delivery", "won", "李娜", None)
    ]
    assert [str(a) for a in p.projects["expected_amount"]] == ["120000.00", "30000.00"]
    assert any(w.code == "lookup_missing" for w in p.report.warnings)
    _, notes = m.resolve_lookups(tmp_path / "nowhere")
    assert "region stays empty" in notes[0]
