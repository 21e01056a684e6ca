"""Planted network scenarios: undisclosed related parties (REL01) and nominee firms (NOM01), with look-alikes.

REL01's roles are given right after the scenarios' clear roles
(`assign_roles`); the rest runs after `scenarios.shape_assets` and before the
books (`plant`: a nominee's loan from a foreign group is interest in its
books), on enterprises no other scenario took. Every choice comes from its own random stream
(`Economy.sub_rng("network", ...)`), so the rest of the economy is what it was
without this module: only the chosen enterprises' records change.

* REL01 planted: an FDI enterprise that trades with its parent group in a
  year whose CIT return carries no related-party appendix (the tax
  generator leaves that year's disclosure out, `omits_disclosure`).
  Look-alike: one that discloses its parent under another written form
  ("HANIL GROUP CO., LTD. (KOREA)" for "Hanil Group"), which name
  normalisation must recognise.
* REL01 near its threshold (`assign_edge_roles`, `plant_edge`, `fdi generate --edge-cases`): an FDI
  enterprise whose only trade with its parent in its year is one import line
  a month, together just past the rule's materiality (`REL01_EDGE_*`), with no
  related-party appendix that year; its look-alike just under it, undisclosed
  as well.
* NOM01 planted: a domestic enterprise (no foreign owner in any register)
  with three signs of one foreign group's control in every year of the
  window: a manager from the group's country on a work permit, a loan from
  the group's parent, and nearly all its foreign trade with that parent.
  Look-alikes: domestic enterprises with exactly one of those signs (a
  foreign manager; a loan from a foreign group; an exporter selling to one
  foreign group), which are ordinary and must not be flagged.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sources.synthetic.catalogue import GOODS_BY_INDUSTRY
from sources.synthetic.economy import Economy, Enterprise, Loan, add_years

PER_ENTERPRISES = 100  # NOM01: one planted case and one of each look-alike per 100 enterprises, at least MIN_CASES
# REL01: one of each per 250, as each rule of `scenarios`: its cases are FDI firms trading with a parent, which
# every transfer-pricing rule's cases are too, and at one per 100 they left the cases near the thresholds none
REL01_PER_ENTERPRISES = 250
MIN_CASES = 2
# NOM01: share of a nominee's declarations whose partner is its controlling group
# (the rule's sign is half of the customs value with one group).
CONTROLLED_TRADE_SHARE = 0.9
NOMINEE_LOAN_SHARE = 0.08  # of revenue: small enough that interest stays far under the TP05 cap
NOMINEE_LOAN_RATE_PCT = 4.0
MANAGER_NATIONALITIES = ("KR", "JP", "CN", "TW")  # those the labour generator has worker names for
LOOKALIKE_KINDS = ("manager", "lender", "buyer")
# REL01 min_undisclosed_vnd 100 million VND a year (thresholds.csv; a loan from the party is flagged whatever the
# amount, so the edge cases borrow from none): undisclosed imports from the parent of 120 / 80 million VND in the
# year, one line a month at the year's average USD rate. Customs values each line at the rate of its day (within
# a percent or two of the average) and a countable good's quantity is whole: a line of 270-400 USD of the
# industry's main input is a fraction of one 400 USD computer, so the cases are firms whose main input is sold by
# weight or length or costs at most REL01_EDGE_MAX_PIECE_USD a piece, and the year's sum lands within a few
# percent of the figure (seed 8 without that: a look-alike's 80 million came to 120, twelve computers). The rest
# of the firm's trade is with unrelated partners (its parent's share set to 0), so nothing but these lines is an
# undisclosed dealing.
REL01_EDGE_UNDISCLOSED_VND = 120e6
REL01_EDGE_LOOKALIKE_UNDISCLOSED_VND = 80e6
REL01_EDGE_MAX_PIECE_USD = 20.0


PERMIT_YEARS = 2  # Decree 152/2020/ND-CP Art. 10: a work permit lasts at most two years


@dataclass(frozen=True)
class PlantedPermit:
    """A foreign manager's work permit of a domestic enterprise, renewed every two years from `start`."""

    nationality: str
    category: str
    start: dt.date


def fronts(economy: Economy) -> list[tuple[str, str, str, str]]:
    """`_truth/fronts.csv`'s rows: each NOM01 case (planted or look-alike), the foreign group it fronts for and
    the months the projects whose investors name it were incorporated (`;`-separated, `YYYY-MM`): from each, a
    register snapshot names the group's parent as an investor of an enterprise with a tax code, which is how
    the warehouse knows a lender or partner of that name for a foreign group's (seed 2080: a nominee's backer
    whose first project came in December 2023, after the last investors snapshot delivered)."""
    rows = []
    for e in economy.enterprises:
        if e.role not in ("NOM01", "NOM01~") or not e.network_group:
            continue
        group, _ = e.network_group
        # every project an investor of that name holds (a firm without a declared parent invests under its own
        # stem's name, which may be the group's)
        months = sorted({f"{p.incorporated_on:%Y-%m}" for p in economy.projects
                         if any(i.name == group and i.kind == "organization" for i in p.investors)})
        rows.append((e.tax_code, "planted" if e.role == "NOM01" else "lookalike", group, ";".join(months)))
    return rows


def permit_issued_before(permit: PlantedPermit, day: dt.date) -> dt.date:
    """The issue (or renewal) date of the term of `permit` in force on `day` (on or after its start)."""
    cycle = 0
    while add_years(permit.start, PERMIT_YEARS * (cycle + 1)) <= day:
        cycle += 1
    return add_years(permit.start, PERMIT_YEARS * cycle)


def _eligible(economy: Economy, e: Enterprise) -> bool:
    first = economy.years[0]
    paired = getattr(economy, "_network_paired", None)
    if paired is None:
        paired = {code for a, b, _ in economy.lookalikes for code in (a, b)}
        economy._network_paired = paired
    return (e.role is None and e.tax_code not in paired and e.renamed_on is None and e.moved_on is None
            and e.active_from <= dt.date(first - 3, 1, 1) and e.dormant_from is None and e.absconded_on is None
            and all(p.terminated_on is None and not p.keeps_active_after_expiry
                    and p.expires_on > dt.date(economy.years[1], 12, 31) for p in e.projects))


def _take(economy: Economy, rng, role: str, predicate, most: int) -> list[Enterprise]:
    """Up to `most` eligible enterprises that fit `predicate`, given `role` and a year of the window."""
    years = list(range(economy.years[0], economy.years[1] + 1))
    candidates = [e for e in economy.enterprises if _eligible(economy, e) and predicate(e)]
    chosen = rng.sample(candidates, min(most, len(candidates)))
    for e in chosen:
        e.role = role
        e.role_year = rng.choice(years)
    return chosen


def _trades_with_parent(e: Enterprise) -> bool:
    return (e.is_fdi and e.parent_group is not None and e.related_share > 0
            and (e.import_share > 0.2 or e.export_share > 0.3))


def assign_roles(economy: Economy) -> None:
    """REL01's planted cases and look-alikes: their roles only, right after the scenarios' clear roles and before
    the cases near the thresholds (`scenarios.assign_edge_roles`), which would otherwise take most of the FDI
    firms trading with a parent (seed 2040 at 1,000 enterprises with `--edge-cases`, REL01's chosen after them:
    1 left). Without edge cases no role is given in between, so the draws are those of before; `plant` goes on
    with the same stream."""
    rng = economy.__dict__["_network_rng"] = economy.sub_rng("network")
    count = max(MIN_CASES, economy.n // REL01_PER_ENTERPRISES)
    # When fewer than twice `count` firms fit, the planted cases take half, so REL01's precision is still tested;
    # with enough of them, the draws are those of before.
    fit = sum(_eligible(economy, e) and _trades_with_parent(e) for e in economy.enterprises)
    _take(economy, rng, "REL01", _trades_with_parent, min(count, (fit + 1) // 2))
    _take(economy, rng, "REL01~", _trades_with_parent, count)


def plant(economy: Economy) -> None:
    """NOM01's cases, and the shape of every network case (before the books are built); `assign_roles` first."""
    rng = economy.__dict__["_network_rng"]
    count = max(MIN_CASES, economy.n // PER_ENTERPRISES)
    first, last = economy.years

    def take(role: str, predicate) -> list[Enterprise]:
        return _take(economy, rng, role, predicate, count)

    # The foreign groups a nominee can front for: an FDI enterprise's declared parent.
    groups = [e for e in economy.enterprises if e.is_fdi and e.parent_group and e.origin in MANAGER_NATIONALITIES]
    if not groups:
        return

    def domestic_trader(e: Enterprise) -> bool:
        return not e.is_fdi and not e.projects and (e.import_share > 0 or e.export_share > 0)

    def fronts_for(e: Enterprise, signs: tuple[str, ...]) -> None:
        group = rng.choice(groups)
        e.network_group = (group.parent_group, group.origin)
        if "manager" in signs:
            e.planted_permits = [PlantedPermit(group.origin, "manager", dt.date(first, 1, 10))]
        if "lender" in signs:
            amount = NOMINEE_LOAN_SHARE * e.revenue_base
            disbursed = dt.date(first - 1, 6, 15)
            e.loans.append(Loan(
                lender_code=f"EXT-{group.origin}-{e.index:05d}", lender_name=group.parent_group,
                # a nominee does not call its backer related: a plain foreign lender
                lender_kind="foreign_lender", lender_country=group.origin,
                loan_id=f"{e.index:06d}{disbursed:%y%m}77", currency="VND", original_amount=round(amount, -3),
                interest_rate_pct=NOMINEE_LOAN_RATE_PCT, disbursed_on=disbursed,
                matures_on=add_years(disbursed, last - first + 3), bullet=True,
                # Circular 12/2022/TT-NHNN: a foreign loan is registered with the State Bank.
                sbv_registration_no=f"{rng.randint(100, 999)}/{disbursed.year}/NHNN-QLNH"))
        if "buyer" in signs:
            e.controlled_trade_share = CONTROLLED_TRADE_SHARE
            if e.export_share == 0 and e.import_share == 0:
                e.export_share = 0.2

    for e in take("NOM01", domestic_trader):
        fronts_for(e, ("manager", "lender", "buyer"))
    for kind in LOOKALIKE_KINDS:
        for e in take("NOM01~", domestic_trader):
            e.network_lookalike = kind
            fronts_for(e, (kind,))


def assign_edge_roles(economy: Economy) -> None:
    """REL01 near its materiality (`--edge-cases`): roles, from a stream of its own, on the firms trading with a
    parent that the other roles left (the clear cases, then every rule's cases near its threshold, have taken
    most of them: seed 2037 at 1,000 enterprises had 3 left), one of each kind per REL01_PER_ENTERPRISES
    enterprises, as the clear cases, planted and look-alike alternating, so both sides get one whenever two fit. `plant_edge` then
    takes away their loans from the parent."""
    rng = economy.sub_rng("network", "edge")
    count = max(1, economy.n // REL01_PER_ENTERPRISES)
    years = list(range(economy.years[0], economy.years[1] + 1))

    def imports_from_parent(e: Enterprise) -> bool:
        main_input = GOODS_BY_INDUSTRY[e.vsic][0][0]
        return (e.is_fdi and e.parent_group is not None and e.import_share > 0
                and (not main_input.countable or main_input.median_price_usd <= REL01_EDGE_MAX_PIECE_USD))

    candidates = [e for e in economy.enterprises if _eligible(economy, e) and imports_from_parent(e)]
    for i, e in enumerate(rng.sample(candidates, min(2 * count, len(candidates)))):
        e.role, e.edge, e.role_year = ("REL01", "REL01~")[i % 2], True, rng.choice(years)
        e.related_share = 0.0  # its parent's goods only in the lines of edge_related_imports_vnd


def plant_edge(economy: Economy) -> None:
    """REL01's cases near its materiality borrow from no related party: a loan from the parent is flagged
    whatever the amount, so nothing but the planted lines is an undisclosed dealing."""
    for e in economy.enterprises:
        if e.edge and e.role in ("REL01", "REL01~"):
            e.loans = [loan for loan in e.loans if loan.lender_kind != "foreign_related_party"]


def edge_related_imports_vnd(ent: Enterprise, year: int) -> float:
    """A REL01 edge case's imports from its parent in the year (0: none planted), undisclosed."""
    if not (ent.edge and ent.role in ("REL01", "REL01~") and ent.role_year == year):
        return 0.0
    return REL01_EDGE_UNDISCLOSED_VND if ent.role == "REL01" else REL01_EDGE_LOOKALIKE_UNDISCLOSED_VND


def omits_disclosure(ent: Enterprise, year: int) -> bool:
    """REL01 planted, and an edge look-alike: no related-party appendix with the year's CIT return."""
    return ent.role_year == year and (ent.role == "REL01" or (ent.role == "REL01~" and ent.edge))


def disclosed_name(ent: Enterprise, year: int) -> str | None:
    """The parent as the related-party appendix writes it: a REL01 look-alike's own form in its year."""
    if ent.role == "REL01~" and ent.role_year == year and ent.parent_group:
        core = ent.parent_group.removesuffix(" Co., Ltd.")
        country = {"KR": "KOREA", "JP": "JAPAN", "CN": "CHINA", "SG": "SINGAPORE", "TW": "TAIWAN",
                   "HK": "HONG KONG", "US": "USA"}.get(ent.origin or "", ent.origin or "")
        return f"{core.upper()} CO., LTD. ({country})"
    return ent.parent_group


def record(economy: Economy) -> list:
    """Scenario rows for `_truth/scenarios.csv` (same shape as `scenarios.record`)."""
    from sources.synthetic.scenarios import Scenario
    from sources.synthetic.truth import Span

    first, last = economy.years
    out = []
    for e in economy.enterprises:
        if e.role in ("REL01", "REL01~") and e.role_year and e.edge:
            amount = edge_related_imports_vnd(e, e.role_year)
            planted = e.role == "REL01"
            # its span: the year's customs months, one line each; a month rejected can take the sum under the line
            span = Span(f"{e.role_year}-01", f"{e.role_year}-12", (("customs", "declarations"),)) if planted else None
            out.append(Scenario("REL01", e.tax_code, str(e.role_year), "planted" if planted else "lookalike",
                                f"imports about {amount / 1e6:.0f} million VND from {e.parent_group}, one line a month,"
                                " no related-party disclosure that year", "edge", span))
        elif e.role in ("REL01", "REL01~") and e.role_year:
            planted = e.role == "REL01"
            out.append(Scenario("REL01", e.tax_code, str(e.role_year), "planted" if planted else "lookalike",
                                f"trades with {e.parent_group}; " + (
                                    "no related-party disclosure that year" if planted
                                    else f"disclosed as '{disclosed_name(e, e.role_year)}'")))
        elif e.role in ("NOM01", "NOM01~"):
            planted = e.role == "NOM01"
            group, _ = e.network_group
            note = (f"fronts for {group}: foreign manager, loan and trade" if planted
                    else f"one sign only ({e.network_lookalike}) of {group}")
            for year in range(first, last + 1):
                # a planted year's span: the work-permit month of the manager's term in force at the year's end,
                # the one observation of the sign for the year (seed 2050: the renewal of January 2023 never
                # delivered, the manager unseen in 2024, one sign left and the case scored as missed)
                issued = permit_issued_before(e.planted_permits[0], dt.date(year, 12, 31)) \
                    if planted and e.planted_permits else None
                span = Span(f"{issued:%Y-%m}", f"{issued:%Y-%m}", (("labour", "work_permits"),)) if issued else None
                out.append(Scenario("NOM01", e.tax_code, str(year), "planted" if planted else "lookalike", note,
                                    span=span))
    return out
