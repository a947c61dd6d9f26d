"""Contracts Finder and Find a Tender releases for the sample councils and suppliers.

Shapes mirror the real OCDS pages in the corpus (CF search pages, the FTS release package head). Each release is
kept as its exact bytes (one per line of a `.jsonl` file) because some bodies are deliberately broken the way the
real services break them: invalid UTF-8 in a CF text field, `1e9999` and ` 000,` numbers on FTS (sources.md).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

from pipelines.sample.world import COUNCILS, Supplier

PROCUREMENT_ACT_GO_LIVE = dt.datetime(2025, 2, 24, tzinfo=dt.timezone.utc)
BAD_UTF8_MARK = "@@INVALID-UTF8@@"
BAD_UTF8_BYTES = b"\xc3\xa2\x80\x93"  # what CF really emitted for an en dash (kingfisher-collect#1004)
FTS_INF_MARK = -7777777.0
FTS_ZERO_MARK = -8888888.0
CF_EXTENSIONS = [
    "https://standard.open-contracting.org/profiles/eu/master/en/extension.json",
    "https://raw.githubusercontent.com/portaledcahn/ocds_tenderDatePublished_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_budget_breakdown_extension/master/extension.json",
    "https://raw.githubusercontent.com/Crown-Commercial-Service/ocds_awards_datePublished_extension/main/extension.json",
    "https://raw.githubusercontent.com/Crown-Commercial-Service/ocds_partyDetails_vcse_extension/main/extension.json",
    "https://raw.githubusercontent.com/Crown-Commercial-Service/ocds_tender_suitability_extension/main/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_pagination_extension/master/extension.json",
]
FTS_EXTENSIONS = [
    "https://standard.open-contracting.org/profiles/eu/latest/en/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_amendment_rationale_classifications_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_budget_breakdown_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_contract_completion_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_documentation_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_pagination_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_suitability_extension/master/extension.json",
    "https://raw.githubusercontent.com/portaledcahn/ocds_Links_extension/main/extension.json",
    "https://raw.githubusercontent.com/cabinetoffice/ocds_uk_extension/main/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_performance_failures_extension/master/extension.json",
]
PUBLISHER = {"name": "Cabinet Office", "scheme": "GB-GOR", "uid": "D2",
             "uri": "https://www.gov.uk/government/organisations/cabinet-office"}
LICENSE = "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
POLICY = "https://www.gov.uk/government/publications/open-contracting"
CPV = {
    "Waste": ("90511000", "Refuse collection services"), "Highways": ("45233141", "Road-maintenance works"),
    "Adult Social Care": ("85311000", "Social work services with accommodation"),
    "Children's Services": ("85311300", "Welfare services for children and young people"),
    "Housing": ("70333000", "Housing services"), "Leisure": ("92610000", "Sports facilities operation services"),
    "ICT": ("72000000", "IT services: consulting, software development, Internet and support"),
    "Facilities": ("79993000", "Building and facilities management services"),
    "Construction": ("45210000", "Building construction work"),
    "Consultancy": ("79411000", "General management consultancy services"),
    "Libraries": ("22113000", "Library books"),
}


def uk_time(t: dt.datetime) -> str:
    """ISO string with the UK offset of the moment, as CF and FTS write release dates."""
    y = t.year
    last_sun = lambda month: max(d for d in (dt.date(y, month, day) for day in range(25, 32)) if d.weekday() == 6)
    bst_start = dt.datetime.combine(last_sun(3), dt.time(1), dt.timezone.utc)
    bst_end = dt.datetime.combine(last_sun(10), dt.time(1), dt.timezone.utc)
    offset = dt.timedelta(hours=1) if bst_start <= t < bst_end else dt.timedelta(0)
    return t.astimezone(dt.timezone(offset)).isoformat()


@dataclass
class Award:
    source: str
    buyer_gss: str
    supplier: Supplier
    value: Decimal
    award_date: dt.datetime
    contract_start: dt.date
    contract_end: dt.date
    service: str
    title: str
    ocid: str = ""
    award_id: str = ""
    duplicate_of: str | None = None
    final_release_id: str = ""


class NoticeBuilder:
    def __init__(self, rng: random.Random, suppliers: dict[str, Supplier]):
        self.rng = rng
        self.suppliers = suppliers
        self.cf: list[tuple[dict, bytes]] = []  # (index entry, raw release bytes)
        self.fts: list[tuple[dict, bytes]] = []
        self.awards: list[Award] = []
        self.fts_seq = 1000
        self.cf_seq = 580000
        self.party_style: dict[str, str] = {}

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- parties
    def buyer_party(self, gss: str, source: str, post_act: bool) -> dict:
        council = next(c for c in COUNCILS if c.gss == gss)
        n = int(gss[3:]) % 100000
        pid = (f"GB-PPON-{council.slug[:4].upper()}-{n:04d}-BUYR" if post_act else
               f"GB-CFS-{40000 + n}" if source == "contracts_finder" else f"GB-FTS-{1000 + n}")
        return {"id": pid, "name": council.name, "identifier": {"legalName": council.name},
                "address": {"streetAddress": "County Hall" if council.type == "county" else "Civic Centre",
                            "locality": council.name.replace(" Council", ""), "countryName": "United Kingdom"},
                "roles": ["buyer"]}

    def supplier_party(self, s: Supplier, source: str, post_act: bool) -> dict:
        style = self.party_style.setdefault(s.key, self.rng.choice(["coh", "coh", "coh_unpadded", "cfs", "cfs"]))
        street = f"Unit {self.rng.randint(1, 40)}, {s.area.name} Business Park\r\n{s.area.name}\r\n{s.postcode}"
        party = {"name": s.variants[0], "identifier": {"legalName": s.variants[0]},
                 "address": {"streetAddress": street}, "roles": ["supplier"]}
        if source == "contracts_finder":
            if s.company_number and style.startswith("coh"):
                number = s.company_number.lstrip("0") if style == "coh_unpadded" else s.company_number
                party["id"] = f"GB-COH-{number}"
                party["identifier"].update({"scheme": "GB-COH", "id": number})
            else:
                party["id"] = f"GB-CFS-{200000 + int(s.company_number or s.charity_number or '0') % 99991}"
        else:
            party["address"] = {"streetAddress": f"Unit {self.rng.randint(1, 40)}", "locality": s.area.name,
                                "postalCode": s.postcode, "countryName": "United Kingdom"}
            number = s.company_number or s.charity_number
            if post_act:
                ppon = f"{s.key[:4].upper():X<4}-{int(number) % 10000:04d}-{len(s.key) * 97 % 10000:04d}"
                party["id"] = f"GB-PPON-{ppon}"
                party["identifier"].update({"scheme": "GB-PPON", "id": ppon})
                extra = ({"scheme": "GB-COH", "id": s.company_number} if s.company_number else
                         {"scheme": "GB-CHC", "id": s.charity_number})
                party["additionalIdentifiers"] = [extra]
            else:
                party["id"] = f"GB-FTS-{int(number) % 99991 + 5000}"
                if s.company_number:
                    party["identifier"].update({"scheme": "GB-COH", "id": s.company_number})
        details = {"vcse": s.vcse}
        if s.size in ("sme", "large"):
            details = {"scale": s.size, "vcse": s.vcse}
        party["details"] = details
        return party

    # -- releases
    def cf_award_release(self, a: Award, published: dt.datetime, guid: str, value: Decimal,
                         description: str | None = None) -> dict:
        self.cf_seq += self.rng.randint(1, 30)
        buyer = self.buyer_party(a.buyer_gss, "contracts_finder", False)
        supplier = self.supplier_party(a.supplier, "contracts_finder", False)
        cpv = CPV[a.service]
        date = uk_time(published)
        return {
            "ocid": a.ocid, "id": f"{guid}-{self.cf_seq}", "language": "en", "date": date, "tag": ["award"],
            "initiationType": "tender",
            "tender": {
                "id": f"CF-{guid[:8].upper()}", "title": a.title,
                "description": description or f"{a.title}. Contract awarded following a competitive process.",
                "status": "complete", "classification": {"scheme": "CPV", "id": cpv[0], "description": cpv[1]},
                "items": [{"id": "1", "deliveryAddresses": [{"region": "England", "countryName": "United Kingdom"}]}],
                "procurementMethod": "open", "procurementMethodDetails": "Open procedure",
                "contractPeriod": {"startDate": uk_time(dt.datetime.combine(a.contract_start, dt.time(0), dt.timezone.utc)),
                                   "endDate": uk_time(dt.datetime.combine(a.contract_end, dt.time(22, 59, 59), dt.timezone.utc))},
                "suitability": {"sme": True, "vcse": a.supplier.vcse}, "mainProcurementCategory": "services",
            },
            "parties": [buyer, supplier], "buyer": {"id": buyer["id"], "name": buyer["name"]},
            "awards": [{
                "id": a.award_id, "status": "active", "date": uk_time(a.award_date), "datePublished": date,
                "value": {"amount": float(value), "currency": "GBP"},
                "suppliers": [{"id": supplier["id"], "name": supplier["name"]}],
                "contractPeriod": {"startDate": a.contract_start.isoformat() + "T00:00:00+01:00",
                                   "endDate": a.contract_end.isoformat() + "T23:59:59+01:00"},
                "documents": [{"id": "1", "documentType": "awardNotice",
                               "description": "Awarded contract notice on Contracts Finder",
                               "url": f"https://www.contractsfinder.service.gov.uk/Notice/{guid}",
                               "datePublished": date, "format": "text/html", "language": "en"}],
            }],
        }

    def fts_release(self, a: Award | None, published: dt.datetime, tags: list[str], *, buyer_gss: str,
                    service: str, title: str, odd_numbers: bool = False, ocid: str | None = None) -> dict:
        self.fts_seq += self.rng.randint(1, 9)
        post_act = published >= PROCUREMENT_ACT_GO_LIVE
        buyer = self.buyer_party(buyer_gss, "find_a_tender", post_act)
        cpv = CPV[service]
        tender_value = ({"amountGross": FTS_ZERO_MARK, "amount": FTS_INF_MARK, "currency": "GBP"} if odd_numbers
                        else {"amount": float(a.value) if a else 250000.0, "currency": "GBP"})
        release = {
            "id": f"{self.fts_seq:06d}-{published.year}", "tag": tags, "date": uk_time(published),
            "initiationType": "tender", "ocid": ocid or (a.ocid if a else f"ocds-h6vhtk-{self.rng.getrandbits(24):06x}"),
            "parties": [buyer], "buyer": {"id": buyer["id"], "name": buyer["name"]},
            "tender": {"id": "1", "title": title, "status": "complete" if a else "active",
                       "classification": {"scheme": "CPV", "id": cpv[0], "description": cpv[1]},
                       "value": tender_value, "mainProcurementCategory": "services",
                       "procurementMethod": "open"},
            "language": "en",
        }
        if a:
            supplier = self.supplier_party(a.supplier, "find_a_tender", post_act)
            release["parties"].append(supplier)
            release["awards"] = [{
                "id": a.award_id, "status": "active", "date": uk_time(a.award_date),
                "value": {"amount": float(a.value), "currency": "GBP"},
                "suppliers": [{"id": supplier["id"], "name": supplier["name"]}],
                "contractPeriod": {"startDate": a.contract_start.isoformat(), "endDate": a.contract_end.isoformat()},
            }]
        return release

    def add_cf(self, release: dict) -> None:
        raw = json.dumps(release, ensure_ascii=False).encode("utf-8").replace(BAD_UTF8_MARK.encode(), BAD_UTF8_BYTES)
        self.cf.append((index_entry(release), raw))

    def add_fts(self, release: dict) -> None:
        raw = json.dumps(release, ensure_ascii=False).encode("utf-8")
        raw = raw.replace(f"{FTS_INF_MARK}".encode(), b"1e9999").replace(f"{FTS_ZERO_MARK}".encode(), b"000")
        self.fts.append((index_entry(release), raw))


def index_entry(release: dict) -> dict:
    t = dt.datetime.fromisoformat(release["date"]).astimezone(dt.timezone.utc)
    return {"id": release["id"], "ocid": release["ocid"], "date": release["date"],
            "date_utc": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "tags": release["tag"]}


def random_moment(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    seconds = int((end - start).total_seconds())
    return start + dt.timedelta(seconds=rng.randint(0, seconds))


def build_notices(rng: random.Random, suppliers: dict[str, Supplier]) -> NoticeBuilder:
    b = NoticeBuilder(rng, suppliers)
    utc = dt.timezone.utc
    eligible = [s for s in suppliers.values()
                if s.org_type in ("company", "cic", "charity") and s.size in ("sme", "large", "unknown")
                and not (s.org_type == "company" and s.size == "unknown") and s.key != "carrick_group"
                and not s.key.startswith("region_") and s.area]
    # a charity awarded a contract gets a scale at award, which is then its size (metric definitions)
    for s in eligible:
        if s.org_type == "charity" and rng.random() < 0.5:
            s.size = "sme"
    eligible = [s for s in eligible if s.size in ("sme", "large")]
    start, act = dt.datetime(2022, 4, 4, tzinfo=utc), dt.datetime(2025, 2, 20, tzinfo=utc)
    end = dt.datetime(2025, 3, 28, 18, tzinfo=utc)

    def new_award(source: str, gss: str, s: Supplier, when: dt.datetime, value: Decimal) -> Award:
        contract_start = (when + dt.timedelta(days=14)).date()
        contract_end = contract_start + dt.timedelta(days=365 * rng.randint(1, 5) - 1)
        return Award(source, gss, s, value, when, contract_start, contract_end, s.service,
                     f"{s.service} services for {next(c.name for c in COUNCILS if c.gss == gss)}")

    # Contracts Finder awards, PCR 2015 era
    cf_awards: list[Award] = []
    for council in COUNCILS:
        local = [s for s in eligible if s.lad_gss in council.home_lads]
        pool = local + [s for s in eligible if s.key.startswith("national_") or s.key.startswith("carrick_")]
        for _ in range(10):
            s = rng.choice(pool)
            a = new_award("contracts_finder", council.gss, s, random_moment(rng, start, act),
                          Decimal(rng.randint(25_000, 900_000)).quantize(Decimal("1")))
            a.ocid = f"ocds-b5fd17-{b.guid()}"
            a.award_id = f"{a.ocid}-1"
            cf_awards.append(a)
    # call-offs from pre-2025 frameworks keep appearing on CF after go-live
    for council in COUNCILS[:4]:
        s = rng.choice([x for x in eligible if x.key.startswith("national_")])
        a = new_award("contracts_finder", council.gss, s, random_moment(rng, act + dt.timedelta(days=6), end),
                      Decimal(rng.randint(30_000, 120_000)))
        a.title = f"Call-off from framework: {a.title}"
        a.ocid = f"ocds-b5fd17-{b.guid()}"
        a.award_id = f"{a.ocid}-1"
        cf_awards.append(a)
    amended = set(rng.sample(range(len(cf_awards)), 8))
    for i, a in enumerate(cf_awards):
        guid = b.guid()
        published = a.award_date + dt.timedelta(days=rng.randint(3, 20), seconds=rng.randint(0, 80000))
        description = None
        if i == 5:
            description = f"Country Park {BAD_UTF8_MARK} New Machinery Store and {a.title.lower()}"
        b.add_cf(b.cf_award_release(a, published, guid, a.value, description))
        if i in amended:  # the award re-published with a corrected value: the latest release wins
            a.value = (a.value * Decimal("1.08")).quantize(Decimal("1"))
            amended_on = published + dt.timedelta(days=rng.randint(5, 40), seconds=rng.randint(0, 3600))
            release = b.cf_award_release(a, amended_on, b.guid(), a.value)
            b.add_cf(release)
        a.final_release_id = b.cf[-1][0]["id"]
    b.awards.extend(cf_awards)

    # tender-stage notices (no awards) so the stages filter matters
    for council in COUNCILS:
        s = rng.choice(eligible)
        when = random_moment(rng, start, end)
        guid = b.guid()
        b.cf_seq += 1
        release = {"ocid": f"ocds-b5fd17-{guid}", "id": f"{guid}-{b.cf_seq}", "language": "en",
                   "date": uk_time(when), "tag": ["tender"], "initiationType": "tender",
                   "tender": {"id": f"CF-{guid[:8].upper()}", "title": f"{s.service} framework for {council.name}",
                              "status": "active", "classification": {"scheme": "CPV", "id": CPV[s.service][0],
                                                                     "description": CPV[s.service][1]},
                              "suitability": {"sme": True, "vcse": False}},
                   "parties": [b.buyer_party(council.gss, "contracts_finder", False)],
                   "buyer": {"id": b.buyer_party(council.gss, "contracts_finder", False)["id"], "name": council.name}}
        b.add_cf(release)

    # above-threshold PCR awards published on both services under different ocids
    big = sorted((a for a in cf_awards if a.award_date < act and a.value >= 200_000),
                 key=lambda a: a.award_date)[:6]
    for a in big:
        dup = Award("find_a_tender", a.buyer_gss, a.supplier, a.value, a.award_date, a.contract_start, a.contract_end,
                    a.service, a.title)
        dup.ocid = f"ocds-h6vhtk-{rng.getrandbits(24):06x}"
        dup.award_id = "1"
        dup.duplicate_of = f"contracts_finder:{a.ocid}:{a.award_id}"
        a.duplicate_of = f"find_a_tender:{dup.ocid}:{dup.award_id}"
        published = a.award_date + dt.timedelta(days=rng.randint(2, 25), seconds=rng.randint(0, 80000))
        b.add_fts(b.fts_release(dup, published, ["award", "contract"], buyer_gss=a.buyer_gss, service=a.service,
                                title=a.title))
        dup.final_release_id = b.fts[-1][0]["id"]
        b.awards.append(dup)

    # Procurement Act notices: only on Find a Tender; a busy day packs many releases into one day
    busy_day = dt.datetime(2025, 3, 12, 2, tzinfo=utc)
    for i in range(22):
        council = COUNCILS[i % len(COUNCILS)]
        s = rng.choice(eligible)
        if i < 12:
            published = busy_day + dt.timedelta(minutes=90 * i + rng.randint(0, 50))
        else:
            published = random_moment(rng, PROCUREMENT_ACT_GO_LIVE + dt.timedelta(hours=2), end)
        a = new_award("find_a_tender", council.gss, s, published - dt.timedelta(days=rng.randint(1, 5)),
                      Decimal(rng.randint(20_000, 1_500_000)))
        a.ocid = f"ocds-h6vhtk-{rng.getrandbits(24):06x}"
        a.award_id = "1"
        b.add_fts(b.fts_release(a, published, ["award", "contract"], buyer_gss=council.gss, service=s.service,
                                title=a.title, odd_numbers=(i in (3, 15))))
        a.final_release_id = b.fts[-1][0]["id"]
        b.awards.append(a)
    for council in COUNCILS[:5]:  # a few tender notices on FTS
        service = rng.choice(list(CPV))
        b.add_fts(b.fts_release(None, random_moment(rng, start, end), ["tender"], buyer_gss=council.gss,
                                service=service, title=f"{service} tender for {council.name}",
                                odd_numbers=council.slug == "leeds"))
    # a charity's scale at award is its size only if it actually won one: the others stay unknown
    awarded = {a.supplier.key for a in b.awards}
    for s in suppliers.values():
        if s.org_type == "charity" and s.size == "sme" and s.key not in awarded:
            s.size = "unknown"
    # newest first, as both services sort
    b.cf.sort(key=lambda e: e[0]["date_utc"], reverse=True)
    b.fts.sort(key=lambda e: e[0]["date_utc"], reverse=True)
    return b


def awards_truth(b: NoticeBuilder) -> list[dict]:
    out = []
    for a in b.awards:
        out.append({"source": a.source, "ocid": a.ocid, "award_id": a.award_id, "release_id": a.final_release_id,
                    "buyer_gss": a.buyer_gss, "supplier_key": a.supplier.key, "value": str(a.value),
                    "award_date": a.award_date.date().isoformat(), "contract_end": a.contract_end.isoformat(),
                    "scale": a.supplier.size, "vcse": a.supplier.vcse, "duplicate_of": a.duplicate_of})
    return sorted(out, key=lambda d: (d["source"], d["ocid"]))
