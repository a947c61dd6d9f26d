"""Contracts, planted sourcing events and background noise of the sample world.

A contract is a supplier paid for one service by one council month after month, with amounts that vary a lot
(log-normal), now and then no invoice in a month (paid late, or a quiet month) or two. Planted events are built
from contracts: a relet ends one supplier's contract and starts another's, an insourcing hands the work to the
council's own company or to the council itself, an exit ends a contract with no successor, an outsourcing starts
one where nobody external was paid, a supplier failure ends a failing group's contracts at every council at once.
No event is planted at the council that recodes its ledger. The background is built to look like events and must
not produce any: contractors paid every month with dips,
seasonal contractors, a three-month pause, months a council never published, a council that recodes its
services when it changes ledger, and a contractor whose published name changes spelling.

Everything is drawn from the generator's one `random.Random` in a fixed order. `WorldOptions` is what differs
between the demo world and the evaluation world (`EVALUATION_OPTIONS`, generated with another seed, so the
detection cannot be tuned to one world).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pipelines.sample.world import (
    CARRICK_CONTRACTS, COLLAPSE_MONTH, COUNCIL_BY_GSS, COUNCILS, ERROR_MONTH, EXCLUDED_SERVICES, INSOURCING,
    LATE_MONTH, OUTSOURCING, RECURRING, SupplierFactory, month_key, months,
)

MONTH_KEYS = [month_key(y, m) for y, m in months()]
# random events fall after a year of data (what a stop's or start's lookback needs) and early enough to be
# confirmed: a start needs six published months after it, a contractor paid every month four unpaid ones
LAST_START, LAST_STOP = len(MONTH_KEYS) - 7, len(MONTH_KEYS) - 5
EVENT_TYPES = ("outsourcing", "insourcing", "relet", "exit", "supplier_failure")


def index_of(month: str) -> int:
    return MONTH_KEYS.index(month)


@dataclass(frozen=True)
class WorldOptions:
    """What the generator plants and how hard the background is."""

    name: str = "demo"
    random_events_per_type: int = 2     # relets, exits, insourcings, outsourcings planted at random slots
    background_contracts: tuple[int, int] = (1, 2)  # extra contractors per council paid every month
    amount_sigma: float = 0.5           # log-normal spread of a contractor's monthly invoices (CV about 0.53)
    dip_rate: float = 0.06              # share of months a contractor sends no invoice
    double_rate: float = 0.15           # share of months paid in two invoices
    publication_gap: tuple[str, tuple[str, ...]] | None = ("E08000035", ("2023-11", "2023-12", "2024-01"))
    recode: tuple[str, str] | None = ("E07000041", "2024-04")  # council and month its new ledger starts
    name_switch: tuple[str, str, str] | None = ("E06000052", "kernow_waste", "2023-10")
    seasonal: tuple[tuple[str, str, tuple[int, ...]], ...] = (
        ("E10000008", "Highways", (10, 11, 12, 1, 2, 3)),   # winter gritting, October to March
        ("E08000035", "Leisure", (5, 6, 7, 8, 9)),           # an outdoor lido, May to September
    )
    pause: tuple[str, str, int] | None = ("E09000022", "2023-06", 3)  # a contractor unpaid 3 months, then back
    register_failure: bool = True       # a company in liquidation (register) that one council stops paying
    group_failure: bool = False         # a second group failing at several councils before the register shows it
    exit_before_failure: bool = False   # a supplier that leaves one council long before it fails at another


DEMO_OPTIONS = WorldOptions()
EVALUATION_OPTIONS = WorldOptions(
    name="evaluation",
    random_events_per_type=10,
    background_contracts=(2, 3),
    amount_sigma=0.7,
    dip_rate=0.1,
    double_rate=0.25,
    publication_gap=("E06000052", ("2023-02", "2023-03", "2023-04")),
    recode=("E09000022", "2023-10"),
    name_switch=("E08000035", "aire_waste", "2024-02"),
    seasonal=(("E10000017", "Highways", (10, 11, 12, 1, 2, 3)), ("E08000003", "Leisure", (4, 5, 6, 7, 8, 9)),
              ("E06000052", "Highways", (11, 12, 1, 2, 3))),
    pause=("E07000120", "2023-09", 3),
    register_failure=True,
    group_failure=True,
    exit_before_failure=True,
)

# services planted events may use; "Corporate Finance" is where public bodies are paid
EVENT_SERVICES = ("Waste", "Highways", "Adult Social Care", "Children's Services", "Housing", "Leisure", "ICT",
                  "Facilities", "Construction", "Consultancy", "Libraries")
TRADE_WORDS = {
    "Waste": "Waste Services", "Highways": "Highway Services", "Adult Social Care": "Care Services",
    "Children's Services": "Family Services", "Housing": "Housing Services", "Leisure": "Leisure Trust Services",
    "ICT": "Digital Services", "Facilities": "Facilities Services", "Construction": "Building Contractors",
    "Consultancy": "Management Consultants", "Libraries": "Library Services",
}
CONTRACTOR_WORDS = ["Northfield", "Oakham", "Bramley", "Castleton", "Fairhaven", "Greystone", "Hollins", "Kingsway",
                    "Longridge", "Marlow", "Newbold", "Ashcombe", "Redcliffe", "Stanway", "Thornbury", "Upton",
                    "Westgate", "Yardley", "Ellison", "Pendrell", "Quayside", "Rowntree", "Sedgwick", "Trenholme",
                    "Whitlock", "Alderley", "Beaumont", "Carrow", "Dunmore", "Elstow"]
CONTRACTOR_SUFFIX = ["Ltd", "Limited", "Group Ltd", "Partnership Ltd", "UK Ltd"]


@dataclass
class Contract:
    """A supplier paid by one council for one service in every month from `first` to `last` (month indexes).

    Contracts that end in a planted event run from the first month of the data: one starting mid-series would
    itself be an outsourcing nobody planted."""

    council_gss: str
    supplier_key: str
    service: str
    first: int
    last: int
    mean: int                                   # pounds a month, before the log-normal spread
    season: frozenset[int] | None = None        # calendar months paid (seasonal contractors)
    pause: tuple[int, int] | None = None        # months (first, last) deliberately unpaid
    dips: bool = True                           # random missing months (never the first or last month)


@dataclass
class PlantedEvent:
    event_type: str
    council_gss: str
    service: str
    start: int                                  # month index of start_month
    from_key: str | None
    to_key: str | None
    successor_kind: str | None = None           # external | council_company | council_itself


@dataclass
class Plan:
    contracts: list[Contract] = field(default_factory=list)
    events: list[PlantedEvent] = field(default_factory=list)
    excluded: dict[str, set[str]] = field(default_factory=dict)  # council -> services generic lines never use
    contract_only: set[str] = field(default_factory=set)         # suppliers paid only through contracts
    unpublished: dict[str, set[str]] = field(default_factory=dict)  # council -> months never published
    recode: tuple[str, str] | None = None
    name_switch: tuple[str, str, str] | None = None
    decoys: list[dict] = field(default_factory=list)             # background patterns that must not be events


class Planner:
    def __init__(self, rng: random.Random, factory: SupplierFactory, options: WorldOptions):
        self.rng = rng
        self.f = factory
        self.options = options
        self.plan = Plan(recode=options.recode, name_switch=options.name_switch)
        self.used_slots: set[tuple[str, str]] = set()
        self.names_used: set[str] = {s.canonical_name for s in factory.suppliers.values()}

    # --- suppliers -----------------------------------------------------------------------------------------

    def contractor(self, key: str, council_gss: str, service: str, size: str | None = None, **kw) -> str:
        """A new company in the council's region (or its home area) named after a place word and its trade."""
        council = COUNCIL_BY_GSS[council_gss]
        lad = self.rng.choice(council.home_lads)
        while True:  # unique before the legal suffix: "X Ltd" and "X Limited" are one name to a resolver
            word = self.rng.choice(CONTRACTOR_WORDS)  # not the local suppliers' place words: names stay apart
            stem = f"{word} {TRADE_WORDS[service]}"
            if stem.upper() not in self.names_used:
                break
        name = f"{stem} {self.rng.choice(CONTRACTOR_SUFFIX)}"
        self.names_used.update({stem.upper(), name.upper()})
        size = size or self.rng.choice(["sme", "sme", "large"])
        variants = [name, name.upper()]
        if name.endswith(" Ltd"):
            variants.append(name[:-4] + " Limited")
        self.f.company(key, name, lad, service, size, variants=variants, **kw)
        self.plan.contract_only.add(key)
        return key

    def council_company(self, key: str, council_gss: str, service: str) -> str:
        council = COUNCIL_BY_GSS[council_gss]
        place = council.name.replace(" County Council", "").replace(" City Council", "").replace(
            " Borough Council", "").replace("London Borough of ", "").replace(" Council", "")
        name = f"{place} {TRADE_WORDS[service]} Company Ltd"
        self.names_used.add(name.upper())
        self.f.company(key, name, council.home_lads[0], service, "large", accounts_category="FULL",
                       council_owned_by=council_gss)
        self.plan.contract_only.add(key)
        return key

    # --- contracts -----------------------------------------------------------------------------------------

    def contract(self, council_gss: str, key: str, service: str, first: int, last: int, **kw) -> Contract:
        mean = kw.pop("mean", None) or self.rng.choice([12_000, 18_000, 25_000, 40_000, 60_000, 90_000])
        c = Contract(council_gss, key, service, first, last, mean, **kw)
        self.plan.contracts.append(c)
        return c

    def event(self, event_type: str, council_gss: str, service: str, start: int, from_key: str | None,
              to_key: str | None, successor_kind: str | None = None) -> None:
        self.plan.events.append(PlantedEvent(event_type, council_gss, service, start, from_key, to_key,
                                             successor_kind))

    def month(self, gss: str, low: int, high: int) -> int:
        """A month index in [low, high] that the council publishes, as does the month before it, so the event's
        edges are in the data."""
        unpublished = set(self.plan.unpublished.get(gss, set()))
        unpublished |= {m for g, m in (ERROR_MONTH, LATE_MONTH) if g == gss}
        while True:
            index = self.rng.randint(low, high)
            if MONTH_KEYS[index] not in unpublished and MONTH_KEYS[index - 1] not in unpublished:
                return index

    def free_slot(self, exclude_councils: set[str] = frozenset()) -> tuple[str, str]:
        candidates = [(c.gss, s) for c in COUNCILS for s in EVENT_SERVICES
                      if (c.gss, s) not in self.used_slots and c.gss not in exclude_councils]
        slot = self.rng.choice(candidates)
        self.used_slots.add(slot)
        return slot

    # --- the plan ------------------------------------------------------------------------------------------

    def build(self) -> Plan:
        o, rng, last = self.options, self.rng, len(MONTH_KEYS) - 1
        plan = self.plan
        plan.excluded = {gss: set(services) for gss, services in EXCLUDED_SERVICES.items()}
        if o.publication_gap:
            plan.unpublished[o.publication_gap[0]] = set(o.publication_gap[1])

        # the named demo truths
        ins = INSOURCING
        start = index_of(ins["start_month"])
        self.contract(ins["council_gss"], ins["from_supplier"], ins["service"], 0, start - 1, mean=87_000, dips=False)
        self.contract(ins["council_gss"], ins["to_supplier"], ins["service"], start, last, mean=88_000, dips=False)
        self.event("insourcing", ins["council_gss"], ins["service"], start, ins["from_supplier"],
                   ins["to_supplier"], "council_company")
        out = OUTSOURCING
        start = index_of(out["start_month"])
        self.contract(out["council_gss"], out["to_supplier"], out["service"], start, last, mean=27_000, dips=False)
        self.event("outsourcing", out["council_gss"], out["service"], start, None, out["to_supplier"], "external")
        collapse = index_of(COLLAPSE_MONTH)
        for gss, key in CARRICK_CONTRACTS.items():
            service = self.f.suppliers[key].service
            self.contract(gss, key, service, 0, collapse - 1, mean=35_000, dips=False)
            self.event("supplier_failure", gss, service, collapse, key, None)
        for gss, contracts in RECURRING.items():
            for key, service in contracts:
                self.contract(gss, key, service, 0, last, mean=37_000)
        for slot in [(ins["council_gss"], ins["service"]), (out["council_gss"], out["service"]),
                     *((gss, self.f.suppliers[k].service) for gss, k in CARRICK_CONTRACTS.items()),
                     *((gss, s) for gss, cs in RECURRING.items() for _, s in cs)]:
            self.used_slots.add(slot)
        recode_council = {o.recode[0]} if o.recode else set()

        # background: contractors paid every month (with dips), seasonal contractors, a pause
        for council in COUNCILS:
            for i in range(rng.randint(*o.background_contracts)):
                gss, service = self.free_slot({c.gss for c in COUNCILS if c.gss != council.gss})
                key = self.contractor(f"{council.slug}_contract_{i}", gss, service)
                self.contract(gss, key, service, 0, last)
        for n, (gss, service, season) in enumerate(o.seasonal):
            self.used_slots.add((gss, service))
            key = self.contractor(f"seasonal_{n}", gss, service, "sme")
            self.contract(gss, key, service, 0, last, season=frozenset(season), dips=False)
            plan.decoys.append({"pattern": "seasonal", "council_gss": gss, "service": service, "supplier": key,
                                "calendar_months": list(season)})
        if o.pause:
            gss, month, length = o.pause
            service = next(s for s in EVENT_SERVICES if (gss, s) not in self.used_slots)
            self.used_slots.add((gss, service))
            key = self.contractor("paused_contractor", gss, service)
            p = index_of(month)
            self.contract(gss, key, service, 0, last, pause=(p, p + length - 1), dips=False)
            plan.decoys.append({"pattern": "pause", "council_gss": gss, "service": service, "supplier": key,
                                "unpaid": [MONTH_KEYS[p], MONTH_KEYS[p + length - 1]]})
        if o.name_switch:
            plan.decoys.append({"pattern": "name_switch", "council_gss": o.name_switch[0],
                                "supplier": o.name_switch[1], "from_month": o.name_switch[2]})
        if o.recode:
            plan.decoys.append({"pattern": "recode", "council_gss": o.recode[0], "from_month": o.recode[1]})
        if o.publication_gap:
            plan.decoys.append({"pattern": "publication_gap", "council_gss": o.publication_gap[0],
                                "months": list(o.publication_gap[1])})

        # failures besides Carrick
        if o.register_failure:
            gss, service = self.free_slot(recode_council)
            key = self.contractor("failed_company", gss, service, "sme", status="Liquidation")
            stop = self.month(gss, 14, 26)
            self.contract(gss, key, service, 0, stop - 1, dips=False)
            self.event("supplier_failure", gss, service, stop, key, None)
        if o.group_failure:
            parent = "hartwell_group"
            self.f.company(parent, "Hartwell Holdings plc", "E08000025", "Facilities", "large",
                           accounts_category="GROUP", group="Hartwell Group", sic="70100 - Activities of head offices")
            plan.contract_only.add(parent)
            stop = rng.randint(16, 24)
            edges = {MONTH_KEYS[stop], MONTH_KEYS[stop - 1]}
            published = [c.gss for c in COUNCILS if c.gss not in recode_council
                         and not edges & (plan.unpublished.get(c.gss, set())
                                          | {m for g, m in (ERROR_MONTH, LATE_MONTH) if g == c.gss})]
            councils = rng.sample(published, 4)
            for n, gss in enumerate(councils):
                slot = next((gss, s) for s in rng.sample(EVENT_SERVICES, len(EVENT_SERVICES))
                            if (gss, s) not in self.used_slots)
                self.used_slots.add(slot)
                key = f"hartwell_{n}"
                self.contractor(key, gss, slot[1], "large", group="Hartwell Group", parent=parent)
                self.contract(gss, key, slot[1], 0, stop - 1, dips=False)
                self.event("supplier_failure", gss, slot[1], stop, key, None)
        if o.exit_before_failure:
            a_gss, a_service = self.free_slot(recode_council)
            key = self.contractor("late_failure", a_gss, a_service, "sme", status="In Administration")
            exit_at = self.month(a_gss, 13, 18)
            self.contract(a_gss, key, a_service, 0, exit_at - 1, dips=False)
            self.event("exit", a_gss, a_service, exit_at, key, None)
            b_gss, _ = self.free_slot(recode_council | {a_gss})
            self.used_slots.add((b_gss, a_service))
            fail_at = self.month(b_gss, exit_at + 8, 30)
            self.contract(b_gss, key, a_service, 0, fail_at - 1, dips=False)
            self.event("supplier_failure", b_gss, a_service, fail_at, key, None)

        # random relets, exits, insourcings and outsourcings
        n = o.random_events_per_type
        for i in range(n):
            self._relet(i, recode_council)
            self._exit(i, recode_council)
            self._insourcing(i, recode_council)
            self._outsourcing(i, recode_council)
        return plan

    def _handover(self) -> int:
        """Months between the predecessor's last month and the successor's first, less one: -1 overlap, 0, +1 gap."""
        return self.rng.choice([-1, 0, 0, 0, 1])

    def _relet(self, i: int, avoid: set[str]) -> None:
        gss, service = self.free_slot(avoid)
        start = self.month(gss, 13, LAST_START)
        old = self.contractor(f"relet_{i}_old", gss, service)
        new = self.contractor(f"relet_{i}_new", gss, service)
        self.contract(gss, old, service, 0, start - 1 + self._handover(), dips=False)
        self.contract(gss, new, service, start, len(MONTH_KEYS) - 1, dips=False)
        self.event("relet", gss, service, start, old, new, "external")

    def _exit(self, i: int, avoid: set[str]) -> None:
        gss, service = self.free_slot(avoid)
        stop = self.month(gss, 13, LAST_STOP)
        key = self.contractor(f"exit_{i}", gss, service)
        self.contract(gss, key, service, 0, stop - 1, dips=False)
        self.event("exit", gss, service, stop, key, None)

    def _insourcing(self, i: int, avoid: set[str]) -> None:
        # the first goes to the council itself (its trading account invoices the service), where a council can
        # be paid under its own name; the others to a company the council owns
        selves = {s.public_gss: k for k, s in self.f.suppliers.items() if s.org_type == "public_body" and s.public_gss}
        itself = None
        if i == 0:
            gss, service = self.free_slot(avoid | {c.gss for c in COUNCILS if c.gss not in selves})
            itself = selves[gss]
        else:
            gss, service = self.free_slot(avoid)
        start = self.month(gss, 13, LAST_START)
        old = self.contractor(f"insourced_{i}", gss, service)
        council = COUNCIL_BY_GSS[gss]
        if itself:
            successor, kind = itself, "council_itself"
        else:
            successor, kind = self.council_company(f"{council.slug}_company_{i}", gss, service), "council_company"
        self.contract(gss, old, service, 0, start - 1 + self._handover(), dips=False)
        self.contract(gss, successor, service, start, len(MONTH_KEYS) - 1, dips=False)
        self.event("insourcing", gss, service, start, old, successor, kind)

    def _outsourcing(self, i: int, avoid: set[str]) -> None:
        gss, service = self.free_slot(avoid)
        start = self.month(gss, 13, LAST_START)
        key = self.contractor(f"outsourced_{i}", gss, service)
        self.plan.excluded.setdefault(gss, set()).add(service)  # nobody external was paid for it before
        self.contract(gss, key, service, start, len(MONTH_KEYS) - 1, dips=False)
        self.event("outsourcing", gss, service, start, None, key, "external")


def plan_world(rng: random.Random, factory: SupplierFactory, options: WorldOptions) -> Plan:
    return Planner(rng, factory, options).build()
