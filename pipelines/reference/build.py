"""Build the reference set the package ships, from the public lists in the shared corpus.

    .venv/bin/python -m pipelines.reference.build [--corpus ../shared/corpus] [--out pipelines/reference/data]

Writes `organisations.parquet` (one row per name to match: ref_id, org_id, canonical, name, org_type, kind,
source, active; zstd-compressed, a few MB) and `SOURCES.csv` (each list: file, reader, rows, licence,
attribution, live URL). `LICENCES.md` beside them is written by hand and says how each licence is honoured.
Run it again after a list in the corpus changes; production refreshes the same lists from their live URLs
through the registers refresh (`pipelines/registers.py`) into `reference.organisations`.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.reference import keys_fingerprint, with_keys
from pipelines.reference.sources import COLUMNS, READERS, read_parts

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
OGL = "Open Government Licence v3.0"


@dataclass(frozen=True)
class ListSource:
    name: str            # the list's name: `source` of its rows, and its registers-refresh key where it has one
    path: str            # relative to the corpus root
    reader: str          # key of sources.READERS
    licence: str
    attribution: str
    live_url: str        # where production refreshes it (registers config)


SOURCES: list[ListSource] = [
    ListSource("govuk_organisations", "registry/public_bodies_uk/instituteforgov_govuk_organisations/organisations.json", "govuk_organisations", OGL,
               "Contains public sector information licensed under the Open Government Licence v3.0 (GOV.UK organisations). Crown copyright.",
               "https://www.gov.uk/api/organisations"),
    ListSource("nhs_trusts", "registry/public_bodies_uk/jhau_nhs-spend/etr.csv", "nhs_ods", OGL,
               "Contains public sector information licensed under the Open Government Licence v3.0 (NHS England Organisation Data Service).",
               "https://www.odsdatasearchandexport.nhs.uk/api/getReport?report=etr"),
    ListSource("nhs_ccgs_icbs", "registry/public_bodies_uk/jhau_nhs-spend/eccg.csv", "nhs_ods", OGL,
               "Contains public sector information licensed under the Open Government Licence v3.0 (NHS England Organisation Data Service).",
               "https://www.odsdatasearchandexport.nhs.uk/api/getReport?report=eccg"),
    ListSource("ons_icbs", "registry/public_bodies_uk/jhau_nhs-spend/icb_names_codes_dec_2024.csv", "ons_names_and_codes", OGL,
               "Source: Office for National Statistics licensed under the Open Government Licence v.3.0.",
               "https://geoportal.statistics.gov.uk/ (Integrated Care Boards names and codes)"),
    ListSource("ons_welsh_health_boards", "registry/public_bodies_uk/ons_names_codes_2019/238_local_health_boards_wales_apr2019.csv", "ons_names_and_codes", OGL,
               "Source: Office for National Statistics licensed under the Open Government Licence v.3.0.",
               "https://geoportal.statistics.gov.uk/ (Local Health Boards names and codes)"),
    ListSource("ons_police_force_areas", "registry/public_bodies_uk/ons_names_codes_2019/244_police_force_areas_dec2019.csv", "ons_names_and_codes", OGL,
               "Source: Office for National Statistics licensed under the Open Government Licence v.3.0.",
               "https://geoportal.statistics.gov.uk/ (Police Force Areas names and codes)"),
    ListSource("ons_fire_rescue_authorities", "registry/public_bodies_uk/ons_names_codes_2019/264_fire_rescue_authorities_dec2019.csv", "ons_names_and_codes", OGL,
               "Source: Office for National Statistics licensed under the Open Government Licence v.3.0.",
               "https://geoportal.statistics.gov.uk/ (Fire and Rescue Authorities names and codes)"),
    ListSource("ons_parishes", "registry/public_bodies_uk/ons_names_codes_2019/269_parishes_dec2019.csv", "ons_names_and_codes", OGL,
               "Source: Office for National Statistics licensed under the Open Government Licence v.3.0.",
               "https://geoportal.statistics.gov.uk/ (Parishes names and codes in England and Wales)"),
    ListSource("hesa_providers", "registry/public_bodies_uk/hesa_providers/ProviderAllHESAEnhanced.csv", "hesa_providers", "CC BY 4.0",
               "Contains HESA data (c) HESA, CC BY 4.0.",
               "https://www.hesa.ac.uk/collection/sharedfiles/providerallhesa.csv"),
    ListSource("gias_establishments", "registry/public_bodies_uk/dfe_gias_schools/schools.csv", "gias_establishments", OGL,
               "Contains public sector information licensed under the Open Government Licence v3.0 (DfE Get Information About Schools).",
               "https://get-information-schools.service.gov.uk/Downloads (edubasealldataYYYYMMDD.csv)"),
    ListSource("gias_links", "registry/public_bodies_uk/dfe_gias_schools/links_edubasealldata20250422.csv", "gias_establishments", OGL,
               "Contains public sector information licensed under the Open Government Licence v3.0 (DfE Get Information About Schools).",
               "https://get-information-schools.service.gov.uk/Downloads (links_edubasealldataYYYYMMDD.csv)"),
    ListSource("independent_schools", "registry/public_bodies_uk/drkane_charity-lookups/independent-schools-ew.csv", "independent_schools", "ODbL 1.0 (contents DbCL 1.0)",
               "drkane/charity-lookups, ODbL 1.0.",
               "https://github.com/drkane/charity-lookups (independent-schools-ew.csv)"),
    ListSource("university_charity_numbers", "registry/public_bodies_uk/drkane_charity-lookups/university-charity-number.csv", "university_charity_numbers", "ODbL 1.0 (contents DbCL 1.0)",
               "drkane/charity-lookups, ODbL 1.0.",
               "https://github.com/drkane/charity-lookups (relationships/university-charity-number.csv)"),
    ListSource("university_royal_charters", "registry/public_sector_bodies/university-royal-charters.csv", "university_royal_charters", OGL,
               "Contains public sector information licensed under the Open Government Licence v3.0 (Companies House).",
               "https://download.companieshouse.gov.uk/en_output.html (RC company numbers)"),
    ListSource("academy_trusts", "registry/public_sector_bodies/academy-trusts-company-number.csv", "academy_trusts", OGL,
               "Contains public sector information licensed under the Open Government Licence v3.0 (HM Treasury, Whole of Government Accounts).",
               "https://get-information-schools.service.gov.uk/Downloads (academy trusts and groups)"),
    ListSource("local_authorities", "registry/digital-land_dluhc-datasets/local-authority.csv", "local_authorities", OGL,
               "Contains public sector information licensed under the Open Government Licence v3.0 (MHCLG, planning.data.gov.uk).",
               "https://files.planning.data.gov.uk/organisation-collection/dataset/local-authority.csv"),
    ListSource("ons_combined_authorities", "registry/ons_lad_lookups/cauth_all_codes.csv", "combined_authorities", OGL,
               "Source: Office for National Statistics licensed under the Open Government Licence v.3.0.",
               "https://geoportal.statistics.gov.uk/ (Combined Authorities names and codes)"),
    *[
        ListSource(name.replace("-", "_") + "s" if not name.endswith("y") else name[:-1].replace("-", "_") + "ies", f"registry/public_bodies_uk/digital-land_organisation-collection/{name}.csv", "digital_land_organisations", OGL,
                   "Contains public sector information licensed under the Open Government Licence v3.0 (MHCLG, planning.data.gov.uk).",
                   f"https://files.planning.data.gov.uk/organisation-collection/dataset/{name}.csv")
        for name in ("national-park-authority", "passenger-transport-executive", "waste-authority", "development-corporation", "regional-park-authority")
    ],
    ListSource("registered_providers", "registry/public_bodies_uk/rsh_registered_providers/social-housing-organisation-names.ts", "registered_providers", OGL,
               "Contains public sector information licensed under the Open Government Licence v3.0 (Regulator of Social Housing).",
               "https://www.gov.uk/government/publications/current-registered-providers-of-social-housing"),
    ListSource("registered_provider_numbers", "registry/public_bodies_uk/drkane_charity-lookups/rsp-charity-number.csv", "registered_provider_numbers", "ODbL 1.0 (contents DbCL 1.0)",
               "drkane/charity-lookups, ODbL 1.0.",
               "https://github.com/drkane/charity-lookups (relationships/rsp-charity-number.csv)"),
    ListSource("ukcat_top_charities", "registry/public_bodies_uk/ukcat_top_charities/top2000.csv", "top_charities", "CC BY 4.0",
               "UK-CAT (charity-classification/ukcat), CC BY 4.0; register data: Charity Commission for England and Wales, OSCR and CCNI, Open Government Licence v3.0.",
               "https://github.com/charity-classification/ukcat (data/top2000.csv)"),
]

# Later sources win for the same ref_id and name: the independent-schools list re-types the GIAS rows of
# independent schools; the university charity numbers keep universities public.
PRECEDENCE = [s.reader for s in SOURCES]


def build(corpus: Path, out_dir: Path) -> pl.DataFrame:
    frames = []
    for order, source in enumerate(SOURCES):
        path = corpus / source.path
        if not path.is_file():
            raise SystemExit(f"reference list missing from the corpus: {source.path}")
        frame = read_parts(source.reader, [path.read_bytes()]).with_columns(source=pl.lit(source.name), _order=pl.lit(order))
        frames.append(frame)
        print(f"{source.path}: {frame.height:,} names")
    rows = pl.concat(frames)
    # a later list re-types the same organisation (independent schools over GIAS): its type wins for the ref
    latest_type = rows.sort("_order").group_by("ref_id").agg(_type=pl.col("org_type").last(), _kind=pl.col("kind").last())
    rows = rows.join(latest_type, on="ref_id").with_columns(org_type="_type", kind="_kind").drop("_type", "_kind")
    # the same name of the same organisation on two lists: the row of the list that typed it is kept, so its
    # basis names that list (an independent school's charity number, not the schools snapshot)
    rows = (
        rows.with_columns(name=pl.col("name").str.strip_chars(), canonical=pl.col("canonical").str.strip_chars())
        .sort("_order", "ref_id", "name", descending=[True, False, False])
        .unique(["ref_id", "name"], keep="first", maintain_order=True)
        .sort("_order", "ref_id", "name")
        .drop("_order")
        .select(list(COLUMNS))
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    # the match keys are stored too (fast loading); they are recomputed on load if the key rules change
    keyed = with_keys(rows)
    keyed.write_parquet(out_dir / "organisations.parquet", compression="zstd", compression_level=19, statistics=False)
    (out_dir / "KEYS_FINGERPRINT").write_text(keys_fingerprint() + "\n")
    with (out_dir / "SOURCES.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["source", "file", "reader", "names", "licence", "attribution", "live_url"])
        for source, frame in zip(SOURCES, frames):
            writer.writerow([source.name, source.path, source.reader, frame.height, source.licence, source.attribution, source.live_url])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    rows = build(args.corpus, args.out)
    size = (args.out / "organisations.parquet").stat().st_size
    print(f"{rows.height:,} names of {rows['ref_id'].n_unique():,} organisations -> {args.out / 'organisations.parquet'} ({size / 1e6:.1f} MB)")
    print(rows.group_by("org_type").len().sort("org_type"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
