"""Small registers in the real published formats (REFERENCE_DATASETS.md), covering every sample supplier.

Companies House BasicCompanyData (zip of one CSV, every field quoted, CRLF, the 55-column header with its
leading spaces), the PSC snapshot (zip of JSON Lines with a totals trailer), the Charity Commission
`publicextract.charity` (zip of tab-separated text, no quoting), the ONS NSPL (zip with `Data/NSPL21_*.csv`) and
the DLUHC `local-authority.csv`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

from pipelines.sample.spendfiles import FIXED_ZIP_TIME
from pipelines.sample.world import AREAS, COUNCILS, NO_COUNTY, Supplier

CH_HEADER = ("CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1, "
             "RegAddress.AddressLine2,RegAddress.PostTown,RegAddress.County,RegAddress.Country,RegAddress.PostCode,"
             "CompanyCategory,CompanyStatus,CountryOfOrigin,DissolutionDate,IncorporationDate,Accounts.AccountRefDay,"
             "Accounts.AccountRefMonth,Accounts.NextDueDate,Accounts.LastMadeUpDate,Accounts.AccountCategory,"
             "Returns.NextDueDate,Returns.LastMadeUpDate,Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,"
             "Mortgages.NumMortPartSatisfied,Mortgages.NumMortSatisfied,SICCode.SicText_1,SICCode.SicText_2,"
             "SICCode.SicText_3,SICCode.SicText_4,LimitedPartnerships.NumGenPartners,"
             "LimitedPartnerships.NumLimPartners,URI,PreviousName_1.CONDATE, PreviousName_1.CompanyName, "
             "PreviousName_2.CONDATE, PreviousName_2.CompanyName,PreviousName_3.CONDATE, PreviousName_3.CompanyName,"
             "PreviousName_4.CONDATE, PreviousName_4.CompanyName,PreviousName_5.CONDATE, PreviousName_5.CompanyName,"
             "PreviousName_6.CONDATE, PreviousName_6.CompanyName,PreviousName_7.CONDATE, PreviousName_7.CompanyName,"
             "PreviousName_8.CONDATE, PreviousName_8.CompanyName,PreviousName_9.CONDATE, PreviousName_9.CompanyName,"
             "PreviousName_10.CONDATE, PreviousName_10.CompanyName,ConfStmtNextDueDate, ConfStmtLastMadeUpDate")
CC_HEADER = ["date_of_extract", "organisation_number", "registered_charity_number", "linked_charity_number",
             "charity_name", "charity_type", "charity_registration_status", "date_of_registration", "date_of_removal",
             "charity_reporting_status", "latest_acc_fin_period_start_date", "latest_acc_fin_period_end_date",
             "latest_income", "latest_expenditure", "charity_contact_address1", "charity_contact_address2",
             "charity_contact_address3", "charity_contact_address4", "charity_contact_address5",
             "charity_contact_postcode", "charity_contact_phone", "charity_contact_email", "charity_contact_web",
             "charity_company_registration_number", "charity_insolvent", "charity_in_administration",
             "charity_previously_excepted", "charity_is_cdf_or_cif", "charity_is_cio", "cio_is_dissolved",
             "date_cio_dissolution_notice", "charity_activities", "charity_gift_aid", "charity_has_land"]
NSPL_HEADER = ["pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "oseast1m", "osnrth1m", "osgrdind", "oa21",
               "cty", "ced", "laua", "ward", "nhser", "ctry", "rgn", "pcon", "ttwa", "itl", "npark", "lsoa21",
               "msoa21", "wz11", "sicbl", "bua22", "ru11ind", "oac11", "lat", "long", "lep1", "lep2", "pfa", "imd",
               "icb"]
LA_HEADER = ["entity", "name", "prefix", "reference", "addressbase-custodian", "billing-authority",
             "combined-authority", "esd-inventory", "local-authority-district", "local-authority-type",
             "local-enterprise-partnership", "local-planning-authority", "local-resilience-forum", "notes",
             "opendatacommunities-uri", "organisation", "parliament-thesaurus", "region", "statistical-geography",
             "twitter", "website", "wikidata", "wikipedia", "entry-date", "start-date", "end-date"]
# DLUHC register rows for the sample councils and the councils they pay (reference, type, ODC kind)
LA_ROWS = [
    ("E10000008", "Devon County Council", "DEV", "CTY", "county-council/devon", "https://www.devon.gov.uk"),
    ("E07000041", "Exeter City Council", "EXE", "NMD", "district-council/exeter", "https://www.exeter.gov.uk"),
    ("E07000040", "East Devon District Council", "EDE", "NMD", "district-council/east-devon",
     "https://eastdevon.gov.uk"),
    ("E06000023", "Bristol City Council", "BST", "UA", "unitary-authority/bristol", "https://www.bristol.gov.uk"),
    ("E06000026", "Plymouth City Council", "PLY", "UA", "unitary-authority/plymouth", "https://www.plymouth.gov.uk"),
    ("E08000003", "Manchester City Council", "MAN", "MD", "metropolitan-district-council/manchester",
     "https://www.manchester.gov.uk"),
    ("E08000006", "Salford City Council", "SLF", "MD", "metropolitan-district-council/salford",
     "https://www.salford.gov.uk"),
    ("E08000035", "Leeds City Council", "LDS", "MD", "metropolitan-district-council/leeds", "https://www.leeds.gov.uk"),
    ("E09000022", "London Borough of Lambeth", "LBH", "LBO", "london-borough-council/lambeth",
     "https://www.lambeth.gov.uk"),
    ("E09000028", "London Borough of Southwark", "SWK", "LBO", "london-borough-council/southwark",
     "https://www.southwark.gov.uk"),
    ("E06000052", "Cornwall Council", "CON", "UA", "unitary-authority/cornwall", "https://www.cornwall.gov.uk"),
    ("E07000120", "Hyndburn Borough Council", "HYN", "NMD", "district-council/hyndburn",
     "https://www.hyndburnbc.gov.uk"),
    ("E07000123", "Preston City Council", "PRE", "NMD", "district-council/preston", "https://www.preston.gov.uk"),
    ("E10000017", "Lancashire County Council", "LAN", "CTY", "county-council/lancashire",
     "https://www.lancashire.gov.uk"),
]
REGION_OF = {**{c.gss: c.region_gss for c in COUNCILS}, "E07000040": "E12000009", "E06000026": "E12000009",
             "E08000006": "E12000002", "E09000028": "E12000007", "E07000123": "E12000002"}
REGISTER_DATE = "2025-04-01"


def digits(text: str, n: int) -> str:
    return str(int(hashlib.sha256(text.encode()).hexdigest(), 16))[:n]


def zip_one(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, data)
    return buf.getvalue()


def companies_house(suppliers: list[Supplier]) -> bytes:
    n_cols = len(CH_HEADER.split(","))
    lines = [CH_HEADER]
    for s in suppliers:
        if not s.company_number:
            continue
        row = [""] * n_cols
        row[0], row[1] = s.canonical_name, s.company_number
        row[4], row[6], row[8], row[9] = f"{digits(s.key, 2)} HIGH STREET", s.area.name.upper(), "ENGLAND", s.postcode
        row[10], row[11], row[12] = s.company_category, s.status, "United Kingdom"
        row[14] = f"{int(digits(s.key, 2)) % 28 + 1:02d}/0{int(digits(s.key, 1)) % 9 + 1}/{1990 + int(digits(s.key, 2)) % 32}"
        row[15], row[16], row[17], row[18] = "31", "3", "31/12/2025", "31/03/2024"
        row[19] = s.accounts_category or ""
        row[20], row[22] = "", "0"
        row[26] = s.sic
        row[32] = f"http://business.data.gov.uk/id/company/{s.company_number}"
        if s.previous_name:
            row[33], row[34] = "14/02/2019", s.previous_name
        row[53], row[54] = "14/06/2025", "31/05/2024"
        lines.append(",".join('"' + v.replace('"', '""') + '"' for v in row))
    name = f"BasicCompanyDataAsOneFile-{REGISTER_DATE}.csv"
    return zip_one(name, ("\r\n".join(lines) + "\r\n").encode("utf-8"))


def psc(suppliers: dict[str, Supplier]) -> bytes:
    records = []
    group = suppliers["carrick_group"]

    def corporate(company: Supplier, owner: str, identification: dict, natures: list[str]) -> dict:
        return {"company_number": company.company_number, "data": {
            "address": {"address_line_1": "1 Corporation Street", "locality": company.area.name,
                        "postal_code": company.postcode, "premises": "Head Office", "country": "England"},
            "etag": hashlib.sha1(f"{company.key}{owner}".encode()).hexdigest(),
            "identification": identification, "kind": "corporate-entity-person-with-significant-control",
            "links": {"self": f"/company/{company.company_number}/persons-with-significant-control/corporate-entity/"
                              f"{digits(company.key, 12)}"},
            "name": owner, "natures_of_control": natures, "notified_on": "2016-04-06"}}

    for i, key in enumerate(["carrick_facilities", "carrick_construction", "carrick_highways"]):
        number = group.company_number if i != 1 else group.company_number.lstrip("0")  # unpadded, as filers type
        records.append(corporate(suppliers[key], "Carrick Group Plc" if i == 2 else "CARRICK GROUP PLC", {
            "country_registered": "England \u0026 Wales" if i != 1 else "England And Wales",
            "legal_authority": "Companies Act 2006", "legal_form": "Public Limited Company",
            "place_registered": "Companies House", "registration_number": number},
            ["ownership-of-shares-75-to-100-percent", "voting-rights-75-to-100-percent",
             "right-to-appoint-and-remove-directors"]))
    for s in suppliers.values():  # other groups' subsidiaries (Carrick's records above keep its filers' quirks)
        if s.parent and s.parent != "carrick_group":
            parent = suppliers[s.parent]
            records.append(corporate(s, parent.canonical_name, {
                "country_registered": "England", "legal_authority": "Companies Act 2006",
                "legal_form": "Public Limited Company", "place_registered": "Companies House",
                "registration_number": parent.company_number},
                ["ownership-of-shares-75-to-100-percent", "voting-rights-75-to-100-percent"]))
    for s in suppliers.values():  # companies a council owns
        if s.council_owned_by and s.company_number:
            owner = next(c.name for c in COUNCILS if c.gss == s.council_owned_by)
            records.append(corporate(s, owner, {
                "country_registered": "England", "legal_authority": "Local Government Act 1972",
                "legal_form": "Local Authority"},
                ["ownership-of-shares-75-to-100-percent", "voting-rights-75-to-100-percent"]))
    records.append({"company_number": group.company_number, "data": {
        "etag": digits("stmt", 20), "kind": "persons-with-significant-control-statement",
        "links": {"self": f"/company/{group.company_number}/persons-with-significant-control-statements/1"},
        "notified_on": "2016-04-06", "statement": "no-individual-or-entity-with-signficant-control"}})
    for s in suppliers.values():  # ordinary owner-managed SMEs have an individual PSC
        if s.org_type == "company" and s.size == "sme" and s.company_number and int(digits(s.key, 1)) % 2 == 0:
            records.append({"company_number": s.company_number, "data": {
                "etag": digits(s.key + "psc", 20), "kind": "individual-person-with-significant-control",
                "links": {"self": f"/company/{s.company_number}/persons-with-significant-control/individual/"
                                  f"{digits(s.key, 10)}"},
                "name": "Mr Director " + s.key.split("_")[0].title(),
                "name_elements": {"title": "Mr", "forename": "Director", "surname": s.key.split("_")[0].title()},
                "nationality": "British", "country_of_residence": "England",
                "natures_of_control": ["ownership-of-shares-75-to-100-percent"], "notified_on": "2017-01-01"}})
    records.append({"data": {"kind": "totals#persons-of-significant-control-snapshot",
                             "persons_of_significant_control_count": len(records) - 1, "statements_count": 1,
                             "exemptions_count": 0, "generated_at": f"{REGISTER_DATE}T03:43:03Z"}})
    text = "".join(json.dumps(r, separators=(",", ":")).replace("&", "\\u0026") + "\n" for r in records)
    return zip_one(f"persons-with-significant-control-snapshot-{REGISTER_DATE}.txt", text.encode("utf-8"))


def charity_commission(suppliers: list[Supplier]) -> bytes:
    rows = ["\t".join(CC_HEADER)]
    extract = "2025-03-31 00:00:00.0000000"
    for i, s in enumerate(x for x in suppliers if x.charity_number):
        income = str(50_000 + int(digits(s.key, 6)) % 3_000_000)
        cio = s.charity_type == "CIO"
        row = [extract, str(5000 + i), s.charity_number, "0", s.canonical_name.title(), s.charity_type,
               "Registered", "2004-05-11 00:00:00.0000000", "", "Submission Received",
               "2023-04-01 00:00:00.0000000", "2024-03-31 00:00:00.0000000", income, income,
               f"{digits(s.key, 2)} Church Street", s.area.name, "", "", "", s.postcode, "", "", "", "",
               "False", "False", "", "False", "True" if cio else "False", "False" if cio else "", "",
               "Support for local people", "True", ""]
        rows.append("\t".join(row))
        if i == 0:  # a linked subsidiary charity shares the registered number
            linked = list(row)
            linked[1], linked[3], linked[4], linked[5] = str(9000 + i), "1", s.canonical_name.title() + " Trading", ""
            rows.append("\t".join(linked))
    return zip_one("publicextract.charity.txt", ("\r\n".join(rows) + "\r\n").encode("utf-8"))


def nspl_forms(pcds: str) -> tuple[str, str]:
    outward, inward = pcds.split(" ")
    return outward.ljust(4) + inward if len(outward) < 4 else outward + inward, outward.ljust(4) + " " + inward


def nspl(postcodes: dict[str, str]) -> bytes:
    """`postcodes`: postcode -> LAD GSS."""
    lines = [",".join(NSPL_HEADER)]
    for pc in sorted(postcodes):
        area = AREAS[postcodes[pc]]
        pcd, pcd2 = nspl_forms(pc)
        seed = digits(pc, 12)
        quoted = {"pcd": pcd, "pcd2": pcd2, "pcds": pc, "dointr": "199901", "doterm": "", "usertype": "0",
                  "oseast1m": "3" + seed[:5], "osnrth1m": "0" + seed[5:11], "osgrdind": "1",
                  "oa21": f"E00{seed[:6]}", "cty": area.county_gss or NO_COUNTY,
                  "ced": f"E58{seed[2:8]}" if area.county_gss else NO_COUNTY, "laua": area.lad_gss,
                  "ward": f"E05{seed[3:9]}", "nhser": "E40000006", "ctry": "E92000001", "rgn": area.region_gss,
                  "pcon": f"E14{seed[4:10]}", "ttwa": f"E30{seed[1:7]}", "itl": f"E06{seed[5:11]}",
                  "npark": "E65000001", "lsoa21": f"E01{seed[:6]}", "msoa21": f"E02{seed[6:12]}",
                  "wz11": f"E33{seed[:6]}", "sicbl": f"E38{seed[3:9]}", "bua22": f"E63{seed[2:8]}",
                  "ru11ind": "A1", "oac11": "2D3", "lep1": "E37000051", "lep2": "", "pfa": "E23000001",
                  "icb": "E54000027"}
        values = []
        for col in NSPL_HEADER:
            if col == "lat":
                values.append(f"5{seed[0]}.{seed[1:7]}")
            elif col == "long":
                values.append(f"-{seed[7]}.{seed[6:12]}")
            elif col == "imd":
                values.append(str(int(seed[:5]) % 32844 + 1))
            else:
                values.append(f'"{quoted[col]}"')
        lines.append(",".join(values))
    return zip_one("Data/NSPL21_FEB_2025_UK.csv", ("\r\n".join(lines) + "\r\n").encode("utf-8"))


def local_authorities() -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(LA_HEADER)
    for i, (gss, name, ref, la_type, odc, website) in enumerate(LA_ROWS):
        row = dict.fromkeys(LA_HEADER, "")
        row.update({"entity": str(100 + i), "name": name, "prefix": "local-authority", "reference": ref,
                    "local-authority-district": gss, "local-authority-type": la_type,
                    "opendatacommunities-uri": f"http://opendatacommunities.org/id/{odc}",
                    "organisation": f"local-authority:{ref}", "region": REGION_OF[gss],
                    "statistical-geography": gss, "website": website, "entry-date": "2025-02-19"})
        w.writerow([row[c] for c in LA_HEADER])
    return buf.getvalue().encode("utf-8")
