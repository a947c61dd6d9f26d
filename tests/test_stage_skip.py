"""A night whose inputs did not change skips the derived stages (pipelines/stage_state.py): the supplier
resolution, each mart, the passed blocking checks, the extract release. Every kind of change that alters what a
stage would produce rebuilds it: a register, the staged lines (a parser-version rebuild), a held-back publication
released, a mart parameter or the reference date, the code, a tampered output, and the operator's forced rebuild.
Skipped or not, the tables hold what a full rebuild gives."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from pipelines import stage_state
from pipelines.marts.build import build_core, build_marts, content_hashes
from pipelines.marts.holds import held_back
from pipelines.marts.refresh import refresh_blocking_checks, refresh_marts
from pipelines.suppliers import build as supplier_build
from pipelines.suppliers.build import refresh_suppliers
from tests.test_marts_seed import BRISTOL, COUNCILS, seeded_staging  # noqa: F401 (the `con` fixture)

PARAMS = {"as_of": dt.date(2025, 1, 1)}
DATED_MARTS = {"contract_pipeline", "transparency_compliance"}  # the marts whose SQL binds as_of


def _supplier_tables(con) -> dict[str, str]:
    return content_hashes(con, ["core"], exclude=["core.fact_payment", "core.fact_award", "core.dim_council",
                                                  "core.dim_date", "core.dim_service", "core.dim_supplier",
                                                  "core.supplier_coverage"])


def _coverage_rows(con) -> int:
    return con.execute("select count(*) from core.supplier_coverage").fetchone()[0]


def test_suppliers_skip_an_unchanged_night_and_rebuild_on_every_input(con, tmp_path, monkeypatch):
    first = refresh_suppliers(con, run_id="night-1")
    assert first["status"] == "built" and first["names"] > 0
    tables, coverage_rows = _supplier_tables(con), _coverage_rows(con)

    second = refresh_suppliers(con, run_id="night-2")
    assert second["status"] == "unchanged"
    assert {k: v for k, v in second.items() if k != "status"} == {k: v for k, v in first.items() if k != "status"}
    assert _supplier_tables(con) == tables and _coverage_rows(con) == coverage_rows  # the build did not run
    assert stage_state.run_statuses(con, "night-2") == {"suppliers": "unchanged"}
    record = stage_state.last_build(con, "suppliers")
    assert record.run_id == "night-2" and record.checked_at >= record.built_at

    # a register changed (a refreshed Companies House extract)
    con.execute("""insert into reference.companies (company_number, name, name_key, category)
                   values ('09999999', 'AVON CLEANING CO LIMITED', 'AVON CLEANING CO', 'Private Limited Company')""")
    assert refresh_suppliers(con)["status"] == "built"
    assert refresh_suppliers(con)["status"] == "unchanged"

    # the staged lines were reloaded by a parser-version rebuild
    con.execute("update staging.spend_lines set parser_version = 'spend-parse/9'")
    assert refresh_suppliers(con)["status"] == "built"

    # the code changed (here: one more file among those the stage is made of)
    extra = tmp_path / "rule.py"
    extra.write_text("RULE = 1\n")
    monkeypatch.setattr(supplier_build, "SUPPLIER_CODE", (*supplier_build.SUPPLIER_CODE, str(extra)))
    assert refresh_suppliers(con)["status"] == "built"
    extra.write_text("RULE = 2\n")
    assert refresh_suppliers(con)["status"] == "built"

    # its own output was changed behind its back, and the operator's forced rebuild
    con.execute("delete from core.suppliers where supplier_key in (select supplier_key from core.suppliers limit 1)")
    assert refresh_suppliers(con)["status"] == "built"
    assert _supplier_tables(con) != {}
    assert refresh_suppliers(con, force=True)["status"] == "built"


def _mart_hashes(con) -> dict[str, str]:
    return content_hashes(con, ["marts"])


def test_marts_skip_an_unchanged_night_and_equal_a_full_rebuild(con):
    build_core(con, COUNCILS)
    built = refresh_marts(con, PARAMS, run_id="night-1")
    assert built["marts_unchanged"] == [] and len(built["marts_rebuilt"]) == 7
    hashes = _mart_hashes(con)
    built_at = {s: stage_state.last_build(con, "mart:" + s).built_at for s in built["marts_rebuilt"]}

    build_core(con, COUNCILS)  # a night with no change
    again = refresh_marts(con, PARAMS, run_id="night-2")
    assert again["marts_rebuilt"] == [] and set(again["marts_unchanged"]) == set(built["marts_rebuilt"])
    assert {s: stage_state.last_build(con, "mart:" + s).built_at for s in built_at} == built_at  # not run
    assert set(stage_state.run_statuses(con, "night-2").values()) == {"unchanged"}
    assert _mart_hashes(con) == hashes
    assert {m: again[m] for m in again["marts_unchanged"]} == {m: built[m] for m in built["marts_rebuilt"]}

    build_marts(con, PARAMS)  # the full rebuild gives what was kept
    assert _mart_hashes(con) == hashes
    assert refresh_marts(con, PARAMS, force=True)["marts_unchanged"] == []


def test_a_new_reference_date_rebuilds_only_the_marts_that_read_it(con):
    build_core(con, COUNCILS)
    refresh_marts(con, PARAMS)
    next_day = refresh_marts(con, {"as_of": dt.date(2025, 1, 2)})
    assert set(next_day["marts_rebuilt"]) == DATED_MARTS
    next_month = refresh_marts(con, {"as_of": dt.date(2025, 2, 1)})
    assert set(next_month["marts_rebuilt"]) == DATED_MARTS
    hashes = _mart_hashes(con)
    build_marts(con, {"as_of": dt.date(2025, 2, 1)})
    assert _mart_hashes(con) == hashes


def test_a_changed_mart_parameter_rebuilds_the_marts_it_reaches(con):
    build_core(con, COUNCILS)
    refresh_marts(con, PARAMS)
    before = _mart_hashes(con)
    changed = refresh_marts(con, {**PARAMS, "lookback_months": 3, "confirm_months": 1, "chance_level": 0.5})
    assert "sourcing_events" in changed["marts_rebuilt"]
    assert "keep_it_local_scorecard" in changed["marts_unchanged"]  # binds none of them
    hashes = _mart_hashes(con)
    if hashes["marts.sourcing_events"] != before["marts.sourcing_events"]:
        # the contract pipeline reads the events: it is rebuilt with them
        assert "contract_pipeline" in changed["marts_rebuilt"]
    build_marts(con, {**PARAMS, "lookback_months": 3, "confirm_months": 1, "chance_level": 0.5})
    assert _mart_hashes(con) == hashes


def test_a_held_back_publication_released_rebuilds_the_marts(con):
    bristol = con.execute("""select publication_id from staging.spend_publications where council_gss = $g
                             order by period_start limit 1""", {"g": BRISTOL}).fetchone()[0]
    # the parser's own account disagrees with what was staged: the publication is held back from the release
    con.execute("update staging.spend_publications set rows = rows + 1 where publication_id = $p", {"p": bristol})
    build_core(con, COUNCILS)
    assert [h["publication_id"] for h in held_back(con)] == [bristol]
    refresh_marts(con, PARAMS)
    held = _mart_hashes(con)
    assert refresh_marts(con, PARAMS)["marts_rebuilt"] == []

    # reloaded with a true account (e.g. re-parsed): the hold is released and the marts see its lines
    con.execute("update staging.spend_publications set rows = rows - 1 where publication_id = $p", {"p": bristol})
    build_core(con, COUNCILS)
    assert held_back(con) == []
    released = refresh_marts(con, PARAMS)
    assert "keep_it_local_scorecard" in released["marts_rebuilt"]
    hashes = _mart_hashes(con)
    assert hashes != held
    build_marts(con, PARAMS)
    assert _mart_hashes(con) == hashes


def test_a_passed_check_is_reused_on_unchanged_inputs_and_a_failure_never_is(con):
    build_core(con, COUNCILS)
    refresh_marts(con, PARAMS)
    assert refresh_blocking_checks(con) == ([], "checked")
    assert refresh_blocking_checks(con, run_id="night-2") == ([], "unchanged")
    assert refresh_blocking_checks(con, force=True) == ([], "checked")
    # a duplicated payment key fails the gate; it is checked again every time, never reused
    con.execute("insert into core.fact_payment select * from core.fact_payment limit 1")
    failures, status = refresh_blocking_checks(con)
    assert failures and status == "checked"
    assert refresh_blocking_checks(con)[1] == "checked"


def test_the_recorded_result_is_json_and_a_missing_table_changes_the_signature(con):
    assert stage_state.table_signature(con, "reference.no_such_table") == "absent"
    before = stage_state.table_signature(con, "staging.spend_publications")
    con.execute("alter table staging.spend_publications add column if not exists extra_note varchar")
    assert stage_state.table_signature(con, "staging.spend_publications") != before  # a new column, no new rows
    refresh_suppliers(con, run_id="r")
    row = con.execute("select result from meta.stage_builds where stage = 'suppliers'").fetchone()[0]
    assert json.loads(row)["names"] > 0
    assert stage_state.wants_full_rebuild({stage_state.FULL_REBUILD_TAG: "true"})
    assert not stage_state.wants_full_rebuild({})


def _release(published, extracts, **kw):
    from pipelines.extracts.build import build_release

    return build_release(published, extracts, pipeline_version="0.1.0+seed", sources=[], **kw)


def test_an_unchanged_release_is_kept_and_nothing_is_written(tmp_path):
    from pipelines.extracts.build import resolve_latest
    from tests.test_extracts_seed import seed_published_warehouse

    published, extracts = tmp_path / "keepitlocal.duckdb", tmp_path / "extracts"
    seed_published_warehouse(published)
    first = _release(published, extracts, reuse_unchanged=True)
    assert not first.reused and first.content_signature
    package = json.loads((first.path / "datapackage.json").read_text())
    assert package["keepitlocal:content_signature"] == first.content_signature
    files = {p: p.stat().st_mtime_ns for p in first.path.rglob("*") if p.is_file()}

    again = _release(published, extracts, reuse_unchanged=True)
    assert again.reused and again.release_id == first.release_id and "unchanged" in again.summary
    assert sorted(p.name for p in extracts.iterdir() if not p.name.startswith(".")) == sorted(
        [first.release_id, "latest", "LATEST"])  # no second release
    assert {p: p.stat().st_mtime_ns for p in first.path.rglob("*") if p.is_file()} == files  # nothing rewritten
    assert resolve_latest(extracts) == first.path.resolve()
    assert sum(e.bytes for e in again.extracts) == sum(e.bytes for e in first.extracts)
    assert sorted((e.name, e.format, e.rows) for e in again.extracts) == sorted(
        (e.name, e.format, e.rows) for e in first.extracts)

    # without reuse (the CLI, a forced rebuild) or with an explicit id, a release is always written
    assert not _release(published, extracts).reused
    assert not _release(published, extracts, release="chosen", reuse_unchanged=True).reused

    # a changed table, or a file of the latest release gone, writes a new one
    latest = _release(published, extracts, reuse_unchanged=True)
    assert latest.reused
    con = duckdb.connect(str(published))
    con.execute("update marts.monthly_spend set lines = lines + 1 where council_gss = (select min(council_gss) "
                "from marts.monthly_spend)")
    con.close()
    changed = _release(published, extracts, reuse_unchanged=True)
    assert not changed.reused and changed.content_signature != latest.content_signature
    (changed.path / "marts" / "monthly_spend.csv").unlink()
    assert not _release(published, extracts, reuse_unchanged=True).reused


def test_the_publish_gate_reuses_only_this_runs_unchanged_pass(con, monkeypatch):
    from pipelines.marts import checks
    from pipelines.marts.refresh import forget_checks, publish_gate

    build_core(con, COUNCILS)
    refresh_marts(con, PARAMS)
    refresh_blocking_checks(con, run_id="night-1")  # checked: the gate runs them on the copy
    gate = publish_gate("night-1")
    assert gate(con) == [] and not gate.reused
    refresh_blocking_checks(con, run_id="night-2")  # unchanged since they passed
    ran = []
    monkeypatch.setattr(checks, "blocking_checks", lambda c, *a: ran.append(1) or ["would fail"])
    gate = publish_gate("night-2")
    assert gate(con) == [] and gate.reused and ran == []
    assert publish_gate("night-3")(con) == ["would fail"]  # another run's record is not this run's pass
    forget_checks(con)  # a blocked publish forgets the pass
    assert publish_gate("night-2")(con) == ["would fail"]
    assert refresh_blocking_checks(con, run_id="night-4")[1] == "checked"


def test_warnings_are_reported_again_on_unchanged_inputs_and_rechecked_on_a_new_publish(con, tmp_path):
    from pipelines.marts.refresh import refresh_warning_checks

    build_core(con, COUNCILS)
    refresh_marts(con, PARAMS)
    previous = tmp_path / "published.duckdb"
    first, status = refresh_warning_checks(con, None)
    assert status == "checked"
    assert refresh_warning_checks(con, None) == (first, "unchanged")
    # a previous publish to compare with (its totals differ from tonight's): the warnings are computed again
    totals = con.sql("""select council_gss, financial_year, total_spend * 2 as total_spend, period_grain
                        from marts.keep_it_local_scorecard""").pl()
    published = duckdb.connect(str(previous))
    published.execute("create schema marts")
    published.execute("create table marts.keep_it_local_scorecard as select * from totals")
    published.close()
    compared, status = refresh_warning_checks(con, previous)
    assert status == "checked" and any(w.startswith("total_change_vs_previous") for w in compared)
    assert refresh_warning_checks(con, previous) == (compared, "unchanged")
    assert refresh_warning_checks(con, previous, force=True) == (compared, "checked")


def test_a_parser_version_rebuild_rebuilds_what_reads_the_staged_lines_and_ends_equal_to_a_full_rebuild(con):
    build_core(con, COUNCILS)
    refresh_marts(con, PARAMS)
    # `keepitlocal rebuild spend` re-parsed every publication with a new parser: the staged lines changed, and a
    # line of one file now parses to another amount
    con.execute("update staging.spend_lines set parser_version = 'spend-parse/9'")
    con.execute("""update staging.spend_lines set amount = amount + 1 where council_gss = $g
                   and row_number = (select min(row_number) from staging.spend_lines where council_gss = $g)""",
                {"g": BRISTOL})
    con.execute("""update staging.spend_publications p set net_total = (select sum(amount) from staging.spend_lines l
                   where l.publication_id = p.publication_id) where council_gss = $g""", {"g": BRISTOL})
    core = build_core(con, COUNCILS)
    assert core["councils_rebuilt"] == 4 and core["publications_held_back"] == 0
    rebuilt = refresh_marts(con, PARAMS)["marts_rebuilt"]
    assert {"keep_it_local_scorecard", "transparency_compliance"} <= set(rebuilt)
    hashes = _mart_hashes(con)
    build_marts(con, PARAMS)
    assert _mart_hashes(con) == hashes


def test_code_paths_resolve_where_the_sql_is_installed_and_a_missing_one_is_an_error(tmp_path, monkeypatch):
    from pipelines import sqlfiles
    from pipelines.suppliers.build import SUPPLIER_CODE

    named = stage_state.tables_named(*SUPPLIER_CODE)
    assert {"staging.spend_lines", "staging.award_suppliers", "reference.companies", "reference.charities",
            "reference.postcodes", "reference.public_bodies", "reference.psc_corporate_owners"} <= named
    before = stage_state.code_signature("sql/suppliers")
    # a wheel carries sql/ as pipelines/_sql: the signature reads the SQL where sqlfiles reads it
    installed = tmp_path / "_sql"
    (installed / "suppliers").mkdir(parents=True)
    (installed / "suppliers" / "select_names.sql").write_text("select name from staging.other_lines")
    monkeypatch.setattr(sqlfiles, "SQL_DIR", installed)
    assert stage_state.tables_named("sql/suppliers") == {"staging.other_lines"}
    assert stage_state.code_signature("sql/suppliers") != before
    with pytest.raises(FileNotFoundError):
        stage_state.code_signature("sql/no_such_dir")
