"""Guards `fdi generate --gaps`: deliveries thinned as real agencies thin them, listed in _truth/gaps.csv."""
from __future__ import annotations

import csv
import hashlib

from sources.synthetic.generator import GenerateOptions, generate


def _digests(root) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.relative_to(root).parts[0].startswith("_")}


def test_gaps_withhold_periods_and_make_snapshots_semi_annual(tmp_path):
    full, thin = tmp_path / "full", tmp_path / "thin"
    options = {"enterprises": 6, "years": (2024, 2024), "seed": 4, "defects": 0.0}
    generate(GenerateOptions(out=full, **options))
    generate(GenerateOptions(out=thin, gaps=0.2, **options))
    assert not (full / "_withheld").exists() and not (full / "_truth" / "gaps.csv").exists()

    gaps = list(csv.DictReader(open(thin / "_truth" / "gaps.csv", encoding="utf-8")))
    kinds = {g["kind"] for g in gaps}
    assert kinds == {"missing", "semi_annual"}
    for g in gaps:
        folder = f"{g['agency']}/{g['dataset']}/{g['period']}"
        assert not (thin / folder).exists() and (thin / "_withheld" / folder / "manifest.json").exists()
        assert g["period"] != "2024-01"  # a dataset's first period is always delivered
    for agency, dataset in {(g["agency"], g["dataset"]) for g in gaps if g["kind"] == "semi_annual"}:
        assert sorted(p.name for p in (thin / agency / dataset).iterdir()) == ["2024-01", "2024-07"]
    # what is delivered is byte for byte the unthinned economy's: thinning only withholds
    full_files, thin_files = _digests(full), _digests(thin)
    assert thin_files and set(thin_files) < set(full_files)
    assert all(full_files[name] == digest for name, digest in thin_files.items())


def test_gaps_withhold_years_of_the_annual_tax_deliveries_but_never_the_first(tmp_path):
    thin = tmp_path / "thin"
    generate(GenerateOptions(out=thin, enterprises=6, years=(2021, 2024), seed=4, defects=0.0, gaps=0.5))
    gaps = list(csv.DictReader(open(thin / "_truth" / "gaps.csv", encoding="utf-8")))
    years = [g for g in gaps if len(g["period"]) == 4]
    assert years and {(g["agency"], g["dataset"]) for g in years} <= {("tax", "cit_returns"), ("tax", "related_party")}
    for g in years:
        assert g["kind"] == "missing" and g["period"] != "2021"  # a dataset's first year is always delivered
        assert (thin / "_withheld" / g["agency"] / g["dataset"] / g["period"] / "manifest.json").exists()
    for agency, dataset in (("tax", "cit_returns"), ("tax", "related_party")):
        delivered = {p.name for p in (thin / agency / dataset).iterdir()}
        withheld = {g["period"] for g in years if (g["agency"], g["dataset"]) == (agency, dataset)}
        assert delivered | withheld == {"2021", "2022", "2023", "2024"} and not delivered & withheld
