"""Guards that every generated delivery keeps the agreement, and that the parser catches exactly the planted defects.

The agreement is read here straight from the YAML of the project's copy
(`sources/contracts/*.yaml`), not through `sources.contract`, so a change in how
the contract model reads it shows up; `test_contract_copy` keeps the copy equal
to the signed original.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pycountry
import yaml

from sources.contract import CONTRACTS_DIR
from sources.synthetic.truth import read_csv

PARSER_OUTCOMES = ("repaired", "quarantined", "rejected", "warned")
COUNTRIES = {c.alpha_2 for c in pycountry.countries}
CURRENCIES = {c.alpha_3 for c in pycountry.currencies}


def agreement() -> dict[tuple[str, str], dict]:
    """Every dataset of the agreement's YAML, the project's own optional ones (self-reports) included."""
    out = {}
    for path in sorted(CONTRACTS_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        if "agency" not in doc:
            continue  # local_rules.yaml
        for name, spec in doc["datasets"].items():
            out[(doc["agency"], name)] = spec
    return out


def expected_outcomes(out: Path) -> set[tuple]:
    expected = set()
    for d in read_csv(out / "_truth" / "defects.csv"):
        if d["expected"] in PARSER_OUTCOMES:
            check = "*" if d["expected"] == "rejected" else d["check"]
            expected.add((d["delivery_id"], d["row_number"], d["expected"], check))
    rejected = {e[0] for e in expected if e[2] == "rejected"}
    # A rejected delivery loads nothing, so its row defects cannot be observed.
    return {e for e in expected if e[0] not in rejected or e[2] == "rejected"}


def test_parser_outcomes_equal_the_planted_defects(generated):
    expected = expected_outcomes(generated.out)
    unexpected = sorted(generated.outcomes - expected)
    missed = sorted(expected - generated.outcomes)
    assert not unexpected, f"caught but not planted (a clean row failed a check): {unexpected[:10]}"
    assert not missed, f"planted but not caught by its check: {missed[:10]}"


def test_every_kind_of_defect_is_planted(generated):
    defects = Counter(d["defect"] for d in read_csv(generated.out / "_truth" / "defects.csv"))
    for kind in ("tax_code_leading_zero", "tax_code_separators", "tax_code_check_digit", "text_nfd",
                 "formula_injection", "negative_amount", "rule_violation", "future_date", "hs_unused_chapter",
                 "unknown_currency"):
        assert defects[kind] > 0, f"no {kind} planted"
    faults = {k for k in defects if k in ("hash_mismatch", "row_count_mismatch", "truncated_gzip", "renamed_column",
                                          "legacy_encoding", "empty_file", "extra_column")}
    assert len(faults) >= 4, f"too few kinds of broken delivery: {sorted(faults)}"
    corrections = read_csv(generated.out / "_truth" / "corrections.csv")
    assert corrections, "no period was re-sent"
    for c in corrections:
        replay = generated.out / "_replay" / c["agency"] / c["dataset"] / c["period"] / "manifest.json"
        landing = generated.out / c["agency"] / c["dataset"] / c["period"] / "manifest.json"
        original, correction = json.loads(replay.read_text()), json.loads(landing.read_text())
        assert original["delivery_id"] == c["original_delivery_id"] != correction["delivery_id"]
        assert original["extracted_at"] < correction["extracted_at"]
    kinds = Counter(d["kind"] for d in read_csv(generated.out / "_truth" / "deliveries.csv"))
    assert kinds["late"] > 0 and kinds["original"] == kinds["correction"] == len(corrections)


def test_manifests_and_headers_keep_the_agreement(generated):
    contract = agreement()
    rejected = {d["delivery_id"] for d in read_csv(generated.out / "_truth" / "defects.csv")
                if d["expected"] == "rejected"}
    for folder in generated.folders:
        manifest = json.loads((folder / "manifest.json").read_text())
        spec = contract[(manifest["agency"], manifest["dataset"])]
        assert re.match(r"^\d{4}$" if spec["grain"] == "year" else r"^\d{4}-\d{2}$", manifest["period"])
        assert dt.datetime.fromisoformat(manifest["extracted_at"]).utcoffset() == dt.timedelta(hours=7)
        if manifest["delivery_id"] in rejected:
            assert manifest["delivery_id"] in generated.rejections
            continue
        for entry in manifest["files"]:
            data = (folder / entry["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            if spec["format"] in ("csv", "csv-vn"):
                lines = data.decode("utf-8-sig").splitlines()
                header = next(csv.reader([lines[0]], delimiter=";" if spec["format"] == "csv-vn" else ","))
                assert len(lines) - 1 == entry["rows"]
                assert set(spec["columns"]) - set(header) == set()
            elif spec["format"] == "jsonl":
                assert len(data.splitlines()) == entry["rows"]


def _violations(spec: dict, row: dict) -> list[str]:
    """The agreement's column checks, written out independently of sources.checks."""
    bad = []
    for name, col in spec["columns"].items():
        value = row.get(name)
        if value is None:
            if col.get("required"):
                bad.append(f"{name}:required")
            continue
        kind = col["type"]
        if col.get("pattern") and not re.match(col["pattern"], str(value)):
            bad.append(f"{name}:pattern")
        if kind == "enum" and str(value) not in [str(v) for v in col["values"]]:
            bad.append(f"{name}:enum")
        if kind == "country" and value not in COUNTRIES:
            bad.append(f"{name}:country")
        if kind == "currency" and value not in CURRENCIES:
            bad.append(f"{name}:currency")
        if kind == "tax_code" and not re.match(r"^\d{10}(-\d{3})?$", value):
            bad.append(f"{name}:tax_code")
        if kind in ("integer", "decimal"):
            number = float(value)
            if kind == "integer" and not re.match(r"^-?\d+$", str(value)):
                bad.append(f"{name}:integer")
            if "min" in col and number < col["min"]:
                bad.append(f"{name}:min")
            if "max" in col and number > col["max"]:
                bad.append(f"{name}:max")
            if "min_exclusive" in col and number <= col["min_exclusive"]:
                bad.append(f"{name}:min_exclusive")
        rule = str(col.get("rule", ""))
        match = re.match(r"^(>=|<=|>|<)\s*(\w+)$", rule)
        if match and row.get(match.group(2)) is not None:
            left, right = value, row[match.group(2)]
            if kind in ("integer", "decimal"):
                left, right = float(left), float(right)
            ok = {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[match.group(1)]
            if not ok:
                bad.append(f"{name}:{rule}")
    return bad


def test_loaded_rows_keep_every_rule_of_the_agreement(generated):
    contract = agreement()
    assert set(generated.good) == set(contract), "every dataset of the agreement is generated"
    for (agency, name), rows in generated.good.items():
        assert rows, f"{agency}.{name} has no loadable rows"
        spec = contract[(agency, name)]
        for row in rows[:20_000]:
            text = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()}
            assert not _violations(spec, text), f"{agency}.{name} row {row['_row_number']}: {_violations(spec, text)}"


def test_records_truth_names_every_loaded_record_by_its_key_as_delivered(generated):
    """`fdi linkage-report` joins links to truth on source_key, which the
    agreement defines "as delivered" (contracts/warehouse.md); a truth key
    that differs from it leaves the link unscored. The repaired keys (a tax
    code's lost zero or dots, an NFD name) and the formula-like names kept as
    delivered are the ones that could differ: both kinds must be planted."""
    contract = agreement()
    truth: dict[tuple[str, str], set[str]] = {}
    with open(generated.out / "_truth" / "records.csv", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            truth.setdefault((r["agency"], r["dataset"]), set()).add(r["source_key"])
    formula_like, repaired = 0, Counter()
    for (agency, name), keys in truth.items():
        columns = contract[(agency, name)]["key"]
        for row in generated.good[(agency, name)]:
            # as marts.enterprise_links builds it: concat_ws('|', column::text, ...), a repaired
            # column's value before (macros/contract.sql, contract_source_key)
            delivered = {c: row["_delivered"].get(c, row[c]) for c in columns}
            key = "|".join("" if delivered[c] is None else str(delivered[c]) for c in columns)
            assert key in keys, f"{agency}.{name}: loaded record {key!r} has no truth row"
            repaired.update(c for c in columns if c in row["_delivered"])
            if str(row.get("counterparty_name") or "").startswith(("=", "+", "-", "@")):
                formula_like += 1
    assert formula_like > 0, "the economy plants formula-like counterparty names in a key column"
    # (a counterparty's name, the other key column a repair can touch, is mostly foreign, so rarely NFD)
    assert repaired["tax_code"] > 0, f"the economy plants repaired tax codes in key columns: {dict(repaired)}"


def test_records_truth_has_one_enterprise_per_source_key(generated):
    keys = Counter()
    codes = {e.tax_code for e in generated.economy.enterprises}
    with open(generated.out / "_truth" / "records.csv", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            keys[(r["agency"], r["dataset"], r["period"], r["source_key"])] += 1
            assert r["enterprise_tax_code"] in codes
    assert max(keys.values()) == 1
    agencies = {k[0] for k in keys}
    assert agencies == {"registry", "tax", "customs", "land", "labour", "credit", "fx"}
