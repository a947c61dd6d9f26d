"""Sourcing events on a hand-made series where every noise pattern sits beside every event type.

Four councils, 36 months (April 2022 = month 0). Patterns that must NOT be events: a contractor with missing
months (dips), one unpaid for three months then back (a pause), one paid April to September only (seasonal), one
whose invoices swing between £5k and £60k (then really leaves: an exit), one published under a second spelling
from month 18 (one supplier key), one whose group switches subsidiary (one group), a council that does not
publish months 14-16 (a gap), a council whose new ledger moves every supplier to another service at month 24 (a
recoding). Events that must be found, exactly: an exit, an insourcing to the council itself, a relet, an
outsourcing, a supplier failure seen at three councils at once, one the register shows, and a supplier that
leaves one council (an exit) long before it fails at another.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from pipelines.marts.build import build_core, build_marts
from pipelines.marts.events import check_consistency
from pipelines.warehouse import apply_ddl
from tests.test_marts_seed import (
    AWARD_DDL, BRISTOL, COUNCILS, HYNDBURN, LANCASHIRE, SOUTH_GLOS, World, month_end, month_list,
)

MONTHS = month_list()
TEXT = {  # service -> (department, expense type) as published
    "waste": ("Environment - Waste Management", "Waste Collection Contract"),
    "highways": ("Highways and Transport", "Highway Maintenance"),
    "leisure": ("Leisure and Culture", "Leisure Centre Management Fee"),
    "facilities": ("Facilities Management", "Facilities Cleaning Services"),
    "adult_social_care": ("Adult Social Care", "Home Care Services"),
    "ict": ("ICT Services", "ICT Software Licences"),
    "consultancy": ("Corporate Consultancy", "Consultancy Fees"),
    "housing": ("Housing Services", "Temporary Accommodation"),
    "construction": ("Capital Programme - Construction", "Construction Works"),
    "other": ("Corporate Finance", "Payments to Other Public Bodies"),
}
RECODED = ("Place Directorate", "Third Party Payments")  # Lancashire's new ledger from month 24: maps to "other"

# supplier_key: (published names, org_id, org_type, group_key, company status)
SUPPLIERS = {
    "dippy": (["Dippy Cleaning Ltd"], "GB-COH-10000001", "company", None, "Active"),
    "pause": (["Pause Waste Ltd"], "GB-COH-10000002", "company", None, "Active"),
    "swing": (["Swing Highways Ltd"], "GB-COH-10000003", "company", None, "Active"),
    "lido": (["Summer Lido Ltd"], "GB-COH-10000004", "company", None, "Active"),
    "variant": (["Variant Care Ltd", "VARIANT CARE LIMITED"], "GB-COH-10000005", "company", None, "Active"),
    "groupco_a": (["Groupco ICT Ltd"], "GB-COH-10000006", "company", "g_groupco", "Active"),
    "groupco_b": (["Groupco Digital Ltd"], "GB-COH-10000007", "company", "g_groupco", "Active"),
    "advise": (["Advise Consulting Ltd"], "GB-COH-10000008", "company", None, "Active"),
    "bristol_itself": (["Bristol City Council"], "GB-LAE-BST", "public_body", None, None),
    "steady": (["Steady Roads Ltd"], "GB-COH-10000009", "company", None, "Active"),
    "old_bins": (["Old Bins Ltd"], "GB-COH-10000010", "company", None, "Active"),
    "new_bins": (["New Bins Ltd"], "GB-COH-10000011", "company", None, "Active"),
    "fresh": (["Fresh Leisure Ltd"], "GB-COH-10000012", "company", None, "Active"),
    "c_one": (["C One Waste Ltd"], "GB-COH-10000013", "company", None, "Active"),
    "c_two": (["C Two Roads Ltd"], "GB-COH-10000014", "company", None, "Active"),
    "c_three": (["C Three Cleaning Ltd"], "GB-COH-10000015", "company", None, "Active"),
    "foldco": (["Foldco Ltd"], "GB-COH-10000016", "company", None, "Active"),
    "bustco": (["Bustco Housing Ltd"], "GB-COH-10000017", "company", None, "Liquidation"),
    "latefail": (["Latefail Builders Ltd"], "GB-COH-10000018", "company", None, "In Administration"),
    **{f"background_{gss}": ([f"Background {gss} Ltd"], f"GB-COH-2{i:07d}", "company", None, "Active")
       for i, gss in enumerate((BRISTOL, SOUTH_GLOS, LANCASHIRE, HYNDBURN))},
}
GAP = {14, 15, 16}  # South Gloucestershire never published these months


def amount(i: int, base: int) -> str:
    return f"{base + (i * 37) % 900}.00"


def build_world() -> World:
    w = World()
    for i, month in enumerate(MONTHS):
        pubs = {gss: w.publication(gss, month.strftime("%Y-%m"), month, month_end(month))
                for gss in (BRISTOL, SOUTH_GLOS, LANCASHIRE, HYNDBURN) if not (gss == SOUTH_GLOS and i in GAP)}

        def pay(gss: str, key: str, service: str, value: str, day: int = 20, name: str | None = None) -> None:
            if gss not in pubs:
                return
            row = w.line(pubs[gss], None, value, month.replace(day=day), "other",
                         supplier_name=name or SUPPLIERS[key][0][0])
            dept, expense = RECODED if gss == LANCASHIRE and i >= 24 and service != "other" else TEXT[service]
            row["department"], row["expense_type"] = dept, expense
            row["amount_basis"] = {BRISTOL: "net", SOUTH_GLOS: "gross"}.get(gss)  # the others' basis is unknown

        for gss in pubs:  # the council's everyday payments: a published month has a few lines whatever stops
            for day in (2, 3, 4, 5):
                pay(gss, f"background_{gss}", "other", amount(i + day, 3000), day=day)
        # Bristol: dips, a pause, a swinging contractor that leaves, a seasonal one, a change of spelling, a group
        # switching subsidiary, an insourcing to the council itself, an exit before a failure elsewhere
        if i not in (5, 17, 29):
            pay(BRISTOL, "dippy", "facilities", amount(i, 8000))
        if i not in (10, 11, 12):
            pay(BRISTOL, "pause", "waste", amount(i, 40000))
        if i <= 20:
            pay(BRISTOL, "swing", "highways", "5000.00" if i % 2 else "60000.00")
        if month.month in (4, 5, 6, 7, 8, 9):
            pay(BRISTOL, "lido", "leisure", amount(i, 15000))
        pay(BRISTOL, "variant", "adult_social_care", amount(i, 22000), name=SUPPLIERS["variant"][0][i >= 18])
        pay(BRISTOL, "groupco_a" if i < 18 else "groupco_b", "ict", amount(i, 12000))
        pay(BRISTOL, "advise" if i < 20 else "bristol_itself", "consultancy", amount(i, 9000))
        if i <= 12:
            pay(BRISTOL, "latefail", "construction", amount(i, 30000))
        # South Gloucestershire: a publication gap, a relet, an outsourcing, a failing supplier
        pay(SOUTH_GLOS, "steady", "highways", amount(i, 25000))
        pay(SOUTH_GLOS, "old_bins" if i < 20 else "new_bins", "waste", amount(i, 50000))
        if i >= 22:
            pay(SOUTH_GLOS, "fresh", "leisure", amount(i, 26000))
        if i <= 20:
            pay(SOUTH_GLOS, "foldco", "facilities", amount(i, 11000))
        # Lancashire: a new ledger from month 24; the failing supplier too
        for key, service in (("c_one", "waste"), ("c_two", "highways"), ("c_three", "facilities")):
            pay(LANCASHIRE, key, service, amount(i, 20000))
        if i <= 20:
            pay(LANCASHIRE, "foldco", "construction", amount(i, 14000))
        # Hyndburn: the failing supplier, one the register shows in liquidation, and the late failure
        if i <= 20:
            pay(HYNDBURN, "foldco", "construction", amount(i, 7000))
        if i <= 22:
            pay(HYNDBURN, "bustco", "housing", amount(i, 6000))
        if i <= 30:
            pay(HYNDBURN, "latefail", "leisure", amount(i, 9000))
    return w


def seed(con: duckdb.DuckDBPyConnection) -> None:
    world = build_world()
    apply_ddl(con)
    lines = pl.DataFrame(world.lines, infer_schema_length=None).with_columns(pl.col("amount").cast(pl.Decimal(18, 2)))
    # the loader records the parser's own count and total of each publication; here they are the seeded lines'
    account = lines.group_by("publication_id").agg(rows=pl.len(), net_total=pl.col("amount").sum())
    publications = pl.DataFrame(world.publications).join(account, on="publication_id", how="left")
    con.execute("insert into staging.spend_publications by name select * from publications")
    con.execute("insert into staging.spend_lines by name select * from lines")
    suppliers = pl.DataFrame([
        {"supplier_key": key, "canonical_name": names[0].upper(), "org_id": org_id, "org_type": org_type,
         "size": "sme", "vcse": False, "group_key": group, "group_name": group}
        for key, (names, org_id, org_type, group, _) in SUPPLIERS.items()])
    con.execute("insert into core.suppliers by name select * from suppliers")
    names = pl.DataFrame([{"raw_name": n, "council_gss": gss, "supplier_key": key, "source": "spend",
                           "match_method": "test"}
                          for key, (spellings, *_rest) in SUPPLIERS.items() for n in spellings
                          for gss in (BRISTOL, SOUTH_GLOS, LANCASHIRE, HYNDBURN)])
    con.execute("insert into core.supplier_names by name select * from names")
    companies = pl.DataFrame([{"company_number": org_id[7:], "name": names[0].upper(), "status": status}
                              for names, org_id, _t, _g, status in SUPPLIERS.values() if org_id.startswith("GB-COH-")])
    con.execute("insert into reference.companies by name select * from companies")
    con.execute("""insert into reference.public_bodies (org_id, name, kind, gss)
                   values ('GB-LAE-BST', 'Bristol City Council', 'local_authority', $g)""", {"g": BRISTOL})
    # South Gloucestershire's contracts with the failing supplier, the re-let waste contractor and the steady one
    for ddl in AWARD_DDL:
        con.execute(ddl)
    for n, (key, title) in enumerate((("foldco", "Cleaning"), ("old_bins", "Waste collection"),
                                      ("steady", "Highway maintenance"))):
        con.execute("""insert into staging.awards (source, ocid, award_id, buyer_name, title, value_amount, currency,
                       award_date, contract_start, contract_end)
                       values ('contracts_finder', $o, '1', 'South Gloucestershire Council', $t, 1000000, 'GBP',
                               date '2022-03-01', date '2022-04-01', date '2026-03-31')""",
                    {"o": f"ocds-{n}", "t": title})
        con.execute("""insert into staging.award_suppliers (source, ocid, award_id, supplier_party_id, supplier_name)
                       values ('contracts_finder', $o, '1', 'p1', $name)""", {"o": f"ocds-{n}", "name": SUPPLIERS[key][0][0]})
        con.execute("""insert into core.supplier_names (raw_name, source, supplier_key, match_method)
                       values ($name, 'contracts_finder', $key, 'test')""", {"name": SUPPLIERS[key][0][0], "key": key})


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    connection = duckdb.connect(str(tmp_path_factory.mktemp("events_noise") / "w.duckdb"))
    seed(connection)
    build_core(connection, COUNCILS)
    build_marts(connection, {"as_of": dt.date(2025, 4, 1)})
    yield connection
    connection.close()


def _events(con) -> dict[tuple, dict]:
    rel = con.execute("select * from marts.sourcing_events")
    names = [c[0] for c in rel.description]
    rows = [dict(zip(names, r)) for r in rel.fetchall()]
    return {(r["council_gss"], r["service"], r["event_type"], r["start_month"]): r for r in rows}


def test_exactly_the_events_every_type_and_none_from_the_noise(con):
    got = {k: (v["from_supplier"], v["to_supplier"]) for k, v in _events(con).items()}
    assert got == {
        (BRISTOL, "highways", "exit", MONTHS[21]): ("SWING HIGHWAYS LTD", None),
        (BRISTOL, "consultancy", "insourcing", MONTHS[20]): ("ADVISE CONSULTING LTD", "BRISTOL CITY COUNCIL"),
        (BRISTOL, "construction", "exit", MONTHS[13]): ("LATEFAIL BUILDERS LTD", None),
        (SOUTH_GLOS, "waste", "relet", MONTHS[20]): ("OLD BINS LTD", "NEW BINS LTD"),
        (SOUTH_GLOS, "leisure", "outsourcing", MONTHS[22]): (None, "FRESH LEISURE LTD"),
        (SOUTH_GLOS, "facilities", "supplier_failure", MONTHS[21]): ("FOLDCO LTD", None),
        (LANCASHIRE, "construction", "supplier_failure", MONTHS[21]): ("FOLDCO LTD", None),
        (HYNDBURN, "construction", "supplier_failure", MONTHS[21]): ("FOLDCO LTD", None),
        (HYNDBURN, "housing", "supplier_failure", MONTHS[23]): ("BUSTCO HOUSING LTD", None),
        (HYNDBURN, "leisure", "supplier_failure", MONTHS[31]): ("LATEFAIL BUILDERS LTD", None),
    }


def test_events_say_who_succeeded_and_why_a_failure_is_one(con):
    events = _events(con)
    insourcing = events[(BRISTOL, "consultancy", "insourcing", MONTHS[20])]
    assert insourcing["successor_kind"] == "council_itself"
    assert events[(SOUTH_GLOS, "waste", "relet", MONTHS[20])]["successor_kind"] == "external"
    failures = {k[0]: v for k, v in events.items() if k[2] == "supplier_failure"}
    assert events[(SOUTH_GLOS, "facilities", "supplier_failure", MONTHS[21])]["failure_basis"] == "councils"
    assert events[(SOUTH_GLOS, "facilities", "supplier_failure", MONTHS[21])]["councils_stopped"] == 3
    assert events[(HYNDBURN, "housing", "supplier_failure", MONTHS[23])]["failure_basis"] == "register"
    assert len(failures) == 3


def test_events_carry_months_observed_confirmation_and_evidence(con):
    events = _events(con)
    relet = events[(SOUTH_GLOS, "waste", "relet", MONTHS[20])]
    assert relet["from_last_month"] == MONTHS[19] and relet["to_first_month"] == MONTHS[20]
    assert relet["months_observed_before"] == 9           # 12 months before the stop, 3 never published
    assert relet["confirmed_through"] > relet["from_last_month"]
    exit_ = events[(BRISTOL, "highways", "exit", MONTHS[21])]
    assert exit_["months_observed_after"] == 15 and exit_["from_months_paid"] == 12
    lines = con.execute("""select count(*) from core.fact_payment where council_gss = $g and supplier_name = 'Swing Highways Ltd'
                           and month_start between $a and $b""", {"g": BRISTOL, "a": MONTHS[15], "b": MONTHS[20]}).fetchone()[0]
    assert exit_["evidence_rows"] == lines == 6
    for event in events.values():
        assert 0 <= event["confidence"] <= 1 and event["event_id"]


def test_confidence_grows_with_the_evidence(con):
    events = _events(con)
    long_exit = events[(BRISTOL, "construction", "exit", MONTHS[13])]       # 22 published months without a payment
    short_exit = events[(BRISTOL, "highways", "exit", MONTHS[21])]          # 15
    short_failure = events[(HYNDBURN, "leisure", "supplier_failure", MONTHS[31])]  # 5, and the register
    assert min(long_exit["confidence"], short_exit["confidence"], short_failure["confidence"]) >= 0.8
    # a flat curve shows the order underneath: more months of absence, more evidence, more confidence
    build_marts(con, {"as_of": dt.date(2025, 4, 1), "confidence_intercept": 0.0, "confidence_slope": 0.05})
    try:
        flat = _events(con)
        assert (flat[(BRISTOL, "construction", "exit", MONTHS[13])]["confidence"]
                > flat[(BRISTOL, "highways", "exit", MONTHS[21])]["confidence"] > 0.5)
    finally:
        build_marts(con, {"as_of": dt.date(2025, 4, 1)})


def test_scorecard_says_what_share_of_spend_was_published_gross(con):
    rows = {g: (net, gross, unknown) for g, net, gross, unknown in con.execute(
        """select council_gss, net_basis_share, gross_basis_share, unknown_basis_share from marts.keep_it_local_scorecard
           where financial_year = '2023-24' and period_grain = 'year'""").fetchall()}
    assert rows[BRISTOL] == (100.0, 0.0, 0.0)
    assert rows[SOUTH_GLOS] == (0.0, 100.0, 0.0)
    assert rows[HYNDBURN] == (0.0, 0.0, 100.0)


def test_warning_check_windows_are_the_marts_defaults():
    from pipelines.marts.build import DEFAULT_MART_PARAMS
    from pipelines.marts.checks import WARNING_THRESHOLDS

    assert WARNING_THRESHOLDS["event_confirm_months"] == DEFAULT_MART_PARAMS["confirm_months"]
    assert WARNING_THRESHOLDS["event_lookback_months"] == DEFAULT_MART_PARAMS["lookback_months"]


def test_contract_pipeline_flags_failed_and_unpaid_suppliers(con):
    rows = {r[0]: r[1:] for r in con.execute("""select title, supplier_flag, supplier_flag_month, supplier_last_paid_month
                                                from marts.contract_pipeline""").fetchall()}
    assert rows["Cleaning"] == ("supplier_failed", MONTHS[21], MONTHS[20])
    assert rows["Waste collection"] == ("stopped_being_paid", MONTHS[20], MONTHS[19])  # re-let to New Bins
    assert rows["Highway maintenance"] == (None, None, MONTHS[35])


def test_consistency_check_passes_and_catches_a_contradiction(con):
    result = check_consistency(con)
    assert result["events"] == 10 and result["contradicted"] == 0
    from pipelines.marts.checks import warning_checks

    assert not [w for w in warning_checks(con, None) if w.startswith("sourcing_events_contradicted")]
    # an exit of the steady contractor (paid every published month) is contradicted by its next payment, and a
    # start of the pause contractor by its payments before
    con.execute("""insert into marts.sourcing_events (council_gss, council_name, service, event_type, start_month,
                       from_supplier, from_group_key, from_last_month, confirmed_through)
                   values ($g, 'S Glos', 'highways', 'exit', $m, 'STEADY ROADS LTD', 'steady', $last, $through)""",
                {"g": SOUTH_GLOS, "m": MONTHS[10], "last": MONTHS[9], "through": MONTHS[13]})
    con.execute("""insert into marts.sourcing_events (council_gss, council_name, service, event_type, start_month,
                       to_supplier, to_group_key, to_first_month)
                   values ($g, 'Bristol', 'waste', 'outsourcing', $m, 'PAUSE WASTE LTD', 'pause', $m)""",
                {"g": BRISTOL, "m": MONTHS[13]})
    try:
        result = check_consistency(con)
        assert result["contradicted"] == 2
        assert any("STEADY ROADS LTD is paid again in 2023-02" in c for c in result["contradictions"])
        assert any("PAUSE WASTE LTD was already paid in 2022-05" in c for c in result["contradictions"])
        warned = [w for w in warning_checks(con, None) if w.startswith("sourcing_events_contradicted")]
        assert len(warned) == 2
    finally:
        build_marts(con, {"as_of": dt.date(2025, 4, 1)})
