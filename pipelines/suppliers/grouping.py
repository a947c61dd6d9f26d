"""Group payee names into suppliers when no identifier or register decides: connected components over name
keys, joined only by evidence that two spellings are one organisation (metrics.md §10).

Edges (each added only when it is unambiguous):
* a name's `name_key` and its `base_key` (qualifiers dropped: "EAST DEVON DIST COUN (TREAS)" and "(S O ACC)");
* a trading name that is another payee's own name ("OCS GROUP UK LTD T/A CANNON" and "CANNON");
* one VAT number, or one supplier id within one council (a council's own id; sundry ids with many names are not);
* an abbreviation that spells the initials of exactly one other name in the batch ("BT" and "BRITISH
  TELECOMMUNICATIONS"), when a payee name writes the two together ("British Telecom Bt/Bacs") and the
  abbreviation carries no legal form the long name lacks: initials alone are no evidence ("The Beacon Barm
  Cafe" is not the "BBC", nor "TMS LTD" Thomasson Memorial School), and a link passes one name's id and type
  to the other;
* a name cut short by a fixed-width column (the council's longest names, all the same length) that is the start
  of exactly one other name ("ROYAL DEVON UNIVERSITY HEALTHCAR");
* a typo: within a block of names that share their first word, a near-identical spelling (rapidfuzz ratio >=
  SELF_FUZZY_THRESHOLD, long names only, same numbers).

Components are labelled by their smallest key, so the same names give the same groups on every run.
"""

from __future__ import annotations

import polars as pl

SELF_FUZZY_THRESHOLD = 95.0
SELF_FUZZY_MIN_CHARS = 12
SELF_FUZZY_MAX_BLOCK = 4000
TRUNCATED_MIN_CHARS = 20
ACRONYM_STOPWORDS = ["OF", "AND", "THE", "FOR", "IN", "ON", "AT", "TO"]
MAX_PROPAGATION_ROUNDS = 50


def components(edges: pl.DataFrame) -> pl.DataFrame:
    """`edges` (a, b) -> (node, component): connected components, each labelled by its smallest node."""
    if edges.is_empty():
        return pl.DataFrame(schema={"node": pl.String, "component": pl.String})
    both = pl.concat([edges.select("a", "b"), edges.select(a="b", b="a")]).filter(pl.col("a") != pl.col("b")).unique()
    labels = pl.concat([both.select(node="a"), both.select(node="b")]).unique().with_columns(component=pl.col("node"))
    for _ in range(MAX_PROPAGATION_ROUNDS):
        proposed = both.join(labels, left_on="a", right_on="node").group_by("b").agg(pl.col("component").min().alias("_p"))
        updated = labels.join(proposed, left_on="node", right_on="b", how="left").with_columns(
            component=pl.min_horizontal("component", "_p")
        ).drop("_p")
        if updated.join(labels, on="node").filter(pl.col("component") != pl.col("component_right")).is_empty():
            return updated
        labels = updated
    return labels


def _content_words(key: pl.Expr) -> pl.Expr:
    """A key without its small words (ACRONYM_STOPWORDS)."""
    return key.str.split(" ").list.eval(pl.element().filter(~pl.element().is_in(ACRONYM_STOPWORDS))).list.join(" ")


def _initials(key: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The initials of a key's words: of every word ("CHARTERED INSTITUTE OF INTERNAL AUDITORS" -> CIOIA) and
    without the small words (CIIA)."""
    tokens = key.str.split(" ")
    every = tokens.list.eval(pl.element().str.slice(0, 1)).list.join("")
    content = _content_words(key).str.split(" ").list.eval(pl.element().str.slice(0, 1)).list.join("")
    return every, content


def _acronym_edges(rows: pl.DataFrame, reference_names: pl.DataFrame | None = None) -> pl.DataFrame:
    """An abbreviation and the one long name in the batch whose initials spell it, joined only when something
    more than the initials says they are one organisation, and the abbreviation has no legal form that the
    long name's spellings lack ("TMS LTD" is no school). What says so:
    * a payee name that writes the two together: "British Telecom Bt/Bacs" (the key BRITISH TELECOMMUNICATIONS
      and the word BT), "... INTERNAL AUDITORS (CIIA)", "YJB - YOUTH JUSTICE BOARD";
    * a reference organisation listed under the abbreviation with a name that is, or starts with, the long
      name, small words aside ("YJB": Youth Justice Board for England and Wales). `reference_names` (ref_id,
      key) are the keys of the listed names; rows carry the `_ref` a match gave them;
    * both written as public limited companies ("BT PLC", "BRITISH TELECOMMUNICATIONS PLC"): PLCs are few,
      and a PLC's initials are what it is known by; a private company's ("TMS LTD") are anyone's."""
    empty = pl.DataFrame(schema={"a": pl.String, "b": pl.String})
    frame = pl.DataFrame({"key": rows["name_key"].unique()}).filter(pl.col("key") != "")
    i1, i2 = _initials(pl.col("key"))
    multi = frame.filter(pl.col("key").str.contains(" ")).with_columns(i1=i1, i2=i2)
    expansions = pl.concat([multi.select("key", initials="i1"), multi.select("key", initials="i2")]).unique()
    unique = (
        expansions.group_by("initials").agg(pl.col("key").unique()).filter(pl.col("key").list.len() == 1)
        .with_columns(pl.col("key").list.first())
    )
    single = frame.filter(pl.col("key").str.contains(r"^[A-Z]{2,6}$"))
    candidates = single.join(unique, left_on="key", right_on="initials").select(a="key", b="key_right")
    if candidates.is_empty():
        return empty
    padded = pl.concat_str(pl.lit(" "), pl.col("name_words").fill_null(""), pl.lit(" "))
    written = (
        rows.select(_padded=padded, _word=pl.col("name_words").fill_null("").str.split(" ")).explode("_word")
        .join(candidates, left_on="_word", right_on="a").rename({"_word": "a"})
        .filter(pl.col("_padded").str.contains(pl.concat_str(pl.lit(" "), pl.col("b"), pl.lit(" ")), literal=True))
        .select("a", "b")
    )
    parts = [written]
    if reference_names is not None and "_ref" in rows.columns:
        # compared without the small words: "DEPARTMENT OF WORK AND PENSIONS" is the listed "... FOR WORK ..."
        listed = (
            rows.filter(pl.col("_ref").is_not_null()).select(a="name_key", ref_id="_ref").unique()
            .join(candidates, on="a").join(reference_names, on="ref_id")
            .with_columns(_listed=_content_words(pl.col("key")), _long=_content_words(pl.col("b")))
            .filter((pl.col("_listed") == pl.col("_long"))
                    | pl.col("_listed").str.starts_with(pl.col("_long") + " "))
            .select("a", "b")
        )
        parts.append(listed)
    forms = (
        rows.filter(pl.col("legal_form").is_not_null())
        .group_by("name_key").agg(_forms=pl.col("legal_form").unique())
    )
    with_forms = (
        candidates
        .join(forms.rename({"name_key": "a", "_forms": "_a_forms"}), on="a", how="left")
        .join(forms.rename({"name_key": "b", "_forms": "_b_forms"}), on="b", how="left")
    )
    parts.append(
        with_forms.filter(pl.col("_a_forms").list.contains("PLC") & pl.col("_b_forms").list.contains("PLC"))
        .select("a", "b")
    )
    joined = with_forms.join(pl.concat(parts).unique(), on=["a", "b"], how="semi")
    # every legal form the abbreviation is written with must be one the long name is written with
    none = pl.lit([], dtype=pl.List(pl.String))
    lacking = pl.col("_a_forms").list.set_difference(pl.col("_b_forms").fill_null(none))
    return joined.filter(pl.col("_a_forms").is_null() | (lacking.list.len() == 0)).select("a", "b")


def _prefix_edges(rows: pl.DataFrame, keys: pl.Series) -> pl.DataFrame:
    """Names at their council's fixed column width, each the start of exactly one other key."""
    lengths = rows.filter(pl.col("_council").is_not_null()).with_columns(_len=pl.col("name_clean").str.len_chars())
    widths = (
        lengths.group_by("_council").agg(_max=pl.col("_len").max(), _at_max=(pl.col("_len") == pl.col("_len").max()).sum())
        .filter((pl.col("_max") >= TRUNCATED_MIN_CHARS) & (pl.col("_at_max") >= 3))
    )
    cut = lengths.join(widths, on="_council").filter(pl.col("_len") == pl.col("_max")).select("name_key").unique()
    if cut.is_empty():
        return pl.DataFrame(schema={"a": pl.String, "b": pl.String})
    sorted_keys = keys.unique().sort()
    frame = pl.DataFrame({"key": sorted_keys})
    starts = sorted_keys.search_sorted(cut["name_key"], side="left")
    ends = sorted_keys.search_sorted(cut["name_key"] + "\U0010ffff", side="left")
    cut = cut.with_columns(_start=starts, _n=ends - starts)
    # the key itself sorts first when present; exactly one *other* key may follow it
    cut = cut.with_columns(_self=pl.Series([sorted_keys[int(i)] if i < len(sorted_keys) else None for i in starts]) == pl.col("name_key"))
    one = cut.filter((pl.col("_n") - pl.col("_self").cast(pl.Int64)) == 1)
    other_index = one["_start"] + one["_self"].cast(pl.UInt32)
    return pl.DataFrame({"a": one["name_key"], "b": frame["key"].gather(other_index)}) if one.height else pl.DataFrame(schema={"a": pl.String, "b": pl.String})


def _typo_edges(keys: pl.Series) -> pl.DataFrame:
    import numpy as np
    from rapidfuzz import fuzz, process

    frame = (
        pl.DataFrame({"key": keys.unique()}).filter(pl.col("key").str.len_chars() >= SELF_FUZZY_MIN_CHARS)
        .with_columns(block=pl.col("key").str.extract(r"^(\S+)", 1), digits=pl.col("key").str.replace_all(r"[^0-9]", ""))
        .with_columns(_n=pl.len().over("block"))
        .filter((pl.col("_n") >= 2) & (pl.col("_n") <= SELF_FUZZY_MAX_BLOCK))
        .sort("block", "key")
    )
    if frame.is_empty():
        return pl.DataFrame(schema={"a": pl.String, "b": pl.String})
    # each block is a slice of the sorted keys: only list and numpy slicing in the loop
    k, d = frame["key"].to_list(), frame["digits"].to_list()
    block = frame["block"].to_list()
    starts = [0] + [i for i in range(1, len(block)) if block[i] != block[i - 1]]
    ends = starts[1:] + [len(block)]
    out: list[tuple[str, str]] = []
    for s, e in zip(starts, ends):
        scores = process.cdist(k[s:e], k[s:e], scorer=fuzz.ratio, dtype=np.uint8, score_cutoff=int(SELF_FUZZY_THRESHOLD), workers=-1)
        ii, jj = np.nonzero(np.triu(scores, 1))
        out.extend((k[s + i], k[s + j]) for i, j in zip(ii.tolist(), jj.tolist()) if d[s + i] == d[s + j])
    return pl.DataFrame(out, schema={"a": pl.String, "b": pl.String}, orient="row")


def name_edges(
    rows: pl.DataFrame, supplier_id_max_names: int, typo_keys: pl.Series | None = None,
    reference_names: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every edge between name keys the rows give evidence for. `rows` has name_key, base_key, trading_key,
    name_clean, name_words, legal_form, _vat, _council, _supplier_id. Typos are looked for among `typo_keys`
    (default: all keys; the resolver passes the names no identifier or register resolved, the others are
    grouped by their id). `reference_names` (ref_id, key): the listed names, for abbreviations (_acronym_edges)."""
    rows = rows.filter(pl.col("name_key") != "")
    keys = rows["name_key"]
    own = keys.unique().implode()
    parts = [
        rows.filter(pl.col("base_key") != pl.col("name_key")).select(a="name_key", b="base_key"),
        rows.filter(pl.col("trading_key").is_not_null() & pl.col("trading_key").is_in(own) & (pl.col("trading_key").str.len_chars() >= 6))
        .select(a="name_key", b="trading_key"),
    ]
    # base keys shared by exactly one legal name count; a base key reached from many names is too generic
    for col, scope in (("_vat", []), ("_supplier_id", ["_council"])):
        grouped = rows.filter(pl.col(col).is_not_null()).group_by([*scope, col]).agg(pl.col("name_key").unique().sort())
        if col == "_supplier_id":
            grouped = grouped.filter(pl.col("name_key").list.len() <= supplier_id_max_names)
        grouped = grouped.filter(pl.col("name_key").list.len() >= 2).select(a=pl.col("name_key").list.first(), b=pl.col("name_key")).explode("b")
        parts.append(grouped)
    parts.append(_acronym_edges(rows, reference_names))
    parts.append(_prefix_edges(rows, keys))
    parts.append(_typo_edges(keys if typo_keys is None else typo_keys))
    return pl.concat([p.select(pl.col("a").cast(pl.String), pl.col("b").cast(pl.String)) for p in parts]).unique()
