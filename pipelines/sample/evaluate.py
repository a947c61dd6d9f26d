"""Evaluate the sourcing-event detection against a sample world's planted events.

    python -m pipelines.sample.evaluate [--seed 4242] [--options evaluation|demo] [--work DIR] [--json]
    python -m pipelines.sample.evaluate --calibrate [--seeds 101,102,103] [--work DIR]

Generates a world (by default the evaluation world: `plan.EVALUATION_OPTIONS`, a seed the demo does not use),
loads it into a fresh warehouse the way the nightly job does minus the network (the registers and every
published spending file are read from the world's directory, parsed, loaded, suppliers resolved, core and marts
built), then compares `marts.sourcing_events` with `truth.json`:

* a detected event matches a planted one when council and type agree, the month is within one month, and the
  suppliers agree (`truth.match_events`: names compared after normalisation; a planted event without a
  predecessor or successor accepts any); each planted event matches at most one detected event;
* precision and recall per event type; every unmatched event on either side is listed, with its nearest
  counterpart when there is one (a wrong type, a wrong month);
* calibration: detected events binned by confidence, with the share that matched a planted event. The scale's
  claim is that events at confidence >= 0.8 are right at least 9 times in 10.

The background patterns (seasonal contractors, a pause, unpublished months, a ledger recoding, a change of
spelling) have no planted event, so any event they produce counts against precision.

`--calibrate` fits the confidence curve (`confidence_intercept`, `confidence_slope` in
pipelines.marts.build.DEFAULT_MART_PARAMS): on calibration worlds (the evaluation options, other seeds) the events
are detected with the default parameters and with looser ones (which let weaker, often wrong, events through),
each detected event's evidence score is paired with whether it matched a planted event, and a logistic curve is
fitted to those pairs. The evaluation world's seed is not among the calibration seeds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.sample.truth import match_events

EVENT_TYPES = ("outsourcing", "insourcing", "relet", "exit", "supplier_failure")
CONFIDENCE_BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
EVALUATION_SEED = 4242
CALIBRATION_SEEDS = (101, 102, 103)
# detection settings the calibration runs besides the defaults, so weak events are there to learn from
CALIBRATION_PARAMS = (
    {},
    {"chance_level": 0.003, "min_active_months": 8, "confirm_months": 3, "start_confirm_months": 4},
    {"chance_level": 0.05, "min_active_months": 6, "confirm_months": 2, "min_observed_months": 6,
     "start_confirm_months": 3, "min_service_share": 0.02},
)


def load_spend_files(con: duckdb.DuckDBPyConnection, entries: list[dict], councils) -> dict:
    """Parse and load spending files without the network, then resolve suppliers and build core and marts.

    `entries`: {council_gss, path (a local file), period_label, url, published_on (ISO date or None)};
    `councils`: the registry frame of those councils (written to reference.councils, used by build_core).
    Registers must already be loaded (or be empty). Returns load counts."""
    from pipelines import sqlfiles
    from pipelines.marts.build import build_core, build_marts
    from pipelines.registry import council_hints
    from pipelines.spend.load import apply_supersession, load_publication, quarantine
    from pipelines.spend.parse import parse_spend
    from pipelines.suppliers.build import build_suppliers

    con.register("councils_df", councils.to_arrow())
    sqlfiles.execute(con, "registry/replace_councils")
    con.unregister("councils_df")
    by_gss = {c["gss"]: c for c in councils.iter_rows(named=True)}
    loaded = rejected = 0
    last_day = dt.date(2000, 1, 1)
    for entry in entries:
        data = Path(entry["path"]).read_bytes()
        council = by_gss[entry["council_gss"]]
        hints = dict(council_hints(council))
        for key in ("threshold", "amount_basis", "cadence"):
            if council.get(key):
                hints.setdefault(key, council[key])
        hints.update({"period_label": entry["period_label"], "link_text": entry["period_label"],
                      "dataset_kind": "spend"})
        result = parse_spend(data, filename=Path(entry["path"]).name, council_gss=council["gss"], hints=hints,
                             source_url=entry["url"])
        sha = hashlib.sha256(data).hexdigest()
        if getattr(result, "kind", "spend") != "spend":
            quarantine(con, council_gss=council["gss"], source_url=entry["url"], source_sha256=sha,
                       reason_code=result.reason_code or "rejected", reason=result.reason,
                       link_text=entry["period_label"], period_label=entry["period_label"])
            rejected += 1
            continue
        published = dt.date.fromisoformat(entry["published_on"]) if entry.get("published_on") else None
        last_day = max(last_day, published or last_day)
        load_publication(con, council["gss"], entry["period_label"], result,
                         {"sha256": sha, "source_url": entry["url"], "link_text": entry["period_label"],
                          "fetched_at": dt.datetime.combine(published or dt.date.today(), dt.time(9)),
                          "dataset_kind": "spend"})
        loaded += 1
    for gss in by_gss:
        apply_supersession(con, gss)
    build_suppliers(con)
    build_core(con, councils)
    as_of = con.execute("select max(payment_date) + 1 from core.fact_payment").fetchone()[0] or dt.date.today()
    build_marts(con, {"as_of": as_of})
    return {"files_loaded": loaded, "files_rejected": rejected}


# the three councils of the real monthly series (../shared/corpus/spend_series): registry columns for build_core,
# Harrogate included although it was abolished in 2023 (the registry lists current councils)
SERIES_COUNCILS = {
    "darlington": {"gss": "E06000005", "name": "Darlington Borough Council", "type": "unitary",
                   "region_gss": "E12000001", "county_gss": None, "start_date": "1997-04-01", "end_date": None},
    "harrogate": {"gss": "E07000165", "name": "Harrogate Borough Council", "type": "district",
                  "region_gss": "E12000003", "county_gss": "E10000023", "start_date": "1974-04-01",
                  "end_date": "2023-03-31"},
    "salford": {"gss": "E08000006", "name": "Salford City Council", "type": "metropolitan",
                "region_gss": "E12000002", "county_gss": None, "start_date": "1974-04-01", "end_date": None},
}


def load_corpus_series(con: duckdb.DuckDBPyConnection, series_dir: Path) -> dict:
    """The real series (one CSV per council-month, `<council>/<YYYY-MM>.csv`) parsed and loaded like a night's
    files, suppliers resolved without registers, core and marts built. The registry's row is used for a council
    it lists (parser hints); the others get SERIES_COUNCILS' columns."""
    import polars as pl

    from pipelines.registry import load_registry
    from pipelines.warehouse import apply_ddl

    apply_ddl(con)
    registry = load_registry()
    rows = []
    for folder, council in SERIES_COUNCILS.items():
        listed = registry.filter(pl.col("gss") == council["gss"])
        rows.append(listed.row(0, named=True) if listed.height else council)
    councils = pl.DataFrame(rows, schema={c: pl.String for c in registry.columns}, strict=False)
    entries = [{"council_gss": SERIES_COUNCILS[p.parent.name]["gss"], "path": p, "period_label": p.stem,
                "url": f"file://{p}", "published_on": None}
               for p in sorted(series_dir.glob("*/*.csv")) if p.parent.name in SERIES_COUNCILS]
    return load_spend_files(con, entries, councils)


def load_world(world: Path, con: duckdb.DuckDBPyConnection, edition: int = 1) -> dict:
    """Registers and every published spending file of a generated world into `con`, then suppliers, core and
    marts (event parameters at their defaults). Returns load counts."""
    from pipelines.registry import load_registry
    from pipelines.suppliers import registers as loaders
    from pipelines.warehouse import apply_ddl

    apply_ddl(con)
    reg = world / "site" / "registers"
    loaders.load_companies_house(next((reg / "companies_house").glob("BasicCompanyData*.zip")), con)
    loaders.load_psc([next((reg / "companies_house").glob("persons-with-significant-control*.zip"))], con)
    loaders.load_charities(reg / "charity_commission" / "publicextract.charity.zip", con)
    loaders.load_postcodes(next((reg / "ons").glob("*.zip")), con)
    loaders.load_public_bodies(reg / "public_bodies" / "local-authority.csv", con)
    truth = json.loads((world / "truth.json").read_text("utf-8"))
    entries = [{"council_gss": f["council_gss"], "period_label": f["link_period"], "url": "http://127.0.0.1" + f["path"],
                "path": world / ("site_edition2" if f["edition"] == 2 else "site") / f["path"].lstrip("/"),
                "published_on": f.get("published_on")}
               for f in sorted(truth["files"], key=lambda f: (f["council_gss"], f["edition"], f["path"]))
               if f["edition"] <= edition]
    return load_spend_files(con, entries, load_registry(world / "registry.csv", base_url="http://127.0.0.1"))


@dataclass
class Evaluation:
    detected: list[dict]
    planted: list[dict]
    matches: list[tuple[dict, dict]] = field(default_factory=list)
    false_positives: list[dict] = field(default_factory=list)
    false_negatives: list[dict] = field(default_factory=list)

    def by_type(self) -> list[dict]:
        rows = []
        for kind in EVENT_TYPES:
            tp = sum(1 for d, _ in self.matches if d["event_type"] == kind)
            fp = sum(1 for d in self.false_positives if d["event_type"] == kind)
            fn = sum(1 for t in self.false_negatives if t["event_type"] == kind)
            rows.append({"event_type": kind, "planted": tp + fn, "detected": tp + fp, "matched": tp,
                         "precision": tp / (tp + fp) if tp + fp else None,
                         "recall": tp / (tp + fn) if tp + fn else None})
        return rows

    def calibration(self) -> list[dict]:
        right = {id(d) for d, _ in self.matches}
        rows = []
        for low, high in zip(CONFIDENCE_BINS, CONFIDENCE_BINS[1:]):
            members = [d for d in self.detected if low <= (d["confidence"] or 0) < high]
            correct = sum(1 for d in members if id(d) in right)
            rows.append({"confidence": f"{low:.1f}-{min(high, 1.0):.1f}", "events": len(members), "right": correct,
                         "precision": correct / len(members) if members else None})
        high = [d for d in self.detected if (d["confidence"] or 0) >= 0.8]
        rows.append({"confidence": ">= 0.8", "events": len(high), "right": sum(1 for d in high if id(d) in right),
                     "precision": (sum(1 for d in high if id(d) in right) / len(high)) if high else None})
        return rows


def match(detected: list[dict], planted: list[dict], tolerance: int = 1) -> Evaluation:
    pairs, extra, missed = match_events(detected, planted, tolerance)
    return Evaluation(detected, planted, pairs, extra, missed)


def detected_events(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rel = con.execute("""select council_gss, council_name, service, event_type, start_month, from_supplier, to_supplier,
                                successor_kind, failure_basis, months_observed_before, months_observed_after,
                                confidence
                         from marts.sourcing_events order by council_gss, service, start_month, event_type""")
    names = [c[0] for c in rel.description]
    return [dict(zip(names, row)) for row in rel.fetchall()]


def evaluate(con: duckdb.DuckDBPyConnection, truth: dict, tolerance: int = 1) -> Evaluation:
    return match(detected_events(con), truth["events"], tolerance)


def _pct(value: float | None) -> str:
    return "   -" if value is None else f"{value:4.2f}"


def report(ev: Evaluation, title: str) -> str:
    lines = [title, "", f"  {'event type':18} {'planted':>7} {'detected':>8} {'matched':>7} {'precision':>9} {'recall':>6}"]
    for r in ev.by_type():
        lines.append(f"  {r['event_type']:18} {r['planted']:7} {r['detected']:8} {r['matched']:7} "
                     f"{_pct(r['precision']):>9} {_pct(r['recall']):>6}")
    tp, n_d, n_t = len(ev.matches), len(ev.detected), len(ev.planted)
    lines.append(f"  {'all':18} {n_t:7} {n_d:8} {tp:7} {_pct(tp / n_d if n_d else None):>9} "
                 f"{_pct(tp / n_t if n_t else None):>6}")
    lines += ["", "  calibration (detected events by confidence)", f"  {'confidence':10} {'events':>6} {'right':>5} {'precision':>9}"]
    for r in ev.calibration():
        lines.append(f"  {r['confidence']:10} {r['events']:6} {r['right']:5} {_pct(r['precision']):>9}")
    if ev.false_positives:
        lines += ["", "  detected, not planted:"]
        for d in ev.false_positives:
            lines.append(f"    {d['event_type']:16} {d['council_name']} {d['service']} {str(d['start_month'])[:7]} "
                         f"{d['from_supplier'] or '-'} -> {d['to_supplier'] or '-'} (confidence {d['confidence']})")
    if ev.false_negatives:
        lines += ["", "  planted, not detected:"]
        for t in ev.false_negatives:
            lines.append(f"    {t['event_type']:16} {t['council_gss']} {t['service']} {t['start_month']} "
                         f"{t['from_name'] or '-'} -> {t['to_name'] or '-'}")
    return "\n".join(lines)


def run(seed: int, options_name: str, work: Path) -> tuple[Evaluation, dict, dict]:
    from pipelines.sample import generate
    from pipelines.sample.plan import DEMO_OPTIONS, EVALUATION_OPTIONS

    options = {"demo": DEMO_OPTIONS, "evaluation": EVALUATION_OPTIONS}[options_name]
    started = time.perf_counter()
    truth = generate(work / "world", seed=seed, options=options)
    db = work / "evaluation.duckdb"
    db.unlink(missing_ok=True)  # a fresh warehouse: an old world's publications must not mix with this one's
    con = duckdb.connect(str(db))
    try:
        counts = load_world(work / "world", con)
        ev = evaluate(con, truth)
    finally:
        con.close()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return ev, truth, counts


def evidence_pairs(con: duckdb.DuckDBPyConnection, truth: dict, params: dict) -> list[tuple[float, bool]]:
    """(evidence score, matched a planted event) for every event detected with `params` (marts rebuilt)."""
    from pipelines.marts.build import build_marts

    build_marts(con, {"as_of": dt.date.fromisoformat(truth["period"]["end"]) + dt.timedelta(days=1), **params})
    rel = con.execute("""select m.council_gss, m.council_name, m.service, m.event_type, m.start_month, m.from_supplier,
                                m.to_supplier, m.confidence, d.evidence_score
                         from marts.sourcing_events as m join event_detected as d using (event_id)""")
    names = [c[0] for c in rel.description]
    detected = [dict(zip(names, row)) for row in rel.fetchall()]
    ev = match(detected, truth["events"])
    right = {id(d) for d, _ in ev.matches}
    return [(float(d["evidence_score"]), id(d) in right) for d in detected]


def fit_logistic(pairs: list[tuple[float, bool]], ridge: float = 0.1) -> tuple[float, float]:
    """Intercept and slope of P(right) = 1 / (1 + exp(-(a + b * evidence))), by Newton's method with a small ridge
    penalty (the classes can be almost separable; the penalty keeps the curve from becoming a step). Evidence is
    capped at 30 decades: beyond that it adds nothing."""
    import numpy as np

    x = np.minimum(np.array([e for e, _ in pairs]), 30.0)
    y = np.array([1.0 if ok else 0.0 for _, ok in pairs])
    beta = np.zeros(2)
    design = np.column_stack([np.ones_like(x), x])
    for _ in range(100):
        p = 1 / (1 + np.exp(-(design @ beta)))
        gradient = design.T @ (y - p) - ridge * np.array([0.0, beta[1]])
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + ridge * np.diag([0.0, 1.0])
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if np.abs(step).max() < 1e-9:
            break
    return float(beta[0]), float(beta[1])


def calibrate(seeds: tuple[int, ...], work: Path) -> dict:
    """Fit the confidence curve on calibration worlds; returns the curve and the evidence table it came from."""
    from pipelines.sample import generate
    from pipelines.sample.plan import EVALUATION_OPTIONS

    pairs: list[tuple[float, bool]] = []
    for seed in seeds:
        truth = generate(work / f"world_{seed}", seed=seed, options=EVALUATION_OPTIONS)
        db = work / f"calibration_{seed}.duckdb"
        db.unlink(missing_ok=True)
        con = duckdb.connect(str(db))
        try:
            load_world(work / f"world_{seed}", con)
            for params in CALIBRATION_PARAMS:
                pairs += evidence_pairs(con, truth, params)
        finally:
            con.close()
    intercept, slope = fit_logistic(pairs)
    table = []
    for low, high in ((0, 2), (2, 4), (4, 6), (6, 8), (8, 10), (10, 15), (15, 1e9)):
        members = [ok for e, ok in pairs if low <= e < high]
        table.append({"evidence": f"{low}-{high if high < 1e9 else ''}", "events": len(members),
                      "right": sum(members), "share_right": sum(members) / len(members) if members else None})
    return {"seeds": list(seeds), "events": len(pairs), "confidence_intercept": round(intercept, 3),
            "confidence_slope": round(slope, 3), "by_evidence": table}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=EVALUATION_SEED)
    parser.add_argument("--options", choices=("evaluation", "demo"), default="evaluation")
    parser.add_argument("--work", type=Path, default=None, help="keep the world and warehouse here")
    parser.add_argument("--json", action="store_true", help="print the tables as JSON")
    parser.add_argument("--calibrate", action="store_true", help="fit the confidence curve on calibration worlds")
    parser.add_argument("--seeds", default=",".join(map(str, CALIBRATION_SEEDS)), help="calibration world seeds")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.calibrate:
            print(json.dumps(calibrate(tuple(int(s) for s in args.seeds.split(",")), work), indent=1))
            return 0
        ev, truth, counts = run(args.seed, args.options, work)
    if args.json:
        print(json.dumps({"by_type": ev.by_type(), "calibration": ev.calibration(), **counts}, indent=1, default=str))
    else:
        print(report(ev, f"Sourcing events on the {args.options} world (seed {args.seed}): {counts}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
