"""Files derived from the contract: the GX suites and the dbt source declarations.

`fdi sync-contracts` writes them; `fdi sync-contracts --check` (and a test)
fails when a committed file no longer matches the contract, so the parser, the
GX suites and the dbt sources can never drift apart.
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from sources.checks import country_codes, currency_codes
from sources.contract import AGENCIES, SCHEMA_VERSION, Dataset, load_agency
from warehouse.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR

TAX_CODE_REGEX = r"^\d{10}(-\d{3})?$"
HS_CHAPTER_REGEX = r"^(0[1-9]|[1-6][0-9]|7[0-68-9]|8[0-9]|9[0-7])"  # 01-97 without 77


# Where an expectation is proven (`meta.proven_in`): "stream" for a check of one row's
# values, which `sources.checks` runs on every row under the same name before COPY (a
# failing row never reaches raw); "database" for what only the landed table can show.
PROVEN_IN_STREAM = "stream"
PROVEN_IN_DATABASE = "database"


def _expectation(kind: str, check: str, **kwargs: object) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"check": check, "proven_in": PROVEN_IN_STREAM}}


def _delivery_expectations() -> list[dict]:
    """What the blocking check proves on the database: the rows of each validated delivery in raw are
    exactly the rows the stream passed. They read the delivery summary (`pipelines.lib.gx_validation`):
    one row per delivery, its landed rows counted and their row numbers summed in one scan of raw,
    beside what audit says the stream loaded."""
    def exp(kind: str, check: str, **kwargs: object) -> dict:
        return {"type": kind, "kwargs": kwargs, "meta": {"check": check, "proven_in": PROVEN_IN_DATABASE}}

    return [
        exp("expect_column_pair_values_to_be_equal", "delivery:rows_loaded",
            column_A="rows_landed", column_B="rows_loaded"),
        exp("expect_column_values_to_be_between", "delivery:row_number_min", column="row_number_min", min_value=1),
        exp("expect_column_pair_values_a_to_be_greater_than_b", "delivery:row_number_max",
            column_A="rows_read", column_B="row_number_max", or_equal=True, ignore_row_if="either_value_is_missing"),
        # With the count, the sum of row numbers ties the landed rows to the loaded ones: a row added,
        # lost or loaded twice changes one or both.
        exp("expect_column_pair_values_to_be_equal", "delivery:row_number_sum",
            column_A="row_number_sum", column_B="row_number_sum_expected"),
    ]


def suite_for(ds: Dataset) -> dict:
    """The GX suite of a dataset: the contract's checks that hold for a loaded row, then the delivery's.

    Every row expectation is a stream check of the same name (`proven_in: stream`;
    tests/pipelines/test_stream_guarantees.py shows the stream quarantines every
    value it would flag), so the blocking check does not rescan them; it proves
    the `database` ones. Checks that need the delivery's context (period,
    extraction date) or a checksum run in the stream only.
    """
    exps: list[dict] = []
    for col in ds.columns:
        c = col.name
        if col.required:
            exps.append(_expectation("expect_column_values_to_not_be_null", f"{c}:required", column=c))
        if col.pattern:
            exps.append(_expectation("expect_column_values_to_match_regex", f"{c}:pattern", column=c, regex=col.pattern))
        if col.type == "tax_code":
            exps.append(_expectation("expect_column_values_to_match_regex", f"{c}:format", column=c, regex=TAX_CODE_REGEX))
        if col.type == "enum":
            exps.append(_expectation("expect_column_values_to_be_in_set", f"{c}:enum", column=c, value_set=list(col.values)))
        if col.type == "country":
            exps.append(_expectation("expect_column_values_to_be_in_set", f"{c}:country", column=c, value_set=list(country_codes())))
        if col.type == "currency":
            exps.append(_expectation("expect_column_values_to_be_in_set", f"{c}:currency", column=c, value_set=list(currency_codes())))
        if col.min is not None:
            exps.append(_expectation("expect_column_values_to_be_between", f"{c}:min", column=c, min_value=col.min))
        if col.max is not None:
            exps.append(_expectation("expect_column_values_to_be_between", f"{c}:max", column=c, max_value=col.max))
        if col.min_exclusive is not None:
            exps.append(_expectation("expect_column_values_to_be_between", f"{c}:min_exclusive", column=c,
                                     min_value=col.min_exclusive, strict_min=True))
        if col.hs_chapter:
            exps.append(_expectation("expect_column_values_to_match_regex", f"{c}:hs_chapter", column=c, regex=HS_CHAPTER_REGEX))
        if col.comparison:
            op, other = col.comparison
            name = {">": "gt", ">=": "ge", "<": "lt", "<=": "le"}[op]
            a, b = (c, other) if op in (">", ">=") else (other, c)
            exps.append(_expectation("expect_column_pair_values_a_to_be_greater_than_b", f"{c}:{name}_{other}",
                                     column_A=a, column_B=b, or_equal=op in (">=", "<="),
                                     ignore_row_if="either_value_is_missing"))
    return {
        "name": ds.qualified,
        "meta": {"contract": f"sources/contracts/{ds.agency}.yaml", "schema_version": SCHEMA_VERSION,
                 "generated_by": "fdi sync-contracts"},
        "expectations": exps + _delivery_expectations(),
    }


def suite_path(ds: Dataset) -> Path:
    return EXPECTATIONS_DIR / ds.agency / f"{ds.name}.json"


def sources_yaml(agency: str) -> dict:
    """dbt source declarations of one agency, with lineage to the loader's assets."""
    ag = load_agency(agency)
    tables = []
    for ds in ag.datasets.values():
        tables.append({
            "name": ds.name,
            "description": f"{ds.description} Grain: {ds.grain}; {ds.kind}; key ({', '.join(ds.key)}).",
            # `contract` is read by the dbt macros (macros/contract.sql): staging and entity
            # resolution take the key, personal columns and identity roles from here.
            "meta": {"dagster": {"asset_key": [ds.raw_schema, ds.name]}, "contract": ds.contract_meta},
            "columns": [_source_column(col) for col in ds.columns] + [
                {"name": "_delivery_id", "description": "Delivery the row came in (audit.deliveries)"},
                {"name": "_row_number", "description": "Data row number within the delivery, header excluded"},
            ],
        })
    return {"version": 2, "sources": [{
        "name": f"raw_{agency}",
        "schema": f"raw_{agency}",
        "description": ag.title,
        "tables": tables,
    }]}


def _source_column(col) -> dict:
    entry: dict = {"name": col.name, "description": (col.description or col.name) + (" (personal data)" if col.pii else "")}
    if col.pii:
        entry["meta"] = {"pii": True}
    if col.references:
        # Cross-dataset integrity (README "Delivery semantics": nothing conforming
        # is lost): an orphan is reported as a warning, never dropped.
        agency, dataset, column = col.references.split(".")
        in_force = "_delivery_id in (select delivery_id from audit.deliveries where status = 'loaded')"
        entry["data_tests"] = [{"relationships": {
            "arguments": {"to": f"source('raw_{agency}', '{dataset}')", "field": column},
            "config": {"severity": "warn", "where": in_force},
        }}]
    return entry


def sources_path(agency: str) -> Path:
    return DBT_PROJECT_DIR / "models" / "staging" / agency / f"_{agency}__sources.yml"


_HEADER = "# Generated from sources/contracts by `fdi sync-contracts`; do not edit by hand.\n"


AGREEMENT_SEED = DBT_PROJECT_DIR / "seeds" / "agreement_datasets.csv"


def agreement_seed() -> str:
    """Every dataset of the agreement with its grain and kind, and when an annual one's year is due (local rule
    `due_months_after_year_end`): what marts.dataset_coverage expects."""
    lines = ["agency,dataset,grain,kind,expected,due_months_after_year_end"]
    for agency in AGENCIES:
        for ds in load_agency(agency).datasets.values():
            lines.append(f"{ds.agency},{ds.name},{ds.grain},{ds.kind},{'false' if ds.optional else 'true'},"
                         f"{ds.due_months_after_year_end}")
    return "\n".join(lines) + "\n"


def rendered() -> dict[Path, str]:
    files: dict[Path, str] = {AGREEMENT_SEED: agreement_seed()}
    for agency in AGENCIES:
        for ds in load_agency(agency).datasets.values():
            files[suite_path(ds)] = json.dumps(suite_for(ds), indent=2, ensure_ascii=False) + "\n"
        files[sources_path(agency)] = _HEADER + yaml.safe_dump(sources_yaml(agency), sort_keys=False,
                                                               allow_unicode=True, width=120)
    return files


def sync(check: bool = False) -> list[Path]:
    """Write the derived files; with `check`, only list those that differ."""
    stale = []
    for path, text in rendered().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    return stale
