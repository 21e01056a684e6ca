"""One generated economy per test session, parsed once, shared by the tests of `sources/`."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sources.delivery import Delivery, find_deliveries
from sources.faults import DeliveryFault
from sources.synthetic.economy import Economy
from sources.synthetic.generator import GenerateOptions, generate

# Small enough to keep tests/sources under a minute, long enough (three fiscal
# years) for every planted scenario, with a defect rate that plants every kind.
OPTIONS = dict(enterprises=150, years=(2022, 2024), seed=8, defects=0.04)


@dataclass
class Parsed:
    """What the parser made of every delivery of the generated economy."""

    out: Path
    economy: Economy
    outcomes: set[tuple] = field(default_factory=set)  # (delivery_id, row, outcome, check)
    rejections: dict[str, str] = field(default_factory=dict)  # delivery_id -> sentence
    warnings: dict[str, list[str]] = field(default_factory=dict)
    good: dict[tuple[str, str], list[dict]] = field(default_factory=lambda: defaultdict(list))  # landing only
    # a good row's values before the loader repaired them, by column: row["_delivered"]
    folders: list[Path] = field(default_factory=list)


def parse_all(out: Path, economy: Economy) -> Parsed:
    parsed = Parsed(out, economy)
    landing = find_deliveries(out)
    parsed.folders = landing + find_deliveries(out / "_replay")
    for folder in parsed.folders:
        delivery = Delivery.open(folder)
        seen = set()
        rows = []
        try:
            delivery.verify_files()
            for batch in delivery.batches():
                for q in batch.quarantined:
                    seen.update((delivery.delivery_id, str(q.row_number), "quarantined", r) for r in q.reasons)
                seen.update((delivery.delivery_id, str(r.row_number), "repaired", r.rule) for r in batch.repairs)
                if folder in landing:
                    before: dict[int, dict[str, str | None]] = defaultdict(dict)
                    for r in batch.repairs:
                        before[r.row_number][r.column] = r.before
                    rows.extend({**row, "_delivered": before.get(row["_row_number"], {})} for row in batch.rows())
        except DeliveryFault as fault:
            parsed.rejections[delivery.delivery_id] = str(fault)
            parsed.outcomes.add((delivery.delivery_id, "", "rejected", "*"))
            continue
        parsed.outcomes |= seen
        if delivery.warnings:
            parsed.warnings[delivery.delivery_id] = delivery.warnings
            parsed.outcomes.add((delivery.delivery_id, "", "warned", "schema_drift"))
        parsed.good[(delivery.dataset.agency, delivery.dataset.name)].extend(rows)
    return parsed


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Parsed:
    out = tmp_path_factory.mktemp("economy")
    economy = generate(GenerateOptions(out=out, **OPTIONS))
    return parse_all(out, economy)


def n(row: dict, column: str) -> float:
    """A delivered number, an empty cell as 0."""
    return float(row[column] or 0)


def contributed_shares(parsed: Parsed) -> dict[str, float]:
    """Per tax code, the capital contributions received (fx) over the foreign investors' share of the charter
    capital of its registered project: what CAP01 compares with 99 %."""
    inflows: dict[str, float] = defaultdict(float)
    for r in parsed.good[("fx", "capital_flows")]:
        if r["flow_type"] == "capital_contribution":
            inflows[r["tax_code"]] += n(r, "amount")
    return {r["tax_code"]: inflows[r["tax_code"]] / (n(r, "charter_capital_usd") * n(r, "foreign_ownership_pct") / 100)
            for r in parsed.good[("registry", "projects")] if n(r, "charter_capital_usd") and n(r, "foreign_ownership_pct")}


def returns_in_force(parsed: Parsed) -> dict[tuple[str, int], dict]:
    """Each enterprise-year's return with the highest amendment number, the one the warehouse holds in force."""
    out: dict[tuple[str, int], dict] = {}
    for r in parsed.good[("tax", "cit_returns")]:
        key = (r["tax_code"], int(r["fiscal_year"]))
        if key not in out or int(r["amendment_no"]) > int(out[key]["amendment_no"]):
            out[key] = r
    return out
