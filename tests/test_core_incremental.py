"""The core build is incremental and deterministic: a second build with no change rebuilds nothing, a change
rebuilds only its council, and the incremental result equals a full rebuild, table by table."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines.marts.build import build_core, build_marts, content_hashes
from tests.test_marts_seed import BRISTOL, COUNCILS, HYNDBURN, build_seeded

MART_PARAMS = {"as_of": dt.date(2025, 1, 1)}


@pytest.fixture()
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    build_seeded(connection, MART_PARAMS)
    yield connection
    connection.close()


def _full_rebuild_hashes(con) -> dict[str, str]:
    build_core(con, COUNCILS, full=True)
    build_marts(con, MART_PARAMS)
    return content_hashes(con)


def test_a_build_with_no_change_rebuilds_nothing_and_equals_a_full_rebuild(con):
    first = content_hashes(con)
    again = build_core(con, COUNCILS)
    assert (again["councils_rebuilt"], again["awards_rebuilt"], again["councils_unchanged"]) == (0, False, 4)
    build_marts(con, MART_PARAMS)
    assert content_hashes(con) == first
    assert _full_rebuild_hashes(con) == first
    assert {"core.fact_payment", "core.dim_supplier", "marts.keep_it_local_scorecard"} <= set(first)


def test_a_changed_crosswalk_rebuilds_only_its_council(con):
    con.execute("""update core.supplier_names set supplier_key = 's_unresolved'
                   where council_gss = $g and supplier_key = 's_bristol_sme'""", {"g": BRISTOL})
    stats = build_core(con, COUNCILS)
    assert stats["councils_rebuilt"] == 1 and stats["councils_unchanged"] == 3
    keys = con.execute("""select count(*) filter (where supplier_key = 's_bristol_sme'),
                                 count(*) filter (where supplier_key = 's_unresolved')
                          from core.fact_payment where council_gss = $g""", {"g": BRISTOL}).fetchone()
    assert keys == (0, 36)
    build_marts(con, MART_PARAMS)
    incremental = content_hashes(con)
    assert _full_rebuild_hashes(con) == incremental


def test_a_council_whose_publications_are_gone_loses_its_facts(con):
    con.execute("delete from staging.spend_lines where council_gss = $g", {"g": HYNDBURN})
    con.execute("delete from staging.spend_publications where council_gss = $g", {"g": HYNDBURN})
    build_core(con, COUNCILS)
    assert con.execute("select count(*) from core.fact_payment where council_gss = $g", {"g": HYNDBURN}).fetchone()[0] == 0
    assert con.execute("select count(*) from meta.core_builds where part = $g", {"g": HYNDBURN}).fetchone()[0] == 0
