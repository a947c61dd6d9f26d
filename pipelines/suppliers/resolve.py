"""Resolve supplier names to organisations and type them: the matching and typing cascade (metrics.md §8, §10;
parsing.md §7-§8).

`resolve_suppliers(names, con)` takes one row per name occurrence (a `name` column; optional columns below)
and returns the same rows, in order, with `supplier_key`, `canonical_name`, `org_id`, `org_type`,
`org_type_basis`, `org_type_confidence`, `match_method`, `match_score` (plus the normalisation columns).
Equal `supplier_key` = same organisation: the org-id when one is known (`GB-COH-01234567`, `GB-CHC-1053962`,
`GB-LAE-DEV`, `GB-NHS-RA7`, `GB-EDU-100000`), a reference list's own id (`ons-pfa:E23000007`), else a key
built from the names (`name:...`, `individual:<council>:...`, `redacted:<kind>`).

Cascade (the first step that decides a row wins; overrides are applied last and win over everything):

1. redactions, by the shared whole-phrase rules (blank = unlabelled redaction) -> `redacted`; named people
   with a title ("Mr J Smith", "Dr A K Smith") or "QC" -> `individual`, before any name matching, so that a
   person is never matched to a company's name;
2. identifiers: company number, charity number, org-id given with the name (notices) -> that organisation;
   the reference lists and registers say what it is (a university's charity number is a public body);
3. the shipped reference lists (public bodies, schools, universities, housing providers, large charities; or
   the warehouse's refreshed copy) by exact name key, then base key (qualifiers dropped), then the trading-as
   or after-dash name; a key shared by several organisations of one type still gives the type;
4. registers loaded in the warehouse (Companies House, charities, councils): current names, then previous;
   then a payee named as a part of a listed body ("HMRC SHIPLEY"), unless its own words name a charity, club
   or trade body (a school's PTA is no part of the school);
5. fuzzy and truncated names against the reference lists and registers, blocked on the first word (rapidfuzz,
   FUZZY_THRESHOLD with a FUZZY_MARGIN over the runner-up, and the words agreeing: words_agree), and a
   truncated name that is the start of exactly one reference name;
6. other scheme ids from notices (GB-PPON-...);
7. `overrides.csv` (accept | reject | force) -> `override`.

Then typing (pipelines/suppliers/typing.py): rows a match typed keep that type (heuristics never override a
register); the others get name evidence, then the prior. Then grouping (pipelines/suppliers/grouping.py):
names joined by VAT numbers, council supplier ids, qualifiers, trading names, abbreviations (never by
initials alone), truncations and typos form one supplier; a group that holds exactly one identified
organisation takes its id. A supplier's type is its strongest evidence across its names.

Everything is deterministic: rows are processed in a canonical order, every choice has a tie-break, and the
output keeps the input order. Without registers (con None) the same cascade runs on the shipped reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl

from pipelines import reference, sqlfiles
from pipelines.normalise import identifiers
from pipelines.normalise.names import normalise_names, words
from pipelines.normalise.people import person_shape
from pipelines.normalise.redaction import redaction_kind_of_clean
from pipelines.suppliers import grouping, typing

OVERRIDES_CSV = Path(__file__).resolve().parent / "overrides.csv"

# Auto-accept band for fuzzy matches (metrics.md §8: centgovspend > 70 with a 10-point margin; AI DOGE >= 0.90 with
# a 0.05 lead). Register names are far more numerous than spend names, so we take the stricter end: many
# legitimately different companies differ by one word ("ABC CARE" / "ABC CARS").
FUZZY_THRESHOLD = 92.0
FUZZY_MARGIN = 4.0
FUZZY_MIN_CHARS = 8
# Caps the score matrix of one block (queries x candidates) to bound memory.
FUZZY_MAX_CELLS = 20_000_000
# A truncated payee name must be at least this long to be matched as the start of a reference name.
PREFIX_MIN_CHARS = 20
# A supplier id shared by more distinct names than this is a sundry/one-off payee id (Oxford "20000000").
SUPPLIER_ID_MAX_NAMES = 5
# name-evidence types that make a payee a body of its own, not a part of the listed body its name starts with
OWN_BODY_TYPES = ("charity", "cic", "other")

OPTIONAL_COLUMNS = (
    "council_gss", "supplier_id", "company_number", "charity_number", "vat_number", "postcode", "source",
    "creditor_type", "scale", "org_id",
)
OUTPUT_COLUMNS = (
    "supplier_key", "canonical_name", "org_id", "org_type", "org_type_basis", "org_type_confidence", "match_method", "match_score",
)
ORG_TYPES = typing.ORG_TYPES
_TYPE_ORDER = {t: i for i, t in enumerate(ORG_TYPES)}

_STATE = {
    "org_id": pl.String, "_ref": pl.String, "_register_name": pl.String, "_type": pl.String, "_basis": pl.String,
    "match_method": pl.String, "match_score": pl.Float64, "_special_key": pl.String,
}


@dataclass(frozen=True)
class Registers:
    """Access to the warehouse's register tables (`reference.*`); every method returns an empty frame when there
    is no warehouse or the table is absent. Large registers are queried for the keys at hand, never read whole."""

    con: duckdb.DuckDBPyConnection | None = None

    @classmethod
    def from_warehouse(cls, con: duckdb.DuckDBPyConnection | None) -> "Registers":
        return cls(con)

    # the columns each register query reads: a table that exists without them is an error, never "no rows"
    REQUIRED = {
        "companies": ["company_number", "name", "name_key", "previous_name_keys", "category"],
        "charities": ["charity_number", "name", "name_key", "company_number"],
        "public_bodies": ["org_id", "name", "name_key", "kind", "gss"],
    }
    TABLES = {
        "register_companies_by_key": "companies", "register_companies_by_previous_key": "companies",
        "register_companies_by_number": "companies", "register_charities_by_key": "charities",
        "register_charities_by_number": "charities", "register_public_bodies": "public_bodies",
    }

    def _present(self, table: str) -> bool:
        """Whether reference.<table> exists; raises when it exists without the columns the cascade reads."""
        rows = self.con.execute(
            "select column_name from information_schema.columns where table_schema = 'reference' and table_name = $t", {"t": table}
        ).fetchall()
        if not rows:
            return False
        missing = [c for c in self.REQUIRED[table] if c not in {r[0] for r in rows}]
        if missing:
            raise ValueError(f"register table reference.{table} has no column(s) {missing}: reload it with the current loader")
        return True

    def _query(self, sql_name: str, frames: dict[str, pl.DataFrame], schema: dict) -> pl.DataFrame:
        if self.con is None:
            return pl.DataFrame(schema=schema)
        tables = [self.TABLES[sql_name]] if sql_name in self.TABLES else ["companies", "charities"]
        if not any(self._present(t) for t in tables):
            return pl.DataFrame(schema=schema)
        try:
            for view, frame in frames.items():
                self.con.register(view, frame)
            out = self.con.sql(sqlfiles.load(f"suppliers/{sql_name}")).pl()
            return out.select([pl.col(c).cast(t) for c, t in schema.items()])
        finally:
            for view in frames:
                try:
                    self.con.unregister(view)
                except duckdb.Error:
                    pass

    def companies_by_key(self, keys: pl.Series, previous: bool = False) -> pl.DataFrame:
        schema = {"company_number": pl.String, "name": pl.String, "key": pl.String, "category": pl.String}
        name = "register_companies_by_previous_key" if previous else "register_companies_by_key"
        return self._query(name, {"query_keys": pl.DataFrame({"key": keys.unique()})}, schema)

    def companies_by_number(self, numbers: pl.Series) -> pl.DataFrame:
        schema = {"company_number": pl.String, "name": pl.String, "category": pl.String}
        return self._query("register_companies_by_number", {"query_numbers": pl.DataFrame({"number": numbers.unique()})}, schema)

    def charities_by_key(self, keys: pl.Series) -> pl.DataFrame:
        schema = {"charity_number": pl.String, "name": pl.String, "key": pl.String, "company_number": pl.String}
        return self._query("register_charities_by_key", {"query_keys": pl.DataFrame({"key": keys.unique()})}, schema)

    def charities_by_number(self, numbers: pl.Series) -> pl.DataFrame:
        schema = {"charity_number": pl.String, "name": pl.String, "company_number": pl.String}
        return self._query("register_charities_by_number", {"query_numbers": pl.DataFrame({"number": numbers.unique()})}, schema)

    def public_bodies(self) -> pl.DataFrame:
        schema = {"org_id": pl.String, "name": pl.String, "name_key": pl.String, "kind": pl.String, "gss": pl.String}
        return self._query("register_public_bodies", {}, schema)

    def fuzzy_candidates(self, blocks: pl.DataFrame) -> pl.DataFrame:
        """Register names in the given blocks (`block`, and the key lengths `lo`..`hi` that can match)."""
        schema = {"key": pl.String, "org_id": pl.String, "reg_name": pl.String, "category": pl.String}
        return self._query("register_fuzzy_candidates", {"query_blocks": blocks}, schema)


# ------------------------------------------------------------------------------------------- reference keys


_KEYED_COLUMNS = ["ref_id", "org_id", "canonical", "org_type", "kind", "source", "name_key", "base_key"]


def reference_keys(con: duckdb.DuckDBPyConnection | None, public_bodies: pl.DataFrame) -> pl.DataFrame:
    """key -> ref_id, org_id, canonical, org_type, kind, source, priority for every reference name: the shipped
    lists, each replaced by the warehouse's refreshed copy when there is one, and the warehouse's councils."""
    rows = reference.organisations(con)
    fresh = rows.filter(~pl.col("source").is_in(reference.shipped()["source"].unique().implode()) | pl.col("source").is_in(_warehouse_sources(con)))
    if fresh.is_empty() and public_bodies.is_empty():
        return _shipped_reference_keys()
    keep = reference.shipped_keyed().filter(pl.col("source").is_in(rows["source"].unique().implode()) & ~pl.col("source").is_in(fresh["source"].unique().implode()))
    parts = [keep.select(_KEYED_COLUMNS)]
    if not fresh.is_empty():
        parts.append(reference.with_keys(fresh).select(_KEYED_COLUMNS))
    if not public_bodies.is_empty():
        councils = public_bodies.select(
            ref_id="org_id", org_id="org_id", canonical="name", name="name",
            org_type=pl.lit("public_body"), kind="kind", source=pl.lit("register:public_bodies"),
        )
        parts.append(reference.with_keys(councils).select(_KEYED_COLUMNS))
    return _key_table(pl.concat(parts, how="vertical_relaxed"))


def _warehouse_sources(con: duckdb.DuckDBPyConnection | None) -> list[str]:
    if con is None:
        return []
    try:
        return [r[0] for r in con.sql("select distinct source from reference.organisations").fetchall()]
    except duckdb.Error:
        return []


def _key_table(keyed: pl.DataFrame) -> pl.DataFrame:
    priority = {source: i for i, source in enumerate(reference.SOURCE_PRIORITY)}
    cols = ["ref_id", "org_id", "canonical", "org_type", "kind", "source"]
    return (
        pl.concat([keyed.select(*cols, key="name_key"), keyed.select(*cols, key="base_key")])
        .filter(pl.col("key") != "")
        .with_columns(priority=pl.col("source").replace_strict(priority, default=len(priority), return_dtype=pl.Int32))
        .sort("key", "priority", "ref_id")
        .unique(["key", "ref_id"], keep="first", maintain_order=True)
    )


@lru_cache(maxsize=1)
def _shipped_reference_keys() -> pl.DataFrame:
    return _key_table(reference.shipped_keyed().select(_KEYED_COLUMNS))


def _build_lookups(keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(key lookup, org-id lookup) of a key table."""
    by_org = keys.filter(pl.col("org_id").is_not_null()).sort("priority", "ref_id").group_by("org_id", maintain_order=True).agg(
        pl.col("ref_id", "canonical", "org_type").first()
    )
    return _reference_lookup(keys), by_org


@lru_cache(maxsize=1)
def _shipped_lookups() -> tuple[pl.DataFrame, pl.DataFrame]:
    return _build_lookups(_shipped_reference_keys())


def _reference_lookup(keys: pl.DataFrame) -> pl.DataFrame:
    """key -> one organisation (ref_id, ...) or, when several of one type share the key, just the type.

    When lists disagree on the type, the list with the highest priority (reference.SOURCE_PRIORITY) decides; a
    list that knows a body but not its type (`unknown`) decides only where no list gives a type.
    """
    rank = pl.when(pl.col("org_type") == "unknown").then(pl.col("priority") + 10_000).otherwise(pl.col("priority"))
    top = keys.filter(rank == rank.min().over("key"))
    grouped = top.sort("ref_id").group_by("key").agg(
        _n=pl.col("ref_id").n_unique(),
        _types=pl.col("org_type").unique(),
        ref_id=pl.col("ref_id").first(),
        org_id=pl.col("org_id").first(),
        canonical=pl.col("canonical").first(),
        kind=pl.col("kind").first(),
        source=pl.col("source").first(),
    )
    return grouped.filter(pl.col("_types").list.len() == 1).select(
        "key",
        ref_id=pl.when(pl.col("_n") == 1).then("ref_id"),
        org_id=pl.when(pl.col("_n") == 1).then("org_id"),
        canonical=pl.when(pl.col("_n") == 1).then("canonical"),
        org_type=pl.col("_types").list.first(),
        kind="kind",
        source="source",
    )


# ------------------------------------------------------------------------------------------ charity stems
# A local branch or a part of a listed charity is named after it: "BIRTENSHAW HALL" (Birtenshaw), "L'ARCHE
# PRESTON", "VICTIM SUPPORT LAMBETH", "MAKING SPACE LIVERPOOL". A stem is a listed charity's name key
# without the words every charity's name may end with; a payee whose name is a stem followed only by place and
# branch words is typed a charity by name evidence (basis `charity_name_stem`): it is not that charity (a branch
# is often its own registered charity), so no id is taken.
STEM_SOURCES = ("ukcat_top_charities", "registered_providers", "registered_provider_numbers")
# (not TRUST, FOUNDATION or FUND: "THOMSON REUTERS FOUNDATION" is a charity, "THOMSON REUTERS" a company)
_STEM_TAIL = r"(?:\s+(?:CHARITY|CHARITIES|SOCIETY|UK|ASSOCIATION|APPEAL|INTERNATIONAL|ENGLAND|CIO|INCORPORATED))+$"
_FOUNDATION_TAIL = r"(?:\s+(?:TRUST|FOUNDATION|FUND|CHARITABLE TRUST|TRUST FUND))+$"
# a one-word stem must be at least this long and on at most this many listed organisations' names ("TOGETHER"
# of Together Trust is not distinctive if many schools and parishes use the word)
STEM_ONE_WORD_MIN_CHARS = 6
STEM_MAX_NAMES = 2
# a stem of several words must be at least this long
STEM_MIN_CHARS = 10
# words after a stem that name a branch or a place, not another business ("NACRO SERVICES" yes, "TOGETHER DRINKS" no)
BRANCH_WORDS = frozenset("""
IN OF AND FOR THE AT ON UPON AREA DISTRICT COUNTY CITY BOROUGH BRANCH BRANCHES CENTRE CENTRES COLLEGE SCHOOL PROJECT
PROJECTS SHOP SHOPS HALL NORTH SOUTH EAST WEST MID CENTRAL GREATER NORTHERN SOUTHERN EASTERN WESTERN UPPER
LOWER GREAT LITTLE ST
""".split())
_PLACE_KINDS = ("parish", "local_authority", "police", "fire", "combined_authority")
_SCHOOL_LISTS = ("gias_establishments", "gias_links", "independent_schools")


def charity_stems(keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """(stem -> number of words, place words) from a reference key table (see _key_table)."""
    from pipelines.normalise.vocabulary import ORGANISATION_WORDS

    trade = set(ORGANISATION_WORDS) - BRANCH_WORDS
    places = (
        keys.filter(pl.col("kind").is_in(_PLACE_KINDS)).select(w=pl.col("key").str.split(" ")).explode("w")
        .filter((pl.col("w").str.len_chars() >= 3) & ~pl.col("w").is_in(list(trade))).unique("w")["w"]
    )
    # schools are often named after the charity that runs them (Birtenshaw): the schools lists neither make a
    # charity's name common nor claim it for the public sector
    named = keys.filter(~pl.col("source").is_in(list(_SCHOOL_LISTS)))
    # how many organisations' names use each word: a one-word stem must be rare
    word_names = named.select("ref_id", w=pl.col("key").str.split(" ")).explode("w").unique(["ref_id", "w"]).group_by("w").len()
    other_keys = named.filter(pl.col("org_type") != "charity")["key"].unique()
    charities = keys.filter(pl.col("source").is_in(STEM_SOURCES) & (pl.col("org_type") == "charity"))
    stems = (
        pl.concat([
            # a one-word stem only where the charity calls itself by that one word ("NACRO", "BIRTENSHAW"), not
            # one left by cutting "TRUST" off "MONDAY CHARITABLE TRUST"
            charities.select(stem=pl.col("key").str.replace(r"^THE ", ""), _school=pl.lit(False)).filter(~pl.col("stem").is_in(places.implode())),
            charities.select(stem=pl.col("key").str.replace(_STEM_TAIL, "").str.replace(r"^THE ", ""), _school=pl.lit(False))
            .filter(pl.col("stem").str.contains(" ")),
            # a trust's or foundation's school or college ("NATIONAL STAR COLLEGE" of National Star Foundation); only
            # with SCHOOL or COLLEGE after it, as "THOMSON REUTERS" (of its foundation) is a company
            charities.select(stem=pl.col("key").str.replace(_FOUNDATION_TAIL, "").str.replace(_STEM_TAIL, "").str.replace(r"^THE ", ""), _school=pl.lit(True))
            .filter(pl.col("stem").str.contains(" ")),
        ])
        .sort("stem", "_school")
        .unique("stem", keep="first", maintain_order=True)
        .with_columns(_words=pl.col("stem").str.count_matches(" ") + 1)
        .join(word_names.rename({"w": "stem", "len": "_uses"}), on="stem", how="left")
        .filter(
            ~pl.col("stem").is_in(other_keys.implode())
            & pl.when(pl.col("_words") == 1).then(
                (pl.col("stem").str.len_chars() >= STEM_ONE_WORD_MIN_CHARS) & (pl.col("_uses").fill_null(0) <= STEM_MAX_NAMES)
                & ~pl.col("stem").is_in(list(set(ORGANISATION_WORDS))) & pl.col("stem").str.contains(r"^[A-Z]")
            ).otherwise(
                (pl.col("stem").str.len_chars() >= STEM_MIN_CHARS)
                # at least one word that is not a trade, branch or place word
                & pl.col("stem").str.split(" ").list.eval(
                    ~pl.element().is_in(list(set(ORGANISATION_WORDS) | BRANCH_WORDS)) & (pl.element().str.len_chars() >= 3)
                ).list.any()
            )
        )
        .select("stem", "_words", "_school")
        .sort("stem")
    )
    return stems, places.sort()


def charity_stem_names(name_keys: pl.Series, stems: pl.DataFrame, places: pl.Series) -> pl.Series:
    """The name keys that are a charity stem followed only by branch and place words (see charity_stems)."""
    from pipelines.normalise.vocabulary import ORGANISATION_WORDS

    empty = pl.Series("name_key", [], dtype=pl.String)
    keys = pl.DataFrame({"name_key": name_keys.drop_nulls().unique()}).filter(pl.col("name_key") != "")
    if keys.is_empty() or stems.is_empty():
        return empty
    tokens = keys.with_columns(_t=pl.col("name_key").str.split(" "))
    prefixes = tokens.with_columns(_len=pl.int_ranges(1, pl.col("_t").list.len() + 1)).explode("_len")
    prefixes = prefixes.with_columns(stem=pl.col("_t").list.slice(0, pl.col("_len")).list.join(" "))
    hits = prefixes.join(stems, on="stem", how="inner")
    if hits.is_empty():
        return empty
    trade = list(set(ORGANISATION_WORDS) - BRANCH_WORDS)
    allowed = list(BRANCH_WORDS)
    tails = hits.with_columns(_tail=pl.col("_t").list.slice(pl.col("_len"))).with_columns(
        _ok=pl.col("_tail").list.eval(
            pl.element().is_in(allowed) | pl.element().is_in(places.implode()) | pl.element().str.contains(r"^\d{1,2}$")
        ).list.all(),
        _no_trade=~pl.col("_tail").list.eval(pl.element().is_in(trade)).list.any(),
    )
    # a one-word stem takes only branch and place words after it; a longer stem anything but trade words; a
    # foundation's stem only its school or college
    school = pl.col("_tail").list.eval(pl.element().is_in(["SCHOOL", "SCHOOLS", "COLLEGE"])).list.any()
    ok = tails.filter(
        pl.when(pl.col("_words") == 1).then(pl.col("_ok")).otherwise(pl.col("_no_trade")) & (~pl.col("_school") | school)
    )
    return ok["name_key"].unique().sort()


@lru_cache(maxsize=1)
def _shipped_charity_stems() -> tuple[pl.DataFrame, pl.Series]:
    return charity_stems(_shipped_reference_keys())


# ------------------------------------------------------------------------------------------- police areas
# "PCC" after a police force area's name is its police and crime commissioner; after any other place's or
# church's name it is a parochial church council (typing.py). The police list names every area as "<area> PCC".
POLICE_AREA_SOURCE = "ons_police_force_areas"


def police_areas(keys: pl.DataFrame) -> pl.Series:
    """The police force areas' names as the police list writes them before "PCC" ("NORTH YORKSHIRE")."""
    listed = keys.filter((pl.col("source") == POLICE_AREA_SOURCE) & pl.col("key").str.ends_with(" PCC"))
    return listed.select(area=pl.col("key").str.strip_suffix(" PCC"))["area"].unique().sort()


def police_area_pcc_names(name_keys: pl.Series, areas: pl.Series) -> pl.Series:
    """The name keys that are "<police force area> ... PCC" ("HAMPSHIRE AND IOW PCC", "WEST YORKSHIRE PCC")."""
    frame = pl.DataFrame({"name_key": name_keys.drop_nulls().unique()})
    frame = frame.filter(pl.col("name_key").str.ends_with(" PCC"))
    if frame.is_empty() or areas.is_empty():
        return pl.Series("name_key", [], dtype=pl.String)
    before = pl.col("name_key").str.strip_suffix(" PCC")
    # the area's whole words: "DEVON AND CORNWALL" and "KENT", not "KENTISBEARE"
    starts = frame.join(pl.DataFrame({"area": areas}), how="cross").filter(
        (before == pl.col("area")) | before.str.starts_with(pl.col("area") + " ")
    )
    return starts["name_key"].unique().sort()


@lru_cache(maxsize=1)
def _shipped_police_areas() -> pl.Series:
    return police_areas(_shipped_reference_keys())


# ------------------------------------------------------------------------------------------------ the steps


def _prepare(names: pl.DataFrame) -> pl.DataFrame:
    if "name" not in names.columns:
        raise ValueError("the input needs a `name` column")
    df = names.with_row_index("_row")
    for col in OPTIONAL_COLUMNS:
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    df = df.with_columns(pl.col("name").cast(pl.String))
    df = normalise_names(df, "name")
    given_org = identifiers.org_id_from_text(pl.col("org_id"))
    company = pl.coalesce(identifiers.company_number(pl.col("company_number")),
                          pl.when(given_org.str.starts_with("GB-COH-")).then(given_org.str.slice(7)))
    charity = pl.coalesce(identifiers.charity_number(pl.col("charity_number")),
                          pl.when(given_org.str.contains(r"^GB-(CHC|SC|NIC)-")).then(given_org.str.replace(r"^GB-(CHC|SC|NIC)-", "")))
    df = df.with_columns(
        _company_number=company,
        _charity_number=charity,
        _vat=identifiers.vat_number(pl.col("vat_number")),
        _creditor_type=pl.col("creditor_type").cast(pl.String).str.strip_chars().str.to_uppercase(),
        _postcode=identifiers.postcode(pl.col("postcode")),
        _supplier_id=pl.col("supplier_id").cast(pl.String).str.strip_chars().replace("", None),
        _council=pl.col("council_gss").cast(pl.String).str.strip_chars().replace("", None),
        _given_org_id=given_org,
        **{name: pl.lit(None, dtype=dtype) for name, dtype in _STATE.items()},
    )
    return df


def _decide(df: pl.DataFrame, when: pl.Expr, **values: pl.Expr) -> pl.DataFrame:
    """Fill the given columns on undecided rows (match_method null) where `when` holds."""
    open_rows = pl.col("match_method").is_null() & when.fill_null(False)
    return df.with_columns([pl.when(open_rows).then(expr).otherwise(pl.col(name)).alias(name) for name, expr in values.items()])


def _charity_org_id(number: pl.Expr) -> pl.Expr:
    return (
        pl.when(number.str.starts_with("NIC")).then(pl.concat_str(pl.lit("GB-NIC-"), number.str.slice(3)))
        .when(number.str.starts_with("SC")).then(pl.concat_str(pl.lit("GB-SC-"), number))
        .otherwise(pl.concat_str(pl.lit("GB-CHC-"), number))
    )


def _step_redactions_and_titled_people(df: pl.DataFrame) -> pl.DataFrame:
    # the same rules as staging, on the text normalise_names already cleaned (the pseudonym suffix put back)
    kind = redaction_kind_of_clean(pl.concat_str([pl.col("name_clean"), pl.lit("****"), pl.col("pseudonym")], ignore_nulls=False).fill_null(pl.col("name_clean")))
    df = df.with_columns(
        redacted_kind=pl.when(kind == "unlabelled_blank").then(pl.lit("blank")).when(kind.is_in(["personal", "commercial"])).then(kind),
        _pshape=person_shape(pl.col("_pwords")),
    )
    df = _decide(
        df, pl.col("redacted_kind").is_not_null(),
        _type=pl.lit("redacted"), _basis=pl.lit("redaction"), match_method=pl.lit("redacted"), match_score=pl.lit(1.0),
        _special_key=pl.concat_str(pl.lit("redacted:"), pl.col("redacted_kind")),
    )
    titled = pl.col("_pshape").is_in(["title", "counsel"]) | pl.col("_creditor_type").is_in(["INDV", "INDIVIDUAL"])
    return _decide(
        df, titled,
        _type=pl.lit("individual"),
        _basis=pl.when(pl.col("_pshape") == "counsel").then(pl.lit("person_counsel")).when(pl.col("_pshape") == "title").then(pl.lit("person_title")).otherwise(pl.lit("creditor_type")),
        match_method=pl.lit("individual"), match_score=pl.lit(1.0),
        # a person is only "the same" within one council: names like "MRS A JONES" recur across the country
        _special_key=pl.concat_str(pl.lit("individual:"), pl.col("_council").fill_null(""), pl.lit(":"), pl.col("name_key")),
    )


def _step_identifiers(df: pl.DataFrame, reg: Registers, ref_by_org: pl.DataFrame) -> pl.DataFrame:
    companies = reg.companies_by_number(df["_company_number"].drop_nulls())
    charities = reg.charities_by_number(pl.concat([df["_company_number"], df["_charity_number"]]).drop_nulls())
    df = df.join(companies.select(_company_number="company_number", _ch_name="name", _ch_category="category"), on="_company_number", how="left")
    df = df.join(charities.select(_charity_number="charity_number", _cc_name="name"), on="_charity_number", how="left")
    # a charitable company is one organisation with its charity
    linked = charities.filter(pl.col("company_number").is_not_null()).sort("charity_number").unique("company_number", keep="first")
    df = df.join(linked.select(_company_number="company_number", _linked_charity="charity_number"), on="_company_number", how="left")
    org = pl.coalesce(
        pl.when(pl.col("_linked_charity").is_not_null()).then(_charity_org_id(pl.col("_linked_charity"))),
        pl.when(pl.col("_company_number").is_not_null()).then(pl.concat_str(pl.lit("GB-COH-"), "_company_number")),
        pl.when(pl.col("_charity_number").is_not_null()).then(_charity_org_id(pl.col("_charity_number"))),
        pl.when(pl.col("_given_org_id").is_not_null() & ~pl.col("_given_org_id").str.starts_with("GB-PPON-")).then("_given_org_id"),
    )
    df = df.with_columns(_id_org=org)
    df = df.join(ref_by_org.rename({"org_id": "_id_org", "ref_id": "_id_ref", "canonical": "_id_canonical", "org_type": "_id_type"}), on="_id_org", how="left")
    category = pl.col("_ch_category").fill_null("").str.to_lowercase()
    register_type = (
        pl.when(category.str.contains("community interest")).then(pl.lit("cic"))
        .when(category.str.contains("charitable incorporated")).then(pl.lit("charity"))
    )
    method = (
        pl.when(pl.col("_company_number").is_not_null()).then(pl.lit("company_number"))
        .when(pl.col("_charity_number").is_not_null()).then(pl.lit("charity_number"))
        .otherwise(pl.lit("identifier"))
    )
    id_type = pl.coalesce("_id_type", register_type, pl.when(pl.col("_linked_charity").is_not_null()).then(pl.lit("charity")), typing.scheme_type(pl.col("_id_org")))
    df = _decide(
        df, pl.col("_id_org").is_not_null(),
        org_id=pl.col("_id_org"), _ref=pl.coalesce("_id_ref", "_id_org"),
        _register_name=pl.coalesce("_id_canonical", "_ch_name", "_cc_name"),
        _type=id_type,
        _basis=pl.when(pl.col("_id_type").is_not_null()).then(pl.lit("identifier+reference")).otherwise(pl.lit("identifier")),
        match_method=method, match_score=pl.lit(1.0),
    )
    return df.drop("_ch_name", "_ch_category", "_cc_name", "_linked_charity", "_id_org", "_id_ref", "_id_canonical", "_id_type")


def _step_reference_names(df: pl.DataFrame, lookup: pl.DataFrame) -> pl.DataFrame:
    """Exact keys against the reference lists: name key, then base key, then the trading/after-dash name.

    An abbreviation on a list ("SIS", "HMRC") matches only a payee written without a legal form: "SIS (UK) LTD"
    is a company, not the Secret Intelligence Service.
    """
    for key_col, method in (("name_key", "reference_name"), ("base_key", "reference_name"), ("alias_key", "reference_alias")):
        renamed = lookup.rename({"key": key_col, "ref_id": "_x_ref", "org_id": "_x_org", "canonical": "_x_name", "org_type": "_x_type",
                                 "kind": "_x_kind", "source": "_x_source"})
        df = df.join(renamed, on=key_col, how="left")
        usable = pl.col("_x_type").is_not_null() & ~((pl.col("_x_kind") == "abbreviation") & pl.col("legal_form").is_not_null())
        df = _decide(
            df, usable,
            org_id=pl.col("_x_org"), _ref=pl.col("_x_ref"), _register_name=pl.col("_x_name"),
            _type=pl.col("_x_type"), _basis=pl.concat_str(pl.lit("reference:"), pl.col("_x_source")),
            match_method=pl.when(pl.col("_x_ref").is_not_null()).then(pl.lit(method)).otherwise(pl.lit("reference_type")),
            match_score=pl.lit(1.0),
        ).drop("_x_ref", "_x_org", "_x_name", "_x_type", "_x_kind", "_x_source")
    return df


def _step_reference_prefix(df: pl.DataFrame, lookup: pl.DataFrame) -> pl.DataFrame:
    """A payee named as a part of a listed body: its name starts with the body's full name (or its initialism),
    then more words ("LEEDS CITY COLLEGE THOMAS DANBY CAMPUS", "NORTH YORKSHIRE COUNTY COUNCIL WASTE MANAGEMENT
    SERVICES", "HMRC SHIPLEY").
    The longest listed name wins; a payee with a legal form the body's name lacks is a company of its own, and one
    whose own words name a charity, club or trade body is no part of a school, public body or company it starts
    with ("BRIGHT FUTURES TRUST" is not the school "BRIGHT FUTURES", "FLIXTON INFANT SCHOOL PTA" not the school)."""
    open_rows = df.filter(pl.col("match_method").is_null() & pl.col("legal_form").is_null() & (pl.col("name_key").str.count_matches(" ") >= 1))
    if open_rows.is_empty():
        return df
    tokens = open_rows.select("name_key").unique().with_columns(_t=pl.col("name_key").str.split(" "))
    prefixes = tokens.with_columns(_len=pl.int_ranges(1, pl.col("_t").list.len())).explode("_len").filter(pl.col("_len").is_not_null())
    prefixes = prefixes.with_columns(key=pl.col("_t").list.slice(0, pl.col("_len")).list.join(" "))
    hits = prefixes.join(lookup, on="key", how="inner").filter(
        # a full name of two words or more; or a listed abbreviation of four letters or more ("HMRC SHIPLEY")
        ((pl.col("_len") >= 2) & (pl.col("key").str.len_chars() >= 12) & (pl.col("kind").fill_null("") != "abbreviation"))
        # (an initialism, not a word: at most one vowel, so "BEIS MALKA" is not the business department)
        | ((pl.col("_len") == 1) & (pl.col("key").str.len_chars() >= 4) & (pl.col("kind") == "abbreviation") & (pl.col("key").str.count_matches("[AEIOU]") <= 1))
    )
    best = hits.sort("name_key", "_len", descending=[False, True]).unique("name_key", keep="first", maintain_order=True)
    best = best.select("name_key", _p_ref="ref_id", _p_org="org_id", _p_name="canonical", _p_type="org_type", _p_source="source")
    df = df.join(best, on="name_key", how="left")
    # (a listed charity's parts keep its id: "AFFINITY TRUST NORTH DIVISIONAL OFFICE", "ROYAL BRITISH LEGION HOMES")
    parts = df.filter(pl.col("_p_type").is_not_null() & (pl.col("_p_type") != "charity"))
    if not parts.is_empty():
        own_body = typing.name_evidence(parts).filter(pl.col("_ne_type").is_in(OWN_BODY_TYPES))["name_key"].unique()
        df = df.with_columns(_p_type=pl.when(pl.col("name_key").is_in(own_body.implode())).then(None).otherwise("_p_type"))
    return _decide(
        df, pl.col("_p_type").is_not_null() & pl.col("legal_form").is_null(),
        org_id=pl.col("_p_org"), _ref=pl.col("_p_ref"), _register_name=pl.col("_p_name"), _type=pl.col("_p_type"),
        _basis=pl.concat_str(pl.lit("reference:"), pl.col("_p_source")), match_method=pl.lit("reference_prefix"), match_score=pl.lit(0.85),
    ).drop("_p_ref", "_p_org", "_p_name", "_p_type", "_p_source")


def _register_lookup(reg: Registers, keys: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(current-name lookup, previous-name lookup) from the warehouse registers: key -> org_id, reg_name, type."""
    companies = reg.companies_by_key(keys)
    charities = reg.charities_by_key(keys)
    previous = reg.companies_by_key(keys, previous=True)

    def company_rows(frame: pl.DataFrame) -> pl.DataFrame:
        category = pl.col("category").fill_null("").str.to_lowercase()
        return frame.select(
            "key", org_id=pl.concat_str(pl.lit("GB-COH-"), "company_number"), reg_name="name",
            org_type=pl.when(category.str.contains("community interest")).then(pl.lit("cic"))
            .when(category.str.contains("charitable incorporated")).then(pl.lit("charity")).otherwise(pl.lit("company")),
        )

    current = pl.concat([
        company_rows(companies),
        charities.select("key", org_id=_charity_org_id(pl.col("charity_number")), reg_name="name", org_type=pl.lit("charity")),
    ])
    previous = company_rows(previous).filter(~pl.col("key").is_in(current["key"].implode()))

    def unique(frame: pl.DataFrame) -> pl.DataFrame:
        grouped = frame.sort("org_id").group_by("key").agg(pl.col("org_id").n_unique().alias("_n"), pl.col("org_id", "reg_name", "org_type").first())
        return grouped.filter(pl.col("_n") == 1).drop("_n")

    return unique(current), unique(previous)


def _step_register_names(df: pl.DataFrame, reg: Registers) -> pl.DataFrame:
    open_keys = pl.concat([df["name_key"], df["base_key"], df["alias_key"].drop_nulls()]).unique()
    current, previous = _register_lookup(reg, open_keys.filter(open_keys != ""))
    # names the input itself identified (a company number on another line) count as register names too
    identified = (
        df.filter(pl.col("match_method").is_in(["company_number", "charity_number"]) & pl.col("_type").is_not_null())
        .sort("org_id").group_by("name_key").agg(pl.col("org_id").n_unique().alias("_n"), pl.col("org_id").first(),
                                                 pl.coalesce("_register_name", "name_clean").first().alias("reg_name"), pl.col("_type").first().alias("org_type"))
        .filter(pl.col("_n") == 1).drop("_n").rename({"name_key": "key"})
    )
    current = pl.concat([current, identified.filter(~pl.col("key").is_in(current["key"].implode()))])
    # A name a reference list typed (a school, a housing association, Network Rail) that the register also
    # holds under one number takes the register's id, the universal one; the list keeps deciding the type.
    listed = pl.col("match_method").is_in(["reference_name", "reference_alias"])
    for key_col in ("name_key", "base_key"):
        joined = df.join(current.rename({"key": key_col, "org_id": "_x_org", "reg_name": "_x_name", "org_type": "_x_type"}), on=key_col, how="left")
        swap = listed & pl.col("_x_org").is_not_null()
        df = joined.with_columns(
            org_id=pl.when(swap).then("_x_org").otherwise("org_id"),
            _ref=pl.when(swap).then("_x_org").otherwise("_ref"),
            _register_name=pl.when(swap).then("_x_name").otherwise("_register_name"),
        ).drop("_x_org", "_x_name", "_x_type")
    for lookup, method in ((current, "exact_name"), (previous, "previous_name")):
        for key_col in ("name_key", "base_key", "alias_key"):
            joined = df.join(lookup.rename({"key": key_col, "org_id": "_x_org", "reg_name": "_x_name", "org_type": "_x_type"}), on=key_col, how="left")
            df = _decide(
                joined, pl.col("_x_org").is_not_null(),
                org_id=pl.col("_x_org"), _ref=pl.col("_x_org"), _register_name=pl.col("_x_name"), _type=pl.col("_x_type"),
                _basis=pl.lit("register"), match_method=pl.lit(method), match_score=pl.lit(1.0),
            ).drop("_x_org", "_x_name", "_x_type")
    return df


def _length_band() -> float:
    """fuzz.ratio >= t needs the shorter string to be at least t / (2 - t) of the longer one; t is the lowest
    score that still counts against the margin."""
    floor = (FUZZY_THRESHOLD - FUZZY_MARGIN) / 100.0
    return floor / (2.0 - floor)


def _fuzzy_block(key: pl.Expr) -> pl.Expr:
    """The block a key is compared within: its first word and the initial of its second (the same expression as
    sql/suppliers/register_fuzzy_candidates.sql). Not the third word's too: "DEVON HOME CARS" must meet
    "DEVON HOMECARE" to make "DEVON HOME CARE" ambiguous."""
    return pl.concat_str(key.str.extract(r"^(\S+)", 1), pl.lit(" "), key.str.extract(r"^\S+ (\S)", 1).fill_null(""))


def fuzzy_candidates(queries: list[str], choices: pl.DataFrame) -> pl.DataFrame:
    """Best match per query key, blocked on the first word and the next word's first letter; returns key,
    org_id, reg_name, org_type, score.

    `choices` has columns key, org_id, reg_name, org_type (org_id may be a reference id). A query is accepted
    only if its best score >= FUZZY_THRESHOLD and the best score of any *other* organisation is at least
    FUZZY_MARGIN lower. The score matrix of a block is evaluated in chunks of at most FUZZY_MAX_CELLS cells,
    and the acceptance test is vectorised (numpy), so the cost is the rapidfuzz comparisons themselves.
    """
    import numpy as np
    from rapidfuzz import fuzz, process

    empty = pl.DataFrame(schema={"key": pl.String, "org_id": pl.String, "reg_name": pl.String, "org_type": pl.String, "score": pl.Float64})
    if not queries or choices.is_empty():
        return empty
    q = pl.DataFrame({"key": sorted(set(queries))}).with_columns(block=_fuzzy_block(pl.col("key")))
    c = choices.unique(["key", "org_id"]).sort("key", "org_id").with_columns(block=_fuzzy_block(pl.col("key")))
    c = c.filter(pl.col("block").is_in(q["block"].unique().implode()))
    if c.is_empty():
        return empty
    # blocks as integer codes shared by both sides, rows sorted by block: each block is a slice, so the loop
    # below only slices Python lists and numpy arrays (no per-block DataFrame work)
    codes = pl.concat([q["block"], c["block"]]).unique().sort()
    code_of = pl.DataFrame({"block": codes}).with_row_index("_code").with_columns(pl.col("_code").cast(pl.Int64))
    q = q.join(code_of, on="block").with_columns(_len=pl.col("key").str.len_chars()).sort("_code", "_len", "key")
    c = (
        c.join(code_of, on="block").with_columns(_len=pl.col("key").str.len_chars())
        .sort("_code", "_len", "key", "org_id").with_columns(_org=pl.col("org_id").rank("dense").cast(pl.Int64))
    )
    q_keys, c_keys = q["key"].to_list(), c["key"].to_list()
    q_code, c_code = q["_code"].to_numpy(), c["_code"].to_numpy()
    q_len, c_len = q["_len"].to_numpy(), c["_len"].to_numpy()
    c_orgs = c["_org"].to_numpy()
    threshold, margin = int(FUZZY_THRESHOLD), int(FUZZY_MARGIN)
    # fuzz.ratio >= t needs the shorter string to be at least t / (2 - t) of the longer one: only candidates
    # of a compatible length can reach the margin score, so each (block, query length) compares to a slice
    band = _length_band()
    hit_q: list[int] = []
    hit_c: list[int] = []
    hit_score: list[int] = []
    group = q_code.astype(np.int64) * 10_000 + q_len
    q_starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    q_ends = np.r_[q_starts[1:], len(group)]
    c_group_lo = np.searchsorted(c_code, q_code[q_starts], side="left")
    c_group_hi = np.searchsorted(c_code, q_code[q_starts], side="right")
    for qs, qe, bs, be in zip(q_starts.tolist(), q_ends.tolist(), c_group_lo.tolist(), c_group_hi.tolist()):
        if be <= bs:
            continue
        length = int(q_len[qs])
        cs = bs + int(np.searchsorted(c_len[bs:be], np.ceil(length * band), side="left"))
        ce = bs + int(np.searchsorted(c_len[bs:be], np.floor(length / band), side="right"))
        if ce <= cs:
            continue
        block_keys, block_orgs = c_keys[cs:ce], c_orgs[cs:ce]
        step = max(1, FUZZY_MAX_CELLS // (ce - cs))
        for start in range(qs, qe, step):
            stop = min(qe, start + step)
            scores = process.cdist(q_keys[start:stop], block_keys, scorer=fuzz.ratio, dtype=np.uint8, score_cutoff=threshold - margin, workers=-1)
            best = scores.argmax(axis=1)
            top = scores[np.arange(stop - start), best].astype(np.int16)
            # the best score of any *other* organisation in the block
            other = np.where(block_orgs[None, :] == block_orgs[best][:, None], 0, scores).max(axis=1).astype(np.int16)
            ok = np.flatnonzero((top >= threshold) & (other < top - margin))
            hit_q.extend((start + ok).tolist())
            hit_c.extend((cs + best[ok]).tolist())
            hit_score.extend(top[ok].tolist())
    # a close score is not enough: the words must differ only as one organisation's name varies
    agreed = [n for n, (i, j) in enumerate(zip(hit_q, hit_c)) if words_agree(q_keys[i], c_keys[j])]
    hit_q, hit_c, hit_score = [hit_q[n] for n in agreed], [hit_c[n] for n in agreed], [hit_score[n] for n in agreed]
    if not hit_q:
        return empty
    picked = c.select("org_id", "reg_name", "org_type")[pl.Series(hit_c, dtype=pl.Int64)]
    return pl.DataFrame({"key": [q_keys[i] for i in hit_q], "score": [v / 100.0 for v in hit_score]}).with_columns(picked).select(list(empty.columns))


# Words whose presence on one side only never makes two names different organisations
FILLER_WORDS = frozenset({"THE", "AND", "OF", "FOR", "NHS"})
TYPO_MIN_CHARS = 5  # a word this long or longer may carry a typo (two edits); shorter ones must agree
TYPO_MAX_EDITS = 2
# last words whose plural names another body: a joint body of councils is no council
COLLECTIVE_PLURALS = frozenset({"COUNCIL"})


def words_agree(a: str, b: str) -> bool:
    """Whether two name keys a fuzzy score found close differ only in ways one organisation's name varies:
    word for word, a typo in a word of five letters or more (at most two edits, "COMMUNTIY", "ASSSOCIATION", or
    a letter dropped, "TRST"), an abbreviation (the same first letter and the short word's letters in order, at
    least two fewer: "JNR", "HSING", "COLL"), a plural ("CARE HOMES"), a long name's last word cut short
    ("CLIMATE CH"), words run together ("HEALTH CARE") and filler words (THE, AND, OF, FOR, NHS). Not a
    different short word ("BARROW HALL" and "BARROW HILL", "PRE SCHOOL" and "PREP SCHOOL", "CATH" and "CE"), a
    word on one side only ("WEST"), a longer word ("TELECOMMUNICATIONS"), nor "COUNCILS" for "COUNCIL" at the
    end ("LONDON COUNCILS")."""
    from rapidfuzz.distance import Levenshtein

    if a.replace(" ", "") == b.replace(" ", ""):
        return True
    wa, wb = a.split(), b.split()
    last_a, last_b = len(wa) - 1, len(wb) - 1
    left = [(i, w) for i, w in enumerate(wa) if w not in FILLER_WORDS]
    right = [(j, w) for j, w in enumerate(wb) if w not in FILLER_WORDS]
    if not left or not right:  # (a name of filler words only is its own)
        return False
    for i, w in list(left):  # the same word on both sides
        match = next((r for r in right if r[1] == w), None)
        if match:
            left.remove((i, w))
            right.remove(match)

    def agree(i: int, x: str, j: int, y: str) -> bool:
        # a long name cut short at a column's width, in its last word
        if ((i == last_a and len(a) >= PREFIX_MIN_CHARS and y.startswith(x))
                or (j == last_b and len(b) >= PREFIX_MIN_CHARS and x.startswith(y))):
            return True
        short, long_ = sorted((x, y), key=len)
        if long_ in (short + "S", short + "ES", short[:-1] + "IES"):
            # ("CARE HOMES" are one care home company's; "LONDON COUNCILS" are the boroughs' joint body)
            return short not in COLLECTIVE_PLURALS or (i != last_a and j != last_b)
        if min(len(x), len(y)) >= TYPO_MIN_CHARS and Levenshtein.distance(x, y) <= TYPO_MAX_EDITS:
            return True
        if len(long_) >= TYPO_MIN_CHARS and len(long_) == len(short) + 1 and Levenshtein.distance(x, y) == 1:
            return True  # a letter dropped from a long word ("TRST")
        return len(short) >= 2 and len(long_) - len(short) >= 2 and short[0] == long_[0] and _in_order(short, long_)

    for i, x in left:
        match = next(((j, y) for j, y in right if agree(i, x, j, y)), None)
        if match is None:
            return False
        right.remove(match)
    return not right


def _in_order(short: str, long_: str) -> bool:
    """Whether the letters of `short` appear in `long_` in the same order."""
    rest = iter(long_)
    return all(ch in rest for ch in short)


def _prefix_matches(queries: pl.Series, keys: pl.DataFrame) -> pl.DataFrame:
    """Truncated names: a query key that is the start of one organisation's reference key (or of several of
    one type, which still gives the type)."""
    choices = keys.select("key", "ref_id", "org_id", "canonical", "org_type", "source").sort("key", "ref_id")
    sorted_keys = choices["key"]
    empty = pl.DataFrame(schema={"key": pl.String, "ref_id": pl.String, "org_id": pl.String, "canonical": pl.String, "org_type": pl.String, "source": pl.String})
    q = pl.DataFrame({"key": queries.unique().sort()})
    if q.is_empty():
        return empty
    lo = sorted_keys.search_sorted(q["key"], side="left")
    hi = sorted_keys.search_sorted(q["key"] + "\U0010ffff", side="left")
    q = q.with_columns(_lo=lo, _hi=hi).filter(pl.col("_hi") > pl.col("_lo"))
    if q.is_empty():
        return empty
    spans = q.with_columns(_i=pl.int_ranges("_lo", "_hi")).explode("_i")
    spans = spans.with_columns(choices.select(pl.exclude("key")).select(pl.all().gather(spans["_i"].cast(pl.UInt32))))
    one = spans.group_by("key").agg(
        pl.col("ref_id").n_unique().alias("_n"), pl.col("org_type").n_unique().alias("_nt"),
        pl.col("ref_id", "org_id", "canonical", "org_type", "source").first(),
    ).filter(pl.col("_nt") == 1)
    ambiguous = pl.col("_n") > 1
    return one.with_columns(
        ref_id=pl.when(~ambiguous).then("ref_id"), org_id=pl.when(~ambiguous).then("org_id"), canonical=pl.when(~ambiguous).then("canonical"),
    ).drop("_n", "_nt")


def _step_fuzzy(df: pl.DataFrame, reg: Registers, ref_keys: pl.DataFrame) -> pl.DataFrame:
    unresolved = df.filter(pl.col("match_method").is_null() & (pl.col("name_key").str.len_chars() >= FUZZY_MIN_CHARS))
    open_keys = unresolved["name_key"].unique()
    if open_keys.is_empty():
        return df
    # truncated names: the start of exactly one reference organisation's name
    long_keys = open_keys.filter(open_keys.str.len_chars() >= PREFIX_MIN_CHARS)
    prefixes = _prefix_matches(long_keys, ref_keys.filter(pl.col("kind").fill_null("") != "abbreviation")).rename(
        {"key": "name_key", "ref_id": "_p_ref", "org_id": "_p_org", "canonical": "_p_name", "org_type": "_p_type", "source": "_p_source"})
    df = df.join(prefixes, on="name_key", how="left")
    df = _decide(
        df, pl.col("_p_type").is_not_null(),
        org_id=pl.col("_p_org"), _ref=pl.col("_p_ref"), _register_name=pl.col("_p_name"), _type=pl.col("_p_type"),
        _basis=pl.concat_str(pl.lit("reference:"), pl.col("_p_source")),
        match_method=pl.when(pl.col("_p_ref").is_not_null()).then(pl.lit("truncated_name")).otherwise(pl.lit("reference_type")), match_score=pl.lit(0.9),
    ).drop("_p_ref", "_p_org", "_p_name", "_p_type", "_p_source")
    still = df.filter(pl.col("match_method").is_null() & (pl.col("name_key").str.len_chars() >= FUZZY_MIN_CHARS))["name_key"].unique()
    if still.is_empty():
        return df
    band = _length_band()
    blocks = (
        pl.DataFrame({"k": still}).with_columns(block=_fuzzy_block(pl.col("k")), _len=pl.col("k").str.len_chars())
        .group_by("block").agg(lo=(pl.col("_len").min() * band).ceil().cast(pl.Int64), hi=(pl.col("_len").max() / band).floor().cast(pl.Int64))
    )
    register = reg.fuzzy_candidates(blocks)
    category = register["category"].fill_null("").str.to_lowercase()
    register = register.with_columns(
        org_type=pl.when(category == "charity").then(pl.lit("charity")).when(category.str.contains("community interest")).then(pl.lit("cic"))
        .when(category.str.contains("charitable incorporated")).then(pl.lit("charity")).otherwise(pl.lit("company")),
        source=pl.lit("register"),
    ).drop("category")
    references = ref_keys.filter(pl.col("ref_id").is_not_null()).select(
        "key", org_id="ref_id", reg_name="canonical", org_type="org_type", source=pl.concat_str(pl.lit("reference:"), pl.col("source")))
    choices = pl.concat([references, register.select("key", "org_id", "reg_name", "org_type", "source")])
    found = fuzzy_candidates(still.to_list(), choices.drop("source"))
    found = found.join(choices.select("key", "org_id", "source").unique(["key", "org_id"]), left_on=["key", "org_id"], right_on=["key", "org_id"], how="left")
    found = found.rename({"key": "name_key", "org_id": "_f_ref", "reg_name": "_f_name", "org_type": "_f_type", "score": "_f_score", "source": "_f_source"})
    df = df.join(found, on="name_key", how="left")
    real_org = pl.when(pl.col("_f_ref").str.contains(r"^GB-[A-Z]+-")).then(pl.col("_f_ref"))
    return _decide(
        df, pl.col("_f_ref").is_not_null(),
        org_id=real_org, _ref=pl.col("_f_ref"), _register_name=pl.col("_f_name"), _type=pl.col("_f_type"),
        _basis=pl.concat_str(pl.lit("fuzzy:"), pl.col("_f_source").fill_null("register")), match_method=pl.lit("fuzzy"), match_score=pl.col("_f_score"),
    ).drop("_f_ref", "_f_name", "_f_type", "_f_score", "_f_source")


def _step_other_scheme_ids(df: pl.DataFrame) -> pl.DataFrame:
    """Other scheme ids from notices (GB-PPON-...) identify what the names could not: they come after the
    name steps, so a charity winning on Find a Tender with a PPON stays its GB-CHC self."""
    return _decide(
        df, pl.col("_given_org_id").is_not_null(),
        org_id=pl.col("_given_org_id"), _ref=pl.col("_given_org_id"), match_method=pl.lit("identifier"), match_score=pl.lit(1.0),
    )


def read_overrides(path: Path | str | None = None) -> pl.DataFrame:
    """The human review decisions: name_key or name, council_gss (optional), action, org_id, note."""
    path = Path(path) if path else OVERRIDES_CSV
    schema = {"name_key": pl.String, "name": pl.String, "council_gss": pl.String, "action": pl.String, "org_id": pl.String, "note": pl.String}
    if not path.is_file():
        return pl.DataFrame(schema=schema)
    raw = pl.read_csv(path, infer_schema=False, comment_prefix="#")
    for col in schema:
        if col not in raw.columns:
            raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    raw = raw.select(list(schema))
    # An explicit name_key wins; otherwise the raw name is normalised exactly as spend names are.
    from_name = normalise_names(raw.select(name=pl.col("name").fill_null("")), "name")["name_key"]
    key = pl.coalesce(
        pl.col("name_key").str.strip_chars().str.to_uppercase().replace("", None),
        pl.when(pl.col("_from_name") != "").then(pl.col("_from_name")),
    )
    raw = raw.with_columns(_from_name=from_name).with_columns(name_key=key).drop("_from_name")
    return raw.with_columns(
        council_gss=pl.col("council_gss").str.strip_chars().replace("", None),
        action=pl.col("action").str.strip_chars().str.to_lowercase(),
        org_id=pl.col("org_id").str.strip_chars().str.to_uppercase().replace("", None),
    ).filter(pl.col("name_key").is_not_null() & pl.col("action").is_in(["accept", "reject", "force"]))


def _step_overrides(df: pl.DataFrame, overrides: pl.DataFrame) -> pl.DataFrame:
    df = df.with_columns(reviewed=pl.lit(False))
    if overrides.is_empty():
        return df
    # A council-specific decision beats a national one for the same name; the last line for a name wins.
    specific = overrides.filter(pl.col("council_gss").is_not_null()).unique(["name_key", "council_gss"], keep="last", maintain_order=True)
    general = overrides.filter(pl.col("council_gss").is_null()).unique("name_key", keep="last", maintain_order=True).drop("council_gss")
    cols = {"action": "_o_action", "org_id": "_o_org"}
    df = df.join(specific.select("name_key", "council_gss", *cols).rename(cols | {"council_gss": "_council"}), on=["name_key", "_council"], how="left")
    df = df.join(general.select("name_key", *cols).rename({k: v + "_g" for k, v in cols.items()}), on="name_key", how="left")
    df = df.with_columns(_o=pl.coalesce("_o_action", "_o_action_g"), _o_forced=pl.coalesce("_o_org", "_o_org_g"))
    force, reject, accept = pl.col("_o") == "force", pl.col("_o") == "reject", pl.col("_o") == "accept"
    changed = force | reject
    return df.with_columns(
        org_id=pl.when(force).then(pl.col("_o_forced")).when(reject).then(None).otherwise(pl.col("org_id")),
        _ref=pl.when(force).then(pl.col("_o_forced")).when(reject).then(None).otherwise(pl.col("_ref")),
        _register_name=pl.when(changed).then(None).otherwise(pl.col("_register_name")),
        _type=pl.when(force).then(typing.scheme_type(pl.col("_o_forced"))).when(reject).then(None).otherwise(pl.col("_type")),
        _basis=pl.when(force & typing.scheme_type(pl.col("_o_forced")).is_not_null()).then(pl.lit("override")).when(changed).then(None).otherwise(pl.col("_basis")),
        match_method=pl.when(changed).then(pl.lit("override")).otherwise(pl.col("match_method")),
        match_score=pl.when(force | (accept & pl.col("org_id").is_not_null())).then(pl.lit(1.0)).when(reject).then(pl.lit(0.0)).otherwise(pl.col("match_score")),
        # a rejected match stays apart from the same spelling elsewhere (a different organisation here)
        _special_key=pl.when(reject).then(pl.concat_str(pl.lit("name:"), pl.col("_council").fill_null(""), pl.lit(":"), pl.col("name_key")))
        .when(force).then(None).otherwise(pl.col("_special_key")),
        reviewed=pl.col("_o").is_not_null(),
    ).drop("_o_action", "_o_org", "_o_action_g", "_o_org_g", "_o", "_o_forced")


def _step_charitable_companies(df: pl.DataFrame, reg: Registers) -> pl.DataFrame:
    """A charitable company is one organisation with its charity: whichever step found its GB-COH id, the
    supplier is the charity (GB-CHC), typed as a charity."""
    numbers = df.filter(pl.col("org_id").str.starts_with("GB-COH-"))["org_id"].str.slice(7).unique()
    if numbers.is_empty():
        return df
    linked = reg.charities_by_number(numbers).filter(pl.col("company_number").is_in(numbers.implode()))
    linked = linked.sort("charity_number").unique("company_number", keep="first").select(
        _coh=pl.concat_str(pl.lit("GB-COH-"), "company_number"), _chc=_charity_org_id(pl.col("charity_number")), _chc_name="name"
    )
    if linked.is_empty():
        return df
    df = df.join(linked, left_on="org_id", right_on="_coh", how="left")
    hit = pl.col("_chc").is_not_null()
    return df.with_columns(
        org_id=pl.when(hit).then("_chc").otherwise("org_id"),
        _ref=pl.when(hit).then("_chc").otherwise("_ref"),
        _register_name=pl.when(hit).then("_chc_name").otherwise("_register_name"),
        _type=pl.when(hit).then(pl.lit("charity")).otherwise("_type"),
    ).drop("_chc", "_chc_name")


# --------------------------------------------------------------------------------------- typing and grouping


def _type_rows(df: pl.DataFrame) -> pl.DataFrame:
    """Each row's type: the match's when it gave one, else its name evidence (then the prior)."""
    df = typing.name_evidence(df)
    # a weak list (the schools snapshot, with no establishment type) yields to stronger name evidence
    weak = pl.col("_basis").is_in(list(typing.WEAK_REFERENCES)) & (typing.confidence(pl.col("_ne_basis")) > typing.confidence(pl.col("_basis")))
    # a list that knows the body but not its type (an independent school with no number) leaves it to the name
    weak = weak | (pl.col("_type") == "unknown")
    df = df.with_columns(_type=pl.when(weak).then(None).otherwise("_type"), _basis=pl.when(weak).then(None).otherwise("_basis"))
    return df.with_columns(
        org_type=pl.coalesce("_type", "_ne_type"),
        org_type_basis=pl.when(pl.col("_type").is_not_null()).then(pl.coalesce("_basis", pl.lit("match"))).otherwise(pl.col("_ne_basis")),
    ).with_columns(
        org_type_confidence=pl.when(pl.col("match_method") == "fuzzy").then(pl.col("match_score") * typing.CONFIDENCE["register"])
        .otherwise(typing.confidence(pl.col("org_type_basis")))
    ).drop("_ne_type", "_ne_basis")


def _group(df: pl.DataFrame, reference_names: pl.DataFrame | None = None) -> pl.DataFrame:
    """supplier_key for every row: its organisation's id, a special key, or its name group. `reference_names`
    (ref_id, key) are the listed names an abbreviation may be joined to its long name by."""
    grouped_rows = df.filter(pl.col("_special_key").is_null())
    edges = grouping.name_edges(grouped_rows, SUPPLIER_ID_MAX_NAMES, reference_names=reference_names)
    comp = grouping.components(edges)
    df = df.join(comp.rename({"node": "name_key", "component": "_component"}), on="name_key", how="left").with_columns(
        _component=pl.coalesce("_component", "name_key")
    )
    # a group that holds exactly one identified organisation is that organisation
    refs = (
        df.filter(pl.col("_special_key").is_null() & pl.col("_ref").is_not_null())
        .group_by("_component").agg(_refs=pl.col("_ref").unique().sort())
        .filter(pl.col("_refs").list.len() == 1).select("_component", _group_ref=pl.col("_refs").list.first())
    )
    df = df.join(refs, on="_component", how="left")
    inherits = pl.col("_special_key").is_null() & pl.col("_ref").is_null() & pl.col("_group_ref").is_not_null()
    return df.with_columns(
        match_method=pl.when(inherits & pl.col("match_method").is_null()).then(pl.lit("grouped")).otherwise(pl.col("match_method")),
        match_score=pl.when(inherits & pl.col("match_method").is_null()).then(pl.lit(0.9)).otherwise(pl.col("match_score")),
        supplier_key=pl.coalesce(
            "_special_key", "_ref", "_group_ref",
            pl.when(pl.col("_component") != "").then(pl.concat_str(pl.lit("name:"), pl.col("_component"))),
            pl.concat_str(pl.lit("name:"), pl.col("name_clean")),
        ),
    ).drop("_component", "_group_ref")


def _supplier_level(df: pl.DataFrame) -> pl.DataFrame:
    """One type, basis, confidence, org-id and canonical name per supplier_key, by stable rules."""
    ranked = df.with_columns(_order=pl.col("org_type").replace_strict(_TYPE_ORDER, default=len(ORG_TYPES)))
    typed = (
        ranked.sort(["supplier_key", "org_type_confidence", "_order", "org_type_basis"], descending=[False, True, False, False])
        .group_by("supplier_key", maintain_order=True)
        .agg(
            _s_type=pl.col("org_type").first(), _s_basis=pl.col("org_type_basis").first(), _s_conf=pl.col("org_type_confidence").first(),
            _s_org=pl.col("org_id").drop_nulls().sort().first(),
            _s_reg=pl.col("_register_name").drop_nulls().sort().first(),
        )
    )
    spelling = (
        df.filter(pl.col("name_clean") != "")
        .group_by("supplier_key", "name_clean").agg(pl.len().alias("_n"))
        .sort(["supplier_key", "_n", "name_clean"], descending=[False, True, False])
        .unique("supplier_key", keep="first", maintain_order=True)
        .select("supplier_key", _common="name_clean")
    )
    df = df.join(typed, on="supplier_key", how="left").join(spelling, on="supplier_key", how="left")
    redacted_label = pl.when(pl.col("supplier_key") == "redacted:blank").then(pl.lit("(blank)")).otherwise(pl.lit("(redacted)"))
    return df.with_columns(
        org_type=pl.col("_s_type"), org_type_basis=pl.col("_s_basis"), org_type_confidence=pl.col("_s_conf").round(3),
        org_id=pl.coalesce(pl.when(pl.col("supplier_key").str.contains(r"^GB-[A-Z]+-")).then("supplier_key"), "_s_org").fill_null(""),
        canonical_name=pl.when(pl.col("org_type") == "redacted").then(redacted_label).otherwise(pl.coalesce("_s_reg", "_common", "name_key")),
    ).drop("_s_type", "_s_basis", "_s_conf", "_s_org", "_s_reg", "_common")


def resolve_suppliers(
    names: pl.DataFrame,
    con: duckdb.DuckDBPyConnection | None = None,
    overrides: pl.DataFrame | Path | str | None = None,
) -> pl.DataFrame:
    """Run the cascade over `names` (see the module docstring); rows keep their order.

    `overrides` defaults to the committed `pipelines/suppliers/overrides.csv`; pass an empty frame to disable.
    """
    registers = Registers.from_warehouse(con)
    if overrides is None or isinstance(overrides, (str, Path)):
        overrides = read_overrides(overrides)
    ref_keys = reference_keys(con, registers.public_bodies())
    lookup, ref_by_org = _shipped_lookups() if ref_keys is _shipped_reference_keys() else _build_lookups(ref_keys)
    df = _prepare(names)
    df = df.with_columns(_pwords=words(pl.col("legal_name").fill_null(""), join_initials=False))
    df = _step_redactions_and_titled_people(df)
    df = _step_identifiers(df, registers, ref_by_org)
    df = _step_reference_names(df, lookup)
    df = _step_register_names(df, registers)
    df = _step_reference_prefix(df, lookup)
    df = _step_fuzzy(df, registers, ref_keys)
    df = _step_other_scheme_ids(df)
    df = _step_charitable_companies(df, registers)
    df = _step_overrides(df, overrides)
    stems, places = _shipped_charity_stems() if ref_keys is _shipped_reference_keys() else charity_stems(ref_keys)
    df = df.with_columns(_stem_charity=pl.col("name_key").is_in(charity_stem_names(df["name_key"], stems, places).implode()))
    areas = _shipped_police_areas() if ref_keys is _shipped_reference_keys() else police_areas(ref_keys)
    police_pcc = police_area_pcc_names(df["name_key"], areas)
    df = df.with_columns(_police_area=pl.col("name_key").is_in(police_pcc.implode()))
    df = _type_rows(df)
    df = _group(df, ref_keys.filter(pl.col("ref_id").is_not_null()).select("ref_id", "key").unique())
    df = df.with_columns(
        match_method=pl.col("match_method").fill_null("unresolved"),
        match_score=pl.col("match_score").fill_null(0.0),
    )
    df = _supplier_level(df).sort("_row")
    keep = {"_company_number": "company_number_norm", "_charity_number": "charity_number_norm", "_postcode": "postcode_norm", "_vat": "vat_number_norm"}
    internal = [c for c in df.columns if c.startswith("_") and c not in keep and c != "_row"]
    return df.drop(*internal, "_row").rename(keep)
