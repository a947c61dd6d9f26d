"""Classify resolved suppliers: one row per supplier_key with the `core.suppliers` columns (architecture.md).

Each classification carries its basis, because every metric has competing definitions (metrics.md §2-§3):

* size: Contracts Finder / Find a Tender `details.scale` of the latest award (`notice_scale`); a strategic supplier
  is large (`strategic_supplier`); a subsidiary (a corporate owner on the PSC chain, or accounts filed as
  "audit exemption subsidiary") takes its group's top company's accounts category (`group_accounts_category_proxy`)
  and is never SME because of its own small-company accounts (`subsidiary_group_unknown` when the group's are
  unknown); else the Companies House accounts category (`ch_accounts_category_proxy`, a proxy, not the EC
  definition); CICs default to sme (`cic_default`); else unknown. Public bodies, individuals and redactions are
  `not_applicable` (size unknown).
* vcse: on a charity register (`charity_register`), a CIC or CIO by legal form or Companies House category
  (`legal_form` / `ch_category`), `details.vcse = true` at award (`notice_vcse`), or typed a charity or CIC by the
  typing cascade (`org_type`).
* location: the register postcode (registered office), else the postcode given with the name, else the notice's;
  mapped through `reference.postcodes`.
* group: PSC corporate owners walked to the top (cycle-safe); strategic suppliers from `strategic_suppliers.csv`.
* council_owned_by: a company whose PSC owner (direct or at the top of the chain) is an English council.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from pipelines.normalise.names import name_key
from pipelines.suppliers.registers import normalise_company_number, normalise_postcode

STRATEGIC_CSV = Path(__file__).resolve().parent / "strategic_suppliers.csv"
MAX_OWNERSHIP_HOPS = 12

SME_ACCOUNT_CATEGORIES = [
    "MICRO ENTITY", "SMALL", "MEDIUM", "TOTAL EXEMPTION FULL", "TOTAL EXEMPTION SMALL",
    "UNAUDITED ABRIDGED", "AUDIT EXEMPTION SUBSIDIARY", "DORMANT",
]
LARGE_ACCOUNT_CATEGORIES = ["FULL", "GROUP"]
SUPPLIER_COLUMNS = [
    "supplier_key", "canonical_name", "org_id", "org_type", "org_type_basis", "org_type_confidence", "size", "size_basis", "vcse", "vcse_basis", "postcode",
    "lad_gss", "county_gss", "region_gss", "group_key", "group_name", "is_strategic", "council_owned_by",
]


def _table(con: duckdb.DuckDBPyConnection | None, sql: str, schema: dict) -> pl.DataFrame:
    if con is None:
        return pl.DataFrame(schema=schema)
    try:
        return con.sql(sql).pl()
    except duckdb.Error:
        return pl.DataFrame(schema=schema)


def _mode(col: str) -> pl.Expr:
    return pl.col(col).drop_nulls().filter(pl.col(col).drop_nulls() != "").mode().sort().first()


def walk_owners(owners: pl.DataFrame) -> pl.DataFrame:
    """company_number -> top_company_number by following single controlling UK corporate owners to the top.

    `owners` has company_number, owner_company_number. A company with several controlling owners (joint
    ventures) has no single parent and stops the walk. Cycles stop where they close.
    """
    edges = (
        owners.filter(pl.col("owner_company_number").is_not_null() & (pl.col("owner_company_number") != pl.col("company_number")))
        .unique(["company_number", "owner_company_number"])
        .filter(pl.len().over("company_number") == 1)
        .select("company_number", parent="owner_company_number")
    )
    current = edges.select("company_number", top="parent", hops=pl.lit(1))
    for _ in range(MAX_OWNERSHIP_HOPS):
        stepped = current.join(edges, left_on="top", right_on="company_number", how="left")
        moved = stepped.filter(pl.col("parent").is_not_null() & (pl.col("parent") != pl.col("company_number")))
        if moved.is_empty():
            break
        current = stepped.with_columns(
            top=pl.when(pl.col("parent").is_not_null() & (pl.col("parent") != pl.col("company_number"))).then("parent").otherwise("top"),
        ).select("company_number", "top", hops=pl.col("hops") + 1)
    return current.select("company_number", "top")


def read_strategic(path: Path | str | None = None) -> pl.DataFrame:
    frame = pl.read_csv(Path(path) if path else STRATEGIC_CSV, infer_schema=False)
    return frame.select(
        group_name=pl.col("group_name").str.strip_chars(),
        prefix=name_key(pl.col("name_prefix")),
        company_number=normalise_company_number(pl.col("company_number")),
        group_key=pl.concat_str(pl.lit("strategic:"), name_key(pl.col("group_name")).str.replace_all(" ", "-").str.to_lowercase()),
    )


def classify_suppliers(
    resolved: pl.DataFrame,
    con: duckdb.DuckDBPyConnection | None = None,
    notice_evidence: pl.DataFrame | None = None,
    strategic: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per supplier_key of `resolve_suppliers` output, with the `core.suppliers` columns.

    notice_evidence: supplier_key, scale (sme|micro|small|medium|large|unknown), vcse (bool), award_date,
    postcode; the latest award per supplier decides size.
    """
    strategic = read_strategic() if strategic is None else strategic
    # resolve_suppliers gives every row of a supplier the same name, id and type; the first is the supplier's
    base = resolved.sort("supplier_key").group_by("supplier_key", maintain_order=True).agg(
        canonical_name=pl.col("canonical_name").first(),
        org_id=pl.col("org_id").first(),
        org_type=pl.col("org_type").first(),
        org_type_basis=pl.col("org_type_basis").first() if "org_type_basis" in resolved.columns else pl.lit(None, dtype=pl.String),
        org_type_confidence=pl.col("org_type_confidence").first() if "org_type_confidence" in resolved.columns else pl.lit(None, dtype=pl.Float64),
        legal_form=_mode("legal_form"),
        name_key=_mode("name_key"),
        given_postcode=_mode("postcode_norm") if "postcode_norm" in resolved.columns else pl.lit(None, dtype=pl.String),
    )
    companies = _table(
        con,
        "select company_number, name, category, accounts_category, postcode from reference.companies",
        {"company_number": pl.String, "name": pl.String, "category": pl.String, "accounts_category": pl.String, "postcode": pl.String},
    )
    charities = _table(
        con,
        "select charity_number, company_number, postcode from reference.charities",
        {"charity_number": pl.String, "company_number": pl.String, "postcode": pl.String},
    )
    postcodes = _table(
        con,
        "select postcode, lad_gss, county_gss, region_gss from reference.postcodes",
        {"postcode": pl.String, "lad_gss": pl.String, "county_gss": pl.String, "region_gss": pl.String},
    )
    owners = _table(
        con,
        "select company_number, owner_name, owner_company_number, owner_kind from reference.psc_corporate_owners",
        {"company_number": pl.String, "owner_name": pl.String, "owner_company_number": pl.String, "owner_kind": pl.String},
    )
    councils = _table(
        con,
        "select name_key, gss from reference.public_bodies where kind = 'local_authority'",
        {"name_key": pl.String, "gss": pl.String},
    )

    org = pl.col("org_id")
    base = base.with_columns(
        _charity=pl.when(org.str.starts_with("GB-CHC-")).then(org.str.slice(7)).when(org.str.starts_with("GB-NIC-")).then(pl.concat_str(pl.lit("NIC"), org.str.slice(7))),
        _company=pl.when(org.str.starts_with("GB-COH-")).then(org.str.slice(7)),
    )
    base = base.join(
        charities.select(_charity="charity_number", _charity_company="company_number", _charity_postcode="postcode"), on="_charity", how="left"
    ).with_columns(_company=pl.coalesce("_company", "_charity_company"), on_charity_register=pl.col("_charity").is_not_null())
    base = base.join(
        companies.select(_company="company_number", _ch_name="name", _category="category", _accounts="accounts_category", _ch_postcode="postcode"),
        on="_company",
        how="left",
    )

    # Size and VCSE evidence from notices: the latest award wins.
    if notice_evidence is not None and not notice_evidence.is_empty():
        ev = notice_evidence
        for col, dtype in (("scale", pl.String), ("vcse", pl.Boolean), ("award_date", pl.Date), ("postcode", pl.String)):
            if col not in ev.columns:
                ev = ev.with_columns(pl.lit(None, dtype=dtype).alias(col))
        ev = ev.with_columns(pl.col("scale").str.to_lowercase()).sort("award_date", nulls_last=False)
        latest = ev.filter(pl.col("scale").is_in(["sme", "micro", "small", "medium", "large"])).group_by("supplier_key").agg(_n_scale=pl.col("scale").last())
        vcse_flag = ev.group_by("supplier_key").agg(_n_vcse=pl.col("vcse").fill_null(False).any(), _n_postcode=normalise_postcode(pl.col("postcode")).drop_nulls().last())
        base = base.join(latest, on="supplier_key", how="left").join(vcse_flag, on="supplier_key", how="left")
    else:
        base = base.with_columns(_n_scale=pl.lit(None, dtype=pl.String), _n_vcse=pl.lit(None, dtype=pl.Boolean), _n_postcode=pl.lit(None, dtype=pl.String))

    not_applicable = pl.col("org_type").is_in(["public_body", "individual", "redacted"])
    category = pl.col("_category").fill_null("").str.to_lowercase()
    by_category = category.str.contains("community interest|charitable incorporated")
    by_form = pl.col("legal_form").is_in(["CIC", "CIO"]) | (pl.col("org_type") == "cic")
    base = base.with_columns(
        vcse_basis=pl.when(pl.col("on_charity_register")).then(pl.lit("charity_register"))
        .when(by_category).then(pl.lit("ch_category"))
        .when(by_form).then(pl.lit("legal_form"))
        .when(pl.col("_n_vcse").fill_null(False)).then(pl.lit("notice_vcse"))
        # typed a charity or CIC by a reference list or its name (pipelines/suppliers/typing.py)
        .when(pl.col("org_type").is_in(["charity", "cic"])).then(pl.lit("org_type"))
        .otherwise(pl.lit("none")),
    ).with_columns(vcse=(pl.col("vcse_basis") != "none") & ~pl.col("org_type").is_in(["public_body", "individual", "redacted"]))
    base = base.with_columns(
        vcse_basis=pl.when(pl.col("vcse")).then("vcse_basis").otherwise(pl.lit("none")),
    )

    # Location: registered office first (architecture.md), then the postcode given with the name, then notices.
    base = base.with_columns(postcode=pl.coalesce("_ch_postcode", "_charity_postcode", "given_postcode", "_n_postcode"))
    base = base.join(postcodes, on="postcode", how="left")

    # Groups: walk the PSC chain; strategic suppliers by company number anywhere on the chain, else by name.
    tops = walk_owners(owners.filter(pl.col("owner_kind").fill_null("corporate") == "corporate"))
    base = base.join(tops.rename({"company_number": "_company", "top": "_top"}), on="_company", how="left")
    base = base.with_columns(_top=pl.coalesce("_top", "_company"))
    top_names = companies.select(_top="company_number", _top_name="name")
    base = base.join(top_names, on="_top", how="left")
    by_number = strategic.filter(pl.col("company_number").is_not_null())
    base = base.join(by_number.select(_top="company_number", _s_key="group_key", _s_name="group_name"), on="_top", how="left")
    base = base.join(by_number.select(_company="company_number", _s_key2="group_key", _s_name2="group_name"), on="_company", how="left")
    prefixes = strategic.select("prefix", "group_key", "group_name")
    prefix_match = (
        base.select("supplier_key", "name_key").join(prefixes, how="cross")
        .filter((pl.col("name_key") == pl.col("prefix")) | pl.col("name_key").str.starts_with(pl.col("prefix") + " "))
        .unique("supplier_key", keep="first")
        .select("supplier_key", _s_key3="group_key", _s_name3="group_name")
    )
    base = base.join(prefix_match, on="supplier_key", how="left")
    strategic_key = pl.coalesce("_s_key", "_s_key2", "_s_key3")
    base = base.with_columns(
        is_strategic=strategic_key.is_not_null() & ~not_applicable,
        group_key=pl.coalesce(
            pl.when(~not_applicable).then(strategic_key),
            pl.when(pl.col("_top").is_not_null()).then(pl.concat_str(pl.lit("GB-COH-"), "_top")),
            "supplier_key",
        ),
        group_name=pl.coalesce(pl.when(~not_applicable).then(pl.coalesce("_s_name", "_s_name2", "_s_name3")), "_top_name", "canonical_name"),
    )

    # Size. A subsidiary of a group (a corporate owner on the PSC chain, or accounts filed as a subsidiary) is
    # never SME because of its own small-company accounts: the group's top company's accounts decide, and a
    # strategic supplier's group is large.
    accounts = pl.col("_accounts").fill_null("")
    top_accounts = pl.col("_top_accounts").fill_null("")
    subsidiary = (pl.col("_top") != pl.col("_company")).fill_null(False) | (accounts == "AUDIT EXEMPTION SUBSIDIARY")
    is_cic = (pl.col("org_type") == "cic") | pl.col("_category").fill_null("").str.to_lowercase().str.contains("community interest")
    base = base.join(companies.select(_top="company_number", _top_accounts="accounts_category"), on="_top", how="left")
    base = base.with_columns(
        size=pl.when(not_applicable).then(pl.lit("unknown"))
        .when(pl.col("_n_scale").is_not_null()).then(pl.when(pl.col("_n_scale") == "large").then(pl.lit("large")).otherwise(pl.lit("sme")))
        .when(pl.col("is_strategic")).then(pl.lit("large"))
        .when(subsidiary & top_accounts.is_in(LARGE_ACCOUNT_CATEGORIES)).then(pl.lit("large"))
        .when(subsidiary & (pl.col("_top") != pl.col("_company")) & top_accounts.is_in(SME_ACCOUNT_CATEGORIES) & (top_accounts != "AUDIT EXEMPTION SUBSIDIARY")).then(pl.lit("sme"))
        .when(subsidiary).then(pl.lit("unknown"))
        .when(accounts.is_in(SME_ACCOUNT_CATEGORIES)).then(pl.lit("sme"))
        .when(accounts.is_in(LARGE_ACCOUNT_CATEGORIES)).then(pl.lit("large"))
        .when(is_cic).then(pl.lit("sme"))
        .otherwise(pl.lit("unknown")),
        size_basis=pl.when(not_applicable).then(pl.lit("not_applicable"))
        .when(pl.col("_n_scale").is_not_null()).then(pl.lit("notice_scale"))
        .when(pl.col("is_strategic")).then(pl.lit("strategic_supplier"))
        .when(subsidiary & (top_accounts.is_in(LARGE_ACCOUNT_CATEGORIES) | top_accounts.is_in(SME_ACCOUNT_CATEGORIES))).then(pl.lit("group_accounts_category_proxy"))
        .when(subsidiary).then(pl.lit("subsidiary_group_unknown"))
        .when(accounts.is_in(SME_ACCOUNT_CATEGORIES + LARGE_ACCOUNT_CATEGORIES)).then(pl.lit("ch_accounts_category_proxy"))
        .when(is_cic).then(pl.lit("cic_default"))
        .otherwise(pl.lit("none")),
    )

    # Council-owned companies (LATCOs): an owner, direct or at the top, whose name is an English council.
    council_owners = owners.with_columns(_owner_key=name_key(pl.col("owner_name"))).join(
        councils.rename({"name_key": "_owner_key"}), on="_owner_key", how="inner"
    ).select(_owned="company_number", _gss="gss").unique("_owned", keep="first")
    base = base.join(council_owners.rename({"_owned": "_company"}), on="_company", how="left").join(
        council_owners.rename({"_owned": "_top", "_gss": "_gss_top"}), on="_top", how="left"
    ).with_columns(council_owned_by=pl.coalesce("_gss", "_gss_top"))

    return base.select(SUPPLIER_COLUMNS).sort("supplier_key")
