"""The sample world's model: councils, areas and postcodes, suppliers, and every payment line.

Everything is drawn from one `random.Random(seed)` in a fixed order, so one seed always gives the same world.
Councils, GSS codes and regions are real; suppliers, postcodes and amounts are invented. The contracts and the
planted sourcing events (`plan.py`: the named insourcing, outsourcing and Carrick group collapse, and relets,
exits, insourcings, outsourcings and failures at random slots) are written into the lines here, and the truth
metrics are computed from these same lines in the builder.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

FIRST_MONTH = (2022, 4)
MONTH_COUNT = 36
NO_COUNTY = "E99999999"  # NSPL pseudo code: no county (unitary, metropolitan, London)

REGIONS = {
    "E12000001": "North East", "E12000002": "North West", "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands", "E12000005": "West Midlands", "E12000006": "East of England",
    "E12000007": "London", "E12000008": "South East", "E12000009": "South West",
}


def months() -> list[tuple[int, int]]:
    y, m = FIRST_MONTH
    out = []
    for _ in range(MONTH_COUNT):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_key(y: int, m: int) -> str:
    return f"{y}-{m:02d}"


def financial_year(y: int, m: int) -> str:
    start = y if m >= 4 else y - 1
    return f"{start}-{(start + 1) % 100:02d}"


def fy_quarter(y: int, m: int) -> str:
    """`YYYY-Qn` with YYYY the financial year's first calendar year (Q1 = April-June)."""
    start = y if m >= 4 else y - 1
    return f"{start}-Q{((m - 4) % 12) // 3 + 1}"


# --- areas: a LAD with its county (two-tier only) and region, and outward codes used for postcodes ---------

@dataclass(frozen=True)
class Area:
    lad_gss: str
    name: str
    county_gss: str | None
    region_gss: str
    outwards: tuple[str, ...]


AREAS = {a.lad_gss: a for a in [
    Area("E07000041", "Exeter", "E10000008", "E12000009", ("EX1", "EX2", "EX4")),
    Area("E07000040", "East Devon", "E10000008", "E12000009", ("EX10", "EX14")),
    Area("E07000045", "Teignbridge", "E10000008", "E12000009", ("TQ12", "TQ13")),
    Area("E06000023", "Bristol, City of", None, "E12000009", ("BS1", "BS2", "BS5")),
    Area("E06000052", "Cornwall", None, "E12000009", ("TR1", "PL25", "TR15")),
    Area("E06000026", "Plymouth", None, "E12000009", ("PL1", "PL4")),
    Area("E08000003", "Manchester", None, "E12000002", ("M1", "M4", "M13")),
    Area("E08000006", "Salford", None, "E12000002", ("M5", "M6")),
    Area("E08000035", "Leeds", None, "E12000003", ("LS1", "LS9", "LS11")),
    Area("E08000032", "Bradford", None, "E12000003", ("BD1", "BD3")),
    Area("E09000022", "Lambeth", None, "E12000007", ("SE11", "SW9", "SE27")),
    Area("E09000028", "Southwark", None, "E12000007", ("SE1", "SE15")),
    Area("E09000033", "Westminster", None, "E12000007", ("SW1P", "W1D")),
    Area("E07000120", "Hyndburn", "E10000017", "E12000002", ("BB5",)),
    Area("E07000123", "Preston", "E10000017", "E12000002", ("PR1", "PR2")),
    Area("E07000117", "Burnley", "E10000017", "E12000002", ("BB11",)),
    Area("E08000025", "Birmingham", None, "E12000005", ("B1", "B4")),
    Area("E06000038", "Reading", None, "E12000008", ("RG1",)),
    Area("E06000018", "Nottingham", None, "E12000004", ("NG1",)),
    Area("E08000021", "Newcastle upon Tyne", None, "E12000001", ("NE1",)),
    Area("E07000008", "Cambridge", "E10000003", "E12000006", ("CB1",)),
    Area("E06000042", "Milton Keynes", None, "E12000008", ("MK9",)),
]}


# --- councils ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Council:
    gss: str
    name: str
    type: str  # county | district | unitary | metropolitan | london_borough
    region_gss: str
    county_gss: str | None
    slug: str
    layout: str
    discovery: str  # html | ckan
    landing_path: str
    home_lads: tuple[str, ...]  # where its local suppliers sit
    lines_per_month: tuple[int, int]
    website: str

    @property
    def county_area(self) -> str:
        return self.county_gss if self.type == "district" else self.gss


COUNCILS = [
    Council("E10000008", "Devon County Council", "county", "E12000009", None, "devon", "devon_monthly_csv", "html",
            "/councils/devon/spending-over-500", ("E07000041", "E07000040", "E07000045"), (50, 80),
            "https://www.devon.gov.uk"),
    Council("E07000041", "Exeter City Council", "district", "E12000009", "E10000008", "exeter",
            "exeter_quarterly_csv", "html", "/councils/exeter/council-and-democracy/transparency/spending",
            ("E07000041",), (30, 45), "https://www.exeter.gov.uk"),
    Council("E06000023", "Bristol City Council", "unitary", "E12000009", None, "bristol", "bristol_yearly_xlsx",
            "html", "/councils/bristol/council-spending-and-performance/spending-over-500",
            ("E06000023",), (45, 70), "https://www.bristol.gov.uk"),
    Council("E08000003", "Manchester City Council", "metropolitan", "E12000002", None, "manchester",
            "manchester_monthly_cr_csv", "html", "/councils/manchester/spending-over-500",
            ("E08000003",), (50, 80), "https://www.manchester.gov.uk"),
    Council("E08000035", "Leeds City Council", "metropolitan", "E12000003", None, "leeds", "leeds_lga_csv", "ckan",
            "/councils/leeds/council-spending", ("E08000035",), (50, 80), "https://www.leeds.gov.uk"),
    Council("E09000022", "London Borough of Lambeth", "london_borough", "E12000007", None, "lambeth",
            "lambeth_quarterly_zip", "html", "/councils/lambeth/about-council/transparency/payments-over-500",
            ("E09000022",), (40, 60), "https://www.lambeth.gov.uk"),
    Council("E06000052", "Cornwall Council", "unitary", "E12000009", None, "cornwall", "cornwall_padded_csv",
            "html", "/councils/cornwall/council-and-democracy/spending-over-500", ("E06000052",), (45, 70),
            "https://www.cornwall.gov.uk"),
    Council("E07000120", "Hyndburn Borough Council", "district", "E12000002", "E10000017", "hyndburn",
            "hyndburn_cp1252_csv", "html", "/councils/hyndburn/download/expenditure-over-500",
            ("E07000120",), (30, 45), "https://www.hyndburnbc.gov.uk"),
    Council("E10000017", "Lancashire County Council", "county", "E12000002", None, "lancashire",
            "lancashire_monthly_csv", "html", "/councils/lancashire/council-transparency/spending-over-500",
            ("E07000120", "E07000123", "E07000117"), (50, 80), "https://www.lancashire.gov.uk"),
]
COUNCIL_BY_GSS = {c.gss: c for c in COUNCILS}

SERVICES = {
    # service -> (department text, expense types)
    "Waste": ("Environment - Waste Management", ("Waste Collection Contract", "Waste Disposal Charges")),
    "Highways": ("Highways and Transport", ("Highway Maintenance", "Highways Resurfacing Works")),
    "Adult Social Care": ("Adult Social Care", ("Residential Care Placements", "Home Care Services")),
    "Children's Services": ("Children's Services", ("Foster Care Allowances", "Independent Fostering Agency")),
    "Housing": ("Housing Services", ("Temporary Accommodation", "Housing Repairs")),
    "Leisure": ("Leisure and Culture", ("Leisure Centre Management Fee", "Leisure Equipment")),
    "ICT": ("ICT Services", ("ICT Software Licences", "ICT Hardware")),
    "Facilities": ("Facilities Management", ("Facilities Cleaning Services", "Facilities Security")),
    "Construction": ("Capital Programme - Construction", ("Construction Works", "Construction Materials")),
    "Consultancy": ("Corporate Consultancy", ("Consultancy Fees", "Professional Consultancy Services")),
    "Corporate Finance": ("Corporate Finance", ("Payments to Other Public Bodies", "Tax and Levies")),
    "Libraries": ("Libraries and Archives", ("Books and Publications", "Subscriptions")),
}


# --- suppliers ---------------------------------------------------------------------------------------------

@dataclass
class Supplier:
    key: str
    canonical_name: str
    variants: list[str]  # base spellings used in spend files (transformed per council/era when written)
    org_type: str  # company | charity | cic | public_body | individual | redacted | other
    size: str  # sme | large | unknown
    vcse: bool
    service: str
    postcode: str | None = None
    lad_gss: str | None = None
    company_number: str | None = None
    charity_number: str | None = None
    charity_type: str | None = None  # Charitable company | CIO | Trust
    accounts_category: str | None = None
    company_category: str | None = None
    sic: str = "82990 - Other business support service activities n.e.c."
    vat_number: str | None = None
    group: str | None = None
    council_owned_by: str | None = None
    public_kind: str | None = None  # council | nhs | police | fire | central
    public_gss: str | None = None
    previous_name: str | None = None
    status: str = "Active"  # Companies House status (Liquidation, In Administration ... for failed companies)
    parent: str | None = None  # key of the group's parent company (its PSC corporate owner)
    published: set[str] = field(default_factory=set)  # every name string written to a spend file

    @property
    def area(self) -> Area | None:
        return AREAS.get(self.lad_gss) if self.lad_gss else None

    @property
    def county_gss(self) -> str | None:
        return self.area.county_gss if self.area else None

    @property
    def region_gss(self) -> str | None:
        return self.area.region_gss if self.area else None

    @property
    def org_id(self) -> str | None:
        if self.org_type in ("company", "cic") and self.company_number:
            return f"GB-COH-{self.company_number}"
        if self.org_type == "charity" and self.charity_number:
            return f"GB-CHC-{self.charity_number}"
        return None


SME_ACCOUNTS = ("MICRO ENTITY", "SMALL", "TOTAL EXEMPTION FULL", "UNAUDITED ABRIDGED", "MEDIUM")
LARGE_ACCOUNTS = ("FULL", "GROUP")

TRADES = {
    "Waste": ["Waste Services", "Recycling", "Skip Hire"],
    "Highways": ["Highways", "Surfacing", "Civil Engineering"],
    "Adult Social Care": ["Care Homes", "Home Care", "Care Services"],
    "Children's Services": ["Fostering", "Children's Homes", "Family Support"],
    "Housing": ["Property Services", "Lettings", "Building Maintenance"],
    "Leisure": ["Leisure", "Sports", "Play Equipment"],
    "ICT": ["IT Solutions", "Software", "Digital"],
    "Facilities": ["Cleaning Services", "Security", "Facilities"],
    "Construction": ["Construction", "Builders", "Roofing"],
    "Consultancy": ["Consulting", "Associates", "Advisory"],
    "Libraries": ["Books", "Publishing", "Archives"],
}
PLACE_WORDS = {
    "E07000041": ["Exe Valley", "Haldon", "Cathedral City", "Riverside Exeter"],
    "E07000040": ["Otter Vale", "Axe Valley"],
    "E07000045": ["Teign", "Dartmoor Edge"],
    "E06000023": ["Avon Gorge", "Severn Vale", "Harbourside", "Clifton"],
    "E06000052": ["Kernow", "Tamar", "Penwith", "Roseland"],
    "E08000003": ["Irwell", "Ancoats", "Deansgate", "Mancunian"],
    "E08000035": ["Aire Valley", "Kirkstall", "Headingley", "Roundhay"],
    "E09000022": ["Brixton", "Kennington", "Vauxhall", "Stockwell"],
    "E07000120": ["Accrington", "Oswaldtwistle", "Hyndburn Vale"],
    "E07000123": ["Ribble", "Preston Dock"],
    "E07000117": ["Pendle Hill", "Burnley Moor"],
}
SUFFIXES = ["Ltd", "Limited", "Ltd", "Services Ltd", "& Sons Ltd", "Ltd"]
FIRST_INITIALS = "ABCDEGHJKLMNPRST"
SURNAMES = ["Smith", "Patel", "Brown", "Jones", "Taylor", "Wilson", "Evans", "Khan", "Roberts", "Walker"]


class SupplierFactory:
    """Draws supplier identities (numbers, postcodes) without collisions."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used_numbers: set[str] = set()
        self.used_postcodes: set[str] = set()
        self.suppliers: dict[str, Supplier] = {}

    @classmethod
    def resume(cls, rng: random.Random, suppliers: dict[str, Supplier]) -> "SupplierFactory":
        """A factory that adds to `suppliers` without reusing their numbers or postcodes."""
        f = cls(rng)
        f.suppliers = suppliers
        for s in suppliers.values():
            f.used_numbers.update(n for n in (s.company_number, s.charity_number) if n)
            if s.postcode:
                f.used_postcodes.add(s.postcode)
        return f

    def postcode(self, lad: str) -> str:
        area = AREAS[lad]
        while True:
            pc = f"{self.rng.choice(area.outwards)} {self.rng.randint(1, 9)}{self.rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" \
                 f"{self.rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            if pc not in self.used_postcodes:
                self.used_postcodes.add(pc)
                return pc

    def company_number(self) -> str:
        while True:
            # below 10,000,000 keeps a leading zero, as most Companies House numbers have
            n = f"{self.rng.randint(1_000_000, 14_999_999):08d}"
            if n not in self.used_numbers:
                self.used_numbers.add(n)
                return n

    def charity_number(self) -> str:
        while True:
            n = str(self.rng.randint(1_000_000, 1_199_999))
            if n not in self.used_numbers:
                self.used_numbers.add(n)
                return n

    def vat(self) -> str:
        return f"{self.rng.randint(100, 999)}{self.rng.randint(1000, 9999)}{self.rng.randint(10, 99)}"

    def add(self, s: Supplier) -> Supplier:
        assert s.key not in self.suppliers, s.key
        if s.lad_gss and not s.postcode:
            s.postcode = self.postcode(s.lad_gss)
        self.suppliers[s.key] = s
        return s

    def company(self, key: str, name: str, lad: str, service: str, size: str, *, variants=None,
                vat: bool = True, **kw) -> Supplier:
        accounts = kw.pop("accounts_category", None) or self.rng.choice(SME_ACCOUNTS if size == "sme"
                                                                         else LARGE_ACCOUNTS)
        category = kw.pop("company_category", None) or ("Public Limited Company" if name.upper().endswith("PLC")
                                                        else "Private Limited Company")
        upper = name.upper()
        base_variants = variants or [name, upper]
        return self.add(Supplier(key, upper, list(base_variants), "company", size, False, service, lad_gss=lad,
                                 company_number=self.company_number(), accounts_category=accounts,
                                 company_category=category, vat_number=self.vat() if vat else None, **kw))


def build_suppliers(rng: random.Random) -> dict[str, Supplier]:
    f = SupplierFactory(rng)
    services = [s for s in TRADES]

    # local SMEs: five to seven per council home area, so every council has local and county-area suppliers
    for council in COUNCILS:
        for i in range(6):
            lad = council.home_lads[i % len(council.home_lads)]
            place = rng.choice(PLACE_WORDS[lad])
            service = services[(i * 3 + len(council.slug)) % len(services)]
            trade = rng.choice(TRADES[service])
            name = f"{place} {trade} {rng.choice(SUFFIXES)}"
            key = f"{council.slug}_local_{i}"
            if any(s.canonical_name == name.upper() for s in f.suppliers.values()):
                name = f"{place} {trade} ({council.slug.title()}) Ltd"
            if i == 5:  # some local traders are unincorporated: no number, so they stay unresolved
                f.add(Supplier(key, name.upper(), [name, name.upper()], "other", "unknown", False, service,
                               lad_gss=lad))
            else:
                f.company(key, name, lad, service, "sme")

    nationals = [
        ("national_ict", "Northgate Civic Systems Ltd", "E06000038", "ICT"),
        ("national_consult", "Pemberton Lyle Consulting LLP", "E09000033", "Consultancy"),
        ("national_care", "Brightwater Care Group Ltd", "E08000025", "Adult Social Care"),
        ("national_fostering", "Horizon Fostering Services Ltd", "E06000018", "Children's Services"),
        ("national_facilities", "Meridian Facilities Management Ltd", "E06000042", "Facilities"),
        ("national_construction", "Stoneway Construction plc", "E08000025", "Construction"),
        ("national_highways", "Ringway Road Services Ltd", "E06000042", "Highways"),
        ("national_housing", "Keyhouse Property Solutions Ltd", "E08000021", "Housing"),
        ("national_waste", "Greencycle Environmental plc", "E07000008", "Waste"),
        ("national_software", "Civica Data Cloud Ltd", "E09000028", "ICT"),
        ("national_energy", "Total Energy Supply Ltd", "E09000033", "Facilities"),
        ("national_books", "Askews Library Supply Ltd", "E07000123", "Libraries"),
        ("national_stationery", "Office Depot Public Sector Ltd", "E06000042", "Facilities"),
    ]
    for key, name, lad, service in nationals:
        f.company(key, name, lad, service, "large")
    # regional SMEs, a few per region the councils sit in
    for key, name, lad, service in [
        ("region_sw_1", "Westcountry Tree Surgeons Ltd", "E06000026", "Highways"),
        ("region_sw_2", "Tamar Valley Consultancy Ltd", "E06000026", "Consultancy"),
        ("region_nw_1", "Red Rose Civil Engineering Ltd", "E08000006", "Highways"),
        ("region_nw_2", "Salford Quays Digital Ltd", "E08000006", "ICT"),
        ("region_yh_1", "Bradford Care Partnership Ltd", "E08000032", "Adult Social Care"),
        ("region_ldn_1", "Bankside Temporary Housing Ltd", "E09000028", "Housing"),
        ("region_ldn_2", "Southwark Security Services Ltd", "E09000028", "Facilities"),
    ]:
        f.company(key, name, lad, service, "sme")

    # the organisation published under many spellings
    f.company("acme", "Acme Limited", "E07000123", "Facilities", "sme",
              variants=["ACME LTD", "Acme Limited", "ACME LTD.", "Acme Ltd T/A Acme Cleaning"],
              sic="81210 - General cleaning of buildings", previous_name="ACME CLEANING SERVICES LIMITED")
    # a real supplier whose name starts like a redaction label
    f.company("redactive", "Redactive Publishing Ltd", "E09000028", "Libraries", "sme",
              variants=["Redactive Publishing Ltd", "REDACTIVE PUBLISHING LIMITED"],
              sic="58142 - Publishing of consumer and business journals and periodicals")

    # charities, CIOs and CICs
    for key, name, lad, service, kind in [
        ("charity_age", "Age Concern Exeter", "E07000041", "Adult Social Care", "Charitable company"),
        ("charity_mind", "Bristol Mind", "E06000023", "Adult Social Care", "Charitable company"),
        ("charity_youth", "Young Devon", "E07000045", "Children's Services", "Charitable company"),
        ("charity_shelter", "St Mungo Community Housing Trust", "E09000022", "Housing", "Trust"),
        ("charity_carers", "Carers Leeds", "E08000035", "Adult Social Care", "Charitable company"),
        ("charity_hyndburn", "Hyndburn Homewise", "E07000120", "Housing", "Trust"),
        ("charity_cornwall", "Cornwall Rural Community Charity", "E06000052", "Adult Social Care", "Trust"),
        ("charity_manc", "Manchester Youth Zone", "E08000003", "Children's Services", "Charitable company"),
        ("charity_national", "Action for Families", "E08000025", "Children's Services", "Charitable company"),
        ("charity_lancs", "Lancashire Wildlife Trust", "E07000123", "Leisure", "Trust"),
        ("cio_foodbank", "Kennington Foodbank CIO", "E09000022", "Housing", "CIO"),
        ("cio_sports", "Aire Valley Sports CIO", "E08000035", "Leisure", "CIO"),
        ("cio_cornwall", "Penwith Community Transport CIO", "E06000052", "Adult Social Care", "CIO"),
    ]:
        # charities with a size signal (an award's scale) are given sme in `notices`; the rest stay unknown
        f.add(Supplier(key, name.upper(), [name, name.upper()], "charity", "unknown", True, service, lad_gss=lad,
                       charity_number=f.charity_number(), charity_type=kind))
    for key, name, lad, service in [
        ("cic_play", "Playful Minds CIC", "E08000003", "Children's Services"),
        ("cic_repair", "Repair Cafe Bristol CIC", "E06000023", "Waste"),
        ("cic_digital", "Digital Inclusion Lambeth CIC", "E09000022", "ICT"),
        ("cic_garden", "Growing Hyndburn CIC", "E07000120", "Leisure"),
        ("cic_transport", "Exe Community Transport CIC", "E07000041", "Adult Social Care"),
    ]:
        f.company(key, name, lad, service, "sme", company_category="Community Interest Company")
        f.suppliers[key].org_type = "cic"
        f.suppliers[key].vcse = True

    # public bodies: other councils, NHS, police, fire, HMRC
    for key, name, lad, kind, gss, variants in [
        ("pub_plymouth", "Plymouth City Council", "E06000026", "council", "E06000026", None),
        ("pub_eastdevon", "East Devon District Council", "E07000040", "council", "E07000040", None),
        ("pub_salford", "Salford City Council", "E08000006", "council", "E08000006", None),
        ("pub_preston", "Preston City Council", "E07000123", "council", "E07000123", None),
        ("pub_southwark", "London Borough of Southwark", "E09000028", "council", "E09000028",
         ["London Borough of Southwark", "SOUTHWARK COUNCIL"]),
        ("pub_devon", "Devon County Council", "E07000041", "council", "E10000008", None),
        ("pub_lancs", "Lancashire County Council", "E07000123", "council", "E10000017", None),
        ("nhs_devon", "Royal Devon University Healthcare NHS Foundation Trust", "E07000041", "nhs", None, None),
        ("nhs_manc", "Manchester University NHS Foundation Trust", "E08000003", "nhs", None, None),
        ("nhs_leeds", "Leeds Teaching Hospitals NHS Trust", "E08000035", "nhs", None, None),
        ("police_dc", "Devon and Cornwall Police", "E07000041", "police", None,
         ["Devon and Cornwall Police", "DEVON & CORNWALL POLICE"]),
        ("police_lancs", "Lancashire Constabulary", "E07000123", "police", None, None),
        ("fire_devon", "Devon and Somerset Fire and Rescue Service", "E07000041", "fire", None, None),
        ("hmrc", "HM Revenue & Customs", "E09000033", "central", None,
         ["HM Revenue & Customs", "HMRC", "H M REVENUE & CUSTOMS"]),
    ]:
        f.add(Supplier(key, name, variants or [name, name.upper()], "public_body", "unknown", False,
                       "Corporate Finance", lad_gss=lad, public_kind=kind, public_gss=gss))

    # individuals (foster carers and the like) and redaction labels: not located, not matched
    for i in range(8):
        name = f"{rng.choice(['Mr', 'Mrs', 'Ms', 'Miss'])} {FIRST_INITIALS[i]} {SURNAMES[i]}"
        f.add(Supplier(f"person_{i}", name, [name], "individual", "unknown", False, "Children's Services"))
    f.add(Supplier("redacted_personal", "REDACTED PERSONAL DATA",
                   ["REDACTED PERSONAL DATA", "Redacted personal information"], "redacted", "unknown", False,
                   "Adult Social Care"))
    f.add(Supplier("redacted_blank", "", [""], "redacted", "unknown", False, "Children's Services"))

    # planted: Carrick Group (collapse), the insourcing pair, the outsourcing entrant
    # collapsed in January 2025: the register (April 2025) shows the parent in administration, the subsidiaries
    # in liquidation
    f.company("carrick_group", "Carrick Group plc", "E08000025", "Facilities", "large", accounts_category="GROUP",
              group="Carrick Group", sic="70100 - Activities of head offices", status="In Administration")
    for key, name, lad, service in [
        ("carrick_facilities", "Carrick Facilities Ltd", "E08000025", "Facilities"),
        ("carrick_construction", "Carrick Construction Ltd", "E08000025", "Construction"),
        ("carrick_highways", "Carrick Highways Ltd", "E06000042", "Highways"),
    ]:
        f.company(key, name, lad, service, "large", accounts_category="FULL", group="Carrick Group",
                  variants=[name, name.upper(), name.replace(" Ltd", " Limited")], status="Liquidation",
                  parent="carrick_group")
    f.company("severnside_waste", "Severnside Waste Services Ltd", "E06000038", "Waste", "large",
              accounts_category="FULL", sic="38110 - Collection of non-hazardous waste")
    f.company("bristol_waste_co", "Bristol Waste Company Ltd", "E06000023", "Waste", "large",
              accounts_category="FULL", council_owned_by="E06000023", sic="38110 - Collection of non-hazardous waste")
    f.company("pennine_leisure", "Pennine Leisure Management Ltd", "E08000006", "Leisure", "sme",
              accounts_category="MEDIUM", sic="93110 - Operation of sports facilities")
    # council contractors paid every month for a service
    f.company("kernow_waste", "Kernow Environmental Services Ltd", "E06000052", "Waste", "large",
              accounts_category="FULL")
    f.company("aire_waste", "Aire Resource Recovery Ltd", "E08000032", "Waste", "large", accounts_category="FULL")
    return f.suppliers


# --- events planted in the lines ---------------------------------------------------------------------------

INSOURCING = {"event_type": "insourcing", "council_gss": "E06000023", "service": "Waste", "start_month": "2023-10",
              "from_supplier": "severnside_waste", "to_supplier": "bristol_waste_co"}
OUTSOURCING = {"event_type": "outsourcing", "council_gss": "E08000003", "service": "Leisure",
               "start_month": "2024-04", "from_supplier": None, "to_supplier": "pennine_leisure"}
COLLAPSE_MONTH = "2025-01"
CARRICK_CONTRACTS = {  # council -> subsidiary paid every month until the collapse
    "E10000008": "carrick_highways", "E06000052": "carrick_facilities", "E10000017": "carrick_highways",
    "E08000003": "carrick_construction", "E07000120": "carrick_facilities",
}
RECURRING = {  # council -> [(supplier, service)] paid monthly all period (besides the planted events)
    "E10000008": [("national_highways", "Highways")],
    "E06000052": [("kernow_waste", "Waste")],
    "E08000035": [("aire_waste", "Waste")],
    "E08000003": [("national_facilities", "Facilities")],
    "E09000022": [("national_housing", "Housing")],
    "E10000017": [("national_care", "Adult Social Care")],
}
LATE_MONTH = ("E07000120", "2025-03")  # Hyndburn March 2025 appears only in edition 2
ERROR_MONTH = ("E10000008", "2023-11")  # Devon's November 2023 link serves an HTML error page
# services a council's generic lines never use, so the planted events are the only signal there
EXCLUDED_SERVICES = {"E06000023": {"Waste"}, "E08000003": {"Leisure"}}
PLANTED_KEYS = {"carrick_group", "carrick_facilities", "carrick_construction", "carrick_highways",
                "severnside_waste", "bristol_waste_co", "pennine_leisure", "kernow_waste", "aire_waste"}
# a council's new ledger (WorldOptions.recode): directorates and cost-centre texts that say little about the
# service, so most suppliers' lines move together to another service of the taxonomy
RECODED_LEDGER = {
    "Adult Social Care": ("People Directorate - Adults", ("Third Party Payments - Adults",)),
    "Children's Services": ("People Directorate - Children", ("Third Party Payments - Children",)),
    "Corporate Finance": ("Resources Directorate", ("Payments to Other Bodies",)),
}
RECODED_OTHER = ("Place Directorate", ("Third Party Payments", "Supplies and Services"))


# --- lines -------------------------------------------------------------------------------------------------

@dataclass
class Line:
    council_gss: str
    month: str  # YYYY-MM of the publication month
    payment_date: dt.date
    supplier_key: str
    amount: Decimal
    service: str
    department: str
    expense_type: str
    transaction_id: str
    line_no: int = 1
    service_label: str | None = None  # the service area text as published (the service unless recoded)
    name_variant: str | None = None  # the supplier spelling this line is published under (else the council's usual)


def council_panel(rng: random.Random, council: Council, suppliers: dict[str, Supplier],
                  excluded: dict[str, set[str]] | None = None, contract_only: set[str] = frozenset()
                  ) -> list[tuple[str, int]]:
    """Suppliers a council pays in its ordinary lines, with weights."""
    excluded_services = (excluded if excluded is not None else EXCLUDED_SERVICES).get(council.gss, set())
    panel: list[tuple[str, int]] = []
    for s in suppliers.values():
        if s.key in PLANTED_KEYS or s.key in contract_only or s.service in excluded_services:
            continue
        if s.key == f"pub_{council.slug}" or s.public_gss == council.gss:
            continue  # a council does not pay itself
        local = s.lad_gss in council.home_lads
        same_county = s.county_gss is not None and s.county_gss == (council.county_gss or council.gss)
        same_region = s.region_gss == council.region_gss
        if s.org_type in ("individual", "redacted"):
            weight = 3
        elif s.key in ("acme", "redactive"):
            weight = 2
        elif local or same_county:
            weight = 6
        elif s.org_type == "public_body":
            weight = 2 if same_region or s.public_kind == "central" else 0
        elif same_region:
            weight = 3
        elif s.key.startswith("national_"):
            weight = 3
        elif s.org_type in ("charity", "cic"):
            weight = 1 if rng.random() < 0.3 else 0
        else:
            weight = 1 if rng.random() < 0.25 else 0
        if weight:
            panel.append((s.key, weight))
    return panel


def draw_amount(rng: random.Random, low: int = 500, high: int = 25_000) -> Decimal:
    # log-uniform-ish: most payments are small, a few large
    span = rng.random() ** 2.2
    pence = int((low + span * (high - low)) * 100) + rng.randint(0, 99)
    return Decimal(pence).scaleb(-2)


def contract_invoices(rng: random.Random, contract, index: int, calendar_month: int, options) -> list[Decimal]:
    """The invoices a contract is paid in one month (none outside its term, season or pause, or in a dip).

    Amounts are log-normal around the contract's monthly mean (`options.amount_sigma`), so they vary a lot from
    month to month; a month may be paid in two invoices. The first and last months are always paid, so a planted
    event's dates are exact."""
    if index < contract.first or index > contract.last:
        return []
    if contract.season is not None and calendar_month not in contract.season:
        return []
    if contract.pause and contract.pause[0] <= index <= contract.pause[1]:
        return []
    edge = index in (contract.first, contract.last)
    if contract.dips and not edge and rng.random() < options.dip_rate:
        return []
    sigma = options.amount_sigma
    total = contract.mean * rng.lognormvariate(-sigma * sigma / 2, sigma)
    parts = 2 if rng.random() < options.double_rate else 1
    out = []
    for i in range(parts):
        share = total / parts * (0.6 + 0.8 * rng.random()) if parts > 1 else total
        out.append(Decimal(max(600, int(share * 100))).scaleb(-2))
    return out


def build_lines(rng: random.Random, suppliers: dict[str, Supplier], plan, options) -> dict[str, list[Line]]:
    """All payment lines of the first edition, by council GSS, in publication order (`plan`: plan.Plan)."""
    out: dict[str, list[Line]] = {}
    contracts_of: dict[str, list] = {}
    for c in plan.contracts:
        contracts_of.setdefault(c.council_gss, []).append(c)
    recode_gss, recode_month = plan.recode or (None, None)
    switch_gss, switch_key, switch_month = plan.name_switch or (None, None, None)
    if switch_key:
        s = suppliers[switch_key]
        alternative = s.canonical_name.title().replace(" Ltd", " Limited")
        if alternative not in s.variants:
            s.variants.append(alternative)
    for council in COUNCILS:
        panel = council_panel(rng, council, suppliers, plan.excluded, plan.contract_only)
        keys = [k for k, _ in panel]
        weights = [w for _, w in panel]
        lines: list[Line] = []
        txn = rng.randint(3_000_000, 5_000_000)
        for index, (y, m) in enumerate(months()):
            mk = month_key(y, m)
            days = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.date(y, m, 1)).days
            month_lines: list[Line] = []

            def add(key: str, amount: Decimal, service: str | None = None, day: int | None = None) -> None:
                svc = service or suppliers[key].service
                dept, expenses = SERVICES[svc]
                date = dt.date(y, m, day or rng.randint(1, days))
                month_lines.append(Line(council.gss, mk, date, key, amount, svc, dept, rng.choice(expenses), ""))

            for _ in range(rng.randint(*council.lines_per_month)):
                key = rng.choices(keys, weights)[0]
                amount = draw_amount(rng)
                if rng.random() < 0.025:
                    amount = -amount  # credit notes and refunds
                elif rng.random() < 0.02:
                    amount = draw_amount(rng, 20, 499)  # line splits below the threshold
                add(key, amount)
            for contract in contracts_of.get(council.gss, []):
                for amount in contract_invoices(rng, contract, index, m, options):
                    add(contract.supplier_key, amount, contract.service, day=rng.randint(5, 28))
            if council.gss == recode_gss and mk >= recode_month:
                for ln in month_lines:
                    dept, expenses = RECODED_LEDGER.get(ln.service, RECODED_OTHER)
                    ln.department, ln.expense_type = dept, rng.choice(expenses)
                    ln.service_label = dept.split(" - ")[-1]
            if council.gss == switch_gss and mk >= switch_month:
                for ln in month_lines:
                    if ln.supplier_key == switch_key:
                        ln.name_variant = alternative
            month_lines.sort(key=lambda ln: (ln.payment_date, ln.supplier_key, ln.amount))
            for ln in month_lines:
                txn += rng.randint(1, 40)
                ln.transaction_id = str(txn)
            # a few multi-line transactions: the next line shares the transaction number
            for i in range(1, len(month_lines)):
                if rng.random() < 0.04 and month_lines[i - 1].payment_date == month_lines[i].payment_date:
                    month_lines[i].transaction_id = month_lines[i - 1].transaction_id
                    month_lines[i].line_no = month_lines[i - 1].line_no + 1
            lines.extend(month_lines)
        out[council.gss] = lines
    return out
