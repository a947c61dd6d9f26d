"""Flatten OCDS releases into the notice staging tables and the `parse-ocds` figures.

Grain and rules (sources.md §5-§7):
* releases are deduplicated on (source, release id), the latest `date` kept (windows overlap and notices are
  re-published on every edit);
* awards: one row per (source, ocid, award id) from releases tagged "award" (or compiled releases), the
  release with the latest `date` wins;
* award suppliers: award x supplier reference, joined to the release's `parties` for identifiers, address,
  `details.scale` (sme | large | unknown) and `details.vcse`; pre-Oct-2022 Contracts Finder put `sme` / `vco`
  on the award's supplier reference itself, which is read too;
* identifiers become org-ids: `GB-COH-` + 8 characters zero-padded, `GB-CHC-`, `GB-PPON-`; Contracts Finder
  hides the postcode inside `streetAddress`, so it is extracted from there when `postalCode` is missing.
* award money is the award's own `value`; when it has none (Find a Tender puts money on `contracts[]`), the
  award's contracts are summed and `value_source` says "contracts"; 1e9999 placeholders are null, never summed;
* award and contract dates are the publisher's calendar day (the offset is not applied), release dates are
  UTC timestamps (they only order releases).

Walking nested JSON is per-object Python by nature; everything after the walk is Polars.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

import polars as pl

from pipelines.normalise import identifiers

POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b")
# Contracts Finder runs address lines together ("Randalls WayLEATHERHEADSURREYKT22 7TWGB"): without word
# boundaries, a postcode is only trusted with its single space, and the last one in the text is taken.
RUN_TOGETHER_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?) ([0-9][A-Z]{2})")
MONEY = pl.Decimal(18, 2)

RELEASE_SCHEMA = {"page_sha256": pl.String, "source": pl.String, "release_id": pl.String, "ocid": pl.String, "date": pl.String,
                  "tags": pl.String, "buyer_name": pl.String, "buyer_id": pl.String}
AWARD_SCHEMA = {"page_sha256": pl.String, "source": pl.String, "ocid": pl.String, "award_id": pl.String, "release_id": pl.String,
                "release_date": pl.String, "buyer_name": pl.String, "buyer_id": pl.String, "title": pl.String,
                "description": pl.String, "value_amount": pl.String, "currency": pl.String,
                "award_date": pl.String, "contract_start": pl.String, "contract_end": pl.String,
                "cpv_code": pl.String, "procedure": pl.String, "region": pl.String, "value_source": pl.String}
SUPPLIER_SCHEMA = {"page_sha256": pl.String, "source": pl.String, "ocid": pl.String, "award_id": pl.String,
                   "release_id": pl.String, "release_date": pl.String,
                   "supplier_party_id": pl.String, "supplier_name": pl.String, "org_id": pl.String,
                   "company_number": pl.String, "scale": pl.String, "vcse": pl.Boolean, "postcode": pl.String,
                   "has_gb_coh": pl.Boolean}


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def normalise_org_id(scheme: str | None, identifier: str | None) -> tuple[str | None, str | None]:
    """(org_id, company_number) for one party identifier, by the shared rules of pipelines.normalise
    (GB-COH numbers as 8 characters; schemes that are not organisation registers give None)."""
    frame = _org_ids(pl.DataFrame({"_row": [0], "_ids": [[f"{scheme or ''}{_ID_SEP}{identifier or ''}"]]}))
    return frame["org_id"][0], frame["company_number"][0]


_ID_SEP = "\x1f"


def _org_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """`_row`, `_ids` (the party's "scheme<US>identifier" strings, in order) -> `_row`, `org_id`,
    `company_number`: the first identifier that is an organisation-register org-id, vectorised."""
    pairs = frame.select("_row", "_ids").explode("_ids").with_columns(
        _scheme=pl.col("_ids").str.split_exact(_ID_SEP, 1).struct.field("field_0"),
        _ident=pl.col("_ids").str.split_exact(_ID_SEP, 1).struct.field("field_1"),
    ).with_columns(org_id=identifiers.org_id(pl.col("_scheme"), pl.col("_ident")))
    first = pairs.filter(pl.col("org_id").is_not_null()).group_by("_row", maintain_order=True).agg(pl.col("org_id").first())
    return frame.select("_row").join(first, on="_row", how="left").with_columns(
        company_number=pl.when(pl.col("org_id").str.starts_with("GB-COH-")).then(pl.col("org_id").str.slice(7)),
    )


def postcode_of(address: dict | None) -> str | None:
    address = address or {}
    for field in ("postalCode", "streetAddress"):
        text = (_text(address.get(field)) or "").upper()
        match = POSTCODE.search(text) or next(reversed(list(RUN_TOGETHER_POSTCODE.finditer(text))), None)
        if match:
            return f"{match.group(1)} {match.group(2)}"
    return None


def _party_ids(party: dict) -> list[tuple[str | None, str | None]]:
    ids = [party.get("identifier") or {}] + list(party.get("additionalIdentifiers") or [])
    return [(i.get("scheme"), i.get("id")) for i in ids if isinstance(i, dict)]


def _scale(details: dict, reference: dict) -> str:
    scale = (_text(details.get("scale")) or "").lower()
    if scale in ("micro", "small", "medium", "sme"):  # OCDS partyScale codes below "large" are all SMEs
        return "sme"
    if scale == "large":
        return scale
    if isinstance(reference.get("sme"), bool):  # legacy Contracts Finder (before Oct 2022)
        return "sme" if reference["sme"] else "large"
    return "unknown"


def _vcse(details: dict, reference: dict) -> bool | None:
    for value in (details.get("vcse"), reference.get("vco"), reference.get("vcse")):
        if isinstance(value, bool):
            return value
    return None


def _is_award_release(release: dict) -> bool:
    tags = release.get("tag") or []
    return any("award" in str(t).lower() for t in tags)


def _money(value) -> str | None:
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.01"))) if value is not None else None
    except InvalidOperation:
        return None


def _contract_value(contracts: list[dict]) -> tuple[str | None, str | None]:
    """(amount, currency) summed over an award's contracts, for Find a Tender, which puts money on
    `contracts[]` and only rarely on the award (sources.md §6.4); None unless every amount is usable and
    the currencies agree."""
    amounts = [(c.get("value") or {}).get("amount") for c in contracts]
    currencies = {(c.get("value") or {}).get("currency") for c in contracts}
    money = [_money(a) for a in amounts]
    if not money or None in money or len(currencies) != 1:
        return None, None
    return str(sum(Decimal(m) for m in money)), _text(currencies.pop())


def walk(releases: Iterable[tuple[str, dict, str | None]]) -> dict[str, pl.DataFrame]:
    """(source, release, page sha256) triples -> frames of releases, awards and award suppliers, before
    deduplication; every row keeps the page it came from."""
    release_rows, award_rows, supplier_rows = [], [], []
    for source, release, page_sha256 in releases:
        buyer = release.get("buyer") or {}
        parties = {p.get("id"): p for p in release.get("parties") or [] if isinstance(p, dict)}
        if not buyer:
            buyer = next((p for p in parties.values() if "buyer" in (p.get("roles") or [])), {})
        tags = release.get("tag") or []
        release_rows.append({"page_sha256": page_sha256, "source": source, "release_id": _text(release.get("id")), "ocid": _text(release.get("ocid")),
                             "date": _text(release.get("date")), "tags": ",".join(map(str, tags)),
                             "buyer_name": _text(buyer.get("name")), "buyer_id": _text(buyer.get("id"))})
        if not (_is_award_release(release) or "compiled" in tags):
            continue
        tender = release.get("tender") or {}
        classification = tender.get("classification") or next(
            (i.get("classification") for i in tender.get("items") or [] if i.get("classification")), {}) or {}
        region = next((a.get("region") for i in tender.get("items") or [] for a in i.get("deliveryAddresses") or []
                       if a.get("region")), None)
        contracts: dict = {}
        for contract in release.get("contracts") or []:
            if isinstance(contract, dict):
                contracts.setdefault(contract.get("awardID"), []).append(contract)
        for award in release.get("awards") or []:
            if not isinstance(award, dict) or award.get("id") is None:
                continue
            value = award.get("value") or {}
            own = contracts.get(award.get("id")) or []
            amount, currency, value_source = _money(value.get("amount")), _text(value.get("currency")), "award"
            if amount is None:
                amount, currency = _contract_value(own)
                value_source = "contracts" if amount is not None else None
            period = award.get("contractPeriod") or next((c["period"] for c in own if c.get("period")), {})
            signed = next((c.get("dateSigned") for c in own if c.get("dateSigned")), None)
            award_rows.append({
                "page_sha256": page_sha256, "source": source, "ocid": _text(release.get("ocid")), "award_id": _text(award.get("id")),
                "release_id": _text(release.get("id")), "release_date": _text(release.get("date")),
                "buyer_name": _text(buyer.get("name")), "buyer_id": _text(buyer.get("id")),
                "title": _text(award.get("title") or tender.get("title")),
                "description": _text(award.get("description") or tender.get("description")),
                "value_amount": amount, "currency": currency, "value_source": value_source,
                "award_date": _text(award.get("date") or signed), "contract_start": _text(period.get("startDate")),
                "contract_end": _text(period.get("endDate")), "cpv_code": _text(classification.get("id")),
                "procedure": _text(tender.get("procurementMethodDetails") or tender.get("procurementMethod")),
                "region": _text(region),
            })
            for reference in award.get("suppliers") or []:
                if not isinstance(reference, dict):
                    continue
                party = parties.get(reference.get("id")) or {}
                details = party.get("details") or {}
                supplier_rows.append({
                    "page_sha256": page_sha256, "source": source, "ocid": _text(release.get("ocid")), "award_id": _text(award.get("id")),
                    "release_id": _text(release.get("id")), "release_date": _text(release.get("date")),
                    "supplier_party_id": _text(reference.get("id")) or _text(reference.get("name")),
                    "supplier_name": _text(reference.get("name") or party.get("name")),
                    "_ids": [f"{scheme or ''}{_ID_SEP}{ident or ''}" for scheme, ident in _party_ids(party)],
                    "scale": _scale(details, reference), "vcse": _vcse(details, reference),
                    "postcode": postcode_of(party.get("address")),
                    "has_gb_coh": any((s or "").upper() == "GB-COH" and i for s, i in _party_ids(party)),
                })
    return {
        "releases": pl.DataFrame(release_rows, schema=RELEASE_SCHEMA),
        "awards": pl.DataFrame(award_rows, schema=AWARD_SCHEMA),
        "award_suppliers": _with_org_ids(supplier_rows),
    }


def _with_org_ids(supplier_rows: list[dict]) -> pl.DataFrame:
    """Award-supplier rows with their org-id and company number, normalised in one vectorised pass."""
    raw_schema = {k: v for k, v in SUPPLIER_SCHEMA.items() if k not in ("org_id", "company_number")}
    frame = pl.DataFrame(supplier_rows, schema={**raw_schema, "_ids": pl.List(pl.String)}).with_row_index("_row")
    ids = _org_ids(frame.select("_row", "_ids"))
    return frame.join(ids, on="_row", how="left").select(list(SUPPLIER_SCHEMA))


def timestamp(column: str) -> pl.Expr:
    # ISO 8601 with or without offset; offsets normalised to UTC, stored naive
    text = pl.col(column)
    return (pl.coalesce(text.str.to_datetime("%Y-%m-%dT%H:%M:%S%z", strict=False, time_zone="UTC"),
                        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", strict=False, time_zone="UTC"),
                        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC"),
                        text.str.to_datetime("%Y-%m-%d", strict=False, time_zone="UTC"))
            .dt.replace_time_zone(None))


def calendar_date(column: str) -> pl.Expr:
    # the publisher's own calendar day: "2022-10-06T00:00:00+01:00" is 6 October, not 5 October in UTC
    return pl.col(column).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)


def award_types(awards: pl.DataFrame) -> pl.DataFrame:
    """Typed award rows: timestamps, calendar dates, money as decimal(18,2)."""
    return awards.with_columns(release_date=timestamp("release_date"), value_amount=pl.col("value_amount").cast(MONEY),
                               award_date=calendar_date("award_date"), contract_start=calendar_date("contract_start"),
                               contract_end=calendar_date("contract_end"))


def latest(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Deduplicate: releases on id, awards on (source, ocid, award id), latest release date winning; the
    suppliers of each kept award are the ones named by its winning release."""
    releases = (frames["releases"].with_columns(date=timestamp("date"))
                .sort("date", nulls_last=False).unique(["source", "release_id"], keep="last", maintain_order=True))
    # ties on date broken by release id, as in sql/notices/rebuild_awards.sql
    awards = (award_types(frames["awards"])
              .sort(["release_date", "release_id"], nulls_last=False)
              .unique(["source", "ocid", "award_id"], keep="last", maintain_order=True))
    suppliers = (frames["award_suppliers"].with_columns(release_date=timestamp("release_date"))
                 .join(awards.select("source", "ocid", "award_id", "release_id"),
                       on=["source", "ocid", "award_id", "release_id"], how="semi", nulls_equal=True)
                 .unique(["source", "ocid", "award_id", "supplier_party_id"], keep="last", maintain_order=True))
    return {"releases": releases, "awards": awards, "award_suppliers": suppliers}


def figures(frames: dict[str, pl.DataFrame]) -> dict:
    """The `parse-ocds --json` figures (definitions in pipelines/notices/cli.py)."""
    releases = frames["releases"]
    award_releases = releases.filter(pl.col("tags").str.to_lowercase().str.contains("award"))
    kept = latest({"releases": releases, "awards": frames["awards"].join(
        award_releases.select("source", "release_id").unique(), on=["source", "release_id"], how="semi"),
        "award_suppliers": frames["award_suppliers"]})
    awards, suppliers = kept["awards"], kept["award_suppliers"]
    parties = frames["award_suppliers"]
    # the figure is defined on the awards' own `value.amount`, so contract-derived values stay out of it
    gbp = awards.filter((pl.col("currency") == "GBP") & (pl.col("value_source") == "award"))["value_amount"]
    gbp = gbp.drop_nulls()
    total = sum((Decimal(str(v)) for v in gbp.to_list()), Decimal("0.00"))
    return {
        "releases": releases.height,
        "distinct_release_ids": releases["release_id"].drop_nulls().n_unique(),
        "ocids": releases["ocid"].drop_nulls().n_unique(),
        "award_releases": award_releases.height,
        "awards": awards.height,
        "award_supplier_pairs": suppliers.height,
        "sum_award_value_gbp": f"{total:.2f}",
        "suppliers_sme": parties.filter(pl.col("scale") == "sme")["supplier_party_id"].n_unique(),
        "suppliers_large": parties.filter(pl.col("scale") == "large")["supplier_party_id"].n_unique(),
        "suppliers_vcse_true": parties.filter(pl.col("vcse") == True)["supplier_party_id"].n_unique(),  # noqa: E712
        "suppliers_with_gb_coh": parties.filter(pl.col("has_gb_coh"))["supplier_party_id"].n_unique(),
        "buyers": releases["buyer_name"].drop_nulls().n_unique(),
    }
