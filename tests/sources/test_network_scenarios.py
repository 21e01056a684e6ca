"""Guards that the planted network cases (sources/synthetic/network.py) are really in the delivered data.

REL01 planted: the enterprise trades with its parent in a year whose related-party
disclosure is missing; its look-alike discloses the parent in another written
form. NOM01 planted: a domestic enterprise with a foreign manager, a loan from a
foreign group's parent and most of its trade with that parent; each look-alike
shows exactly one of those signs.
"""
from __future__ import annotations

from collections import defaultdict

from sources.synthetic.truth import read_csv


def cases(generated, rule: str) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for s in read_csv(generated.out / "_truth" / "scenarios.csv"):
        if s["rule"] == rule:
            out[s["kind"]].add((s["enterprise_tax_code"], s["period"]))
    return out


def test_rel01_planted_trade_with_the_parent_in_an_undisclosed_year(generated):
    parents = {e.tax_code: e.parent_group for e in generated.economy.enterprises}
    disclosed = defaultdict(set)
    for r in generated.good[("tax", "related_party")]:
        disclosed[(r["tax_code"], str(r["fiscal_year"]))].add(r["counterparty_name"])
    traded = defaultdict(float)
    for r in generated.good[("customs", "declarations")]:
        code = str(r["tax_code"])[:10]
        if r["partner_name"] == parents.get(code):
            traded[(code, str(r["registered_on"])[:4])] += float(r["customs_value_vnd"])
    rel = cases(generated, "REL01")
    assert rel["planted"] and rel["lookalike"]
    for code, year in rel["planted"]:
        assert traded[(code, year)] > 1e8, (code, year)  # past the rule's 100 M VND materiality
        assert not disclosed[(code, year)], (code, year)
    for code, year in rel["lookalike"]:
        [name] = disclosed[(code, year)]
        assert name != parents[code] and name.upper().startswith(parents[code].upper().removesuffix(" CO., LTD."))


def _signs(generated) -> dict[str, set[str]]:
    """Signs of foreign control per domestic tax code, in the delivered records."""
    economy = generated.economy
    groups = {e.parent_group for e in economy.enterprises if e.is_fdi and e.parent_group}
    domestic = {e.tax_code for e in economy.enterprises if not e.is_fdi}
    signs: dict[str, set[str]] = defaultdict(set)
    for r in generated.good[("labour", "work_permits")]:
        code = str(r["tax_code"] or "")[:10]
        if code in domestic and r["job_category"] in ("manager", "executive"):
            signs[code].add("manager")
    for r in generated.good[("credit", "loans")]:
        if r["borrower_tax_code"] in domestic and r["lender_name"] in groups:
            signs[r["borrower_tax_code"]].add("money")
    trade = defaultdict(lambda: defaultdict(float))
    for r in generated.good[("customs", "declarations")]:
        code = str(r["tax_code"])[:10]
        if code in domestic:
            trade[code][r["partner_name"] if r["partner_name"] in groups else ""] += float(r["customs_value_vnd"])
    for code, by_partner in trade.items():
        total = sum(by_partner.values())
        if any(v >= 0.5 * total for p, v in by_partner.items() if p):
            signs[code].add("trade")
    return signs


def test_nom01_planted_shows_three_signs_and_each_lookalike_one(generated):
    signs = _signs(generated)
    nom = cases(generated, "NOM01")
    planted = {code for code, _ in nom["planted"]}
    lookalikes = {code for code, _ in nom["lookalike"]}
    assert planted and len(lookalikes) >= 3
    for code in planted:
        assert signs[code] == {"manager", "money", "trade"}, (code, signs[code])
    for code in lookalikes:
        assert len(signs[code]) == 1, (code, signs[code])
    # the honest domestic population shows no sign at all
    others = {code for code in signs if code not in planted | lookalikes}
    assert not others, sorted((c, signs[c]) for c in others)
