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


def load_world(world: Path, con: duckdb.DuckDBPyConnection, edition: int = 1) -> dict:
    """Registers and every published spending file of a generated world into `con`, then suppliers, core and
    marts (event parameters at their defaults). Returns load counts."""
    import polars as pl

    from pipelines import sqlfiles
    from pipelines.marts.build import build_core, build_marts
    from pipelines.registry import council_hints, load_registry
    from pipelines.spend.load import apply_supersession, load_publication, quarantine
    from pipelines.spend.parse import parse_spend
    from pipelines.suppliers import registers as loaders
    from pipelines.suppliers.build import build_suppliers
    from pipelines.warehouse import apply_ddl

    apply_ddl(con)
    reg = world / "site" / "registers"
    loaders.load_companies_house(next((reg / "companies_house").glob("BasicCompanyData*.zip")), con)
    loaders.load_psc([next((reg / "companies_house").glob("persons-with-significant-control*.zip"))], con)
    loaders.load_charities(reg / "charity_commission" / "publicextract.charity.zip", con)
    loaders.load_postcodes(next((reg / "ons").glob("*.zip")), con)
    loaders.load_public_bodies(reg / "public_bodies" / "local-authority.csv", con)

    truth = json.loads((world / "truth.json").read_text("utf-8"))
    councils = load_registry(world / "registry.csv", base_url="http://127.0.0.1")
    con.register("councils_df", councils.to_arrow())
    sqlfiles.execute(con, "registry/replace_councils")
    con.unregister("councils_df")
    by_gss = {c["gss"]: c for c in councils.iter_rows(named=True)}
    files = [f for f in truth["files"] if f["edition"] <= edition]
    files.sort(key=lambda f: (f["council_gss"], f["edition"], f["path"]))
    loaded = rejected = 0
    for entry in files:
        root = world / ("site_edition2" if entry["edition"] == 2 else "site")
        data = (root / entry["path"].lstrip("/")).read_bytes()
        council = by_gss[entry["council_gss"]]
        hints = dict(council_hints(council))
        for key in ("threshold", "amount_basis", "cadence"):
            if council.get(key):
                hints.setdefault(key, council[key])
        hints.update({"period_label": entry["link_period"], "link_text": entry["link_period"], "dataset_kind": "spend"})
        url = "http://127.0.0.1" + entry["path"]
        result = parse_spend(data, filename=entry["path"].rsplit("/", 1)[-1], council_gss=council["gss"],
                             hints=hints, source_url=url)
        sha = hashlib.sha256(data).hexdigest()
        if getattr(result, "kind", "spend") != "spend":
            quarantine(con, council_gss=council["gss"], source_url=url, source_sha256=sha,
                       reason_code=result.reason_code or "rejected", reason=result.reason,
                       link_text=entry["link_period"], period_label=entry["link_period"])
            rejected += 1
            continue
        fetched = dt.datetime.combine(dt.date.fromisoformat(entry.get("published_on") or "2025-05-01"), dt.time(9))
        load_publication(con, council["gss"], entry["link_period"], result,
                         {"sha256": sha, "source_url": url, "link_text": entry["link_period"],
                          "fetched_at": fetched, "dataset_kind": "spend"})
        loaded += 1
    for gss in by_gss:
        apply_supersession(con, gss)
    build_suppliers(con)
    build_core(con, councils.select(pl.all()))
    build_marts(con, {"as_of": dt.date.fromisoformat(truth["period"]["end"]) + dt.timedelta(days=1)})
    return {"files_loaded": loaded, "files_rejected": rejected}


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
