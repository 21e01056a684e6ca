"""Hải Phòng Customs Department: import and export declaration lines (VNACCS/VCIS extract).

Contract: `sources/contracts/customs.yaml`. The largest dataset: lines are
generated one enterprise-month at a time and streamed to a gzip file, never
held as a month's list. Monthly trade values follow each enterprise's
`YearBook` (imports share of cost of goods, exports share of revenue); unit
prices of unrelated trade are log-normal per HS code (`sources.synthetic.catalogue`),
related-party trade is priced close to the median (a group's transfer-pricing
policy), except the planted transfer-pricing cases (`sources.synthetic.scenarios`).
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import multiprocessing as mp
import random
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from sources.contract import load_agency
from sources.synthetic.catalogue import (
    GOODS_BY_INDUSTRY,
    INVOICE_CURRENCY,
    PARTNER_COUNTRIES,
    Goods,
    unrelated_partners,
)
from sources.synthetic.defects import DefectPlanter, Plan
from sources.synthetic.economy import Economy, Enterprise, month_end
from sources.synthetic.rates import vnd_per_unit
from sources.synthetic.scenarios import HONEST_RELATED_PRICE_SIGMA, TP01_PRICE_FACTOR, TP02_PRICE_FACTOR
from sources.synthetic.truth import Truth
from sources.synthetic.writers import extraction_time

AGENCY = load_agency("customs")
DECLARATIONS = AGENCY.datasets["declarations"]

# A declaration line is worth about 15,000 USD at the median (log-normal,
# sigma 1): Hải Phòng clears a few hundred thousand lines a month.
LINE_MEDIAN_USD = 15_000.0
LINE_SIGMA = 1.0
LINE_MEAN_USD = LINE_MEDIAN_USD * math.exp(LINE_SIGMA ** 2 / 2)
MAX_LINES_PER_DECLARATION = 6
# Hải Phòng customs sub-departments (Chi cục Hải quan) by VNACCS code.
OFFICES = ("03CC", "03CE", "03EE", "03PA", "03TG", "03PL")
# Most-favoured-nation duty by HS chapter band; processing regimes are exempt
# (Law 107/2016/QH13 on export and import duties, Art. 16).
EXEMPT_REGIMES = ("E21", "E31")
VAT_RATE = 0.10
BRANCH_SHARE = 0.5  # of a branch-holding trader's declarations filed by the branch
PRIMARY_INPUT_WEIGHT = 3  # the industry's first input is bought by everyone, most often
PARTNERS = unrelated_partners()
_PARTNER_LIST = list(PARTNER_COUNTRIES)
_PARTNER_CUM = list(itertools.accumulate(PARTNER_COUNTRIES.values()))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


def _duty_rate(hs: str) -> float:
    chapter = int(hs[:2])
    return 0.0 if chapter in (26, 27, 84, 85) else 0.03 if chapter < 40 else 0.05 if chapter < 72 else 0.08


def _regimes(ent: Enterprise) -> tuple[str, str]:
    """(import regime, export regime) as the enterprise's business model implies."""
    if ent.is_fdi and ent.export_share > 0.5:
        return ("E21", "E52") if ent.industry[4] == "processing" else ("E31", "E62")
    if ent.industry[4] == "distribution":
        return "A11", "B11"
    return "A12", "B11"


class _Month:
    """State of one month's declaration numbering (VNACCS numbers run per month)."""

    def __init__(self, year: int, month: int):
        self.year, self.month = year, month
        self.seq = {"IM": 0, "EX": 0}

    def next_declaration(self, flow: str) -> str:
        self.seq[flow] += 1
        return f"{1 if flow == 'IM' else 3}{self.year % 100:02d}{self.month:02d}{self.seq[flow]:07d}"


def _lines(economy: Economy, ent: Enterprise, state: _Month) -> Iterator[dict]:
    year, month = state.year, state.month
    book = economy.books.get((ent.tax_code, year))
    if book is None or not ent.active_in_month(year, month):
        return
    rng = economy.sub_rng("customs", ent.index, year, month)
    usd = vnd_per_unit("USD", dt.date(year, month, 15))  # to size the month's trade
    inputs, outputs = GOODS_BY_INDUSTRY[ent.vsic]
    im_regime, ex_regime = _regimes(ent)
    last_day = month_end(year, month).day
    for flow, annual_vnd, goods, regime in (("IM", book.imports_vnd, inputs, im_regime),
                                            ("EX", book.exports_vnd, outputs, ex_regime)):
        monthly_usd = annual_vnd / book.months_active / usd
        n_lines = _poisson(rng, monthly_usd / LINE_MEAN_USD)
        planted_role = ("TP01", "TP01~") if flow == "IM" else ("TP02", "TP02~")
        if ent.role in planted_role:
            n_lines = max(n_lines, 2)  # related trade every month of the planted years
        while n_lines > 0:
            size = min(n_lines, rng.randint(1, MAX_LINES_PER_DECLARATION))
            related = bool(ent.parent_group) and rng.random() < (
                max(ent.related_share, 0.5) if ent.role in planted_role else ent.related_share)
            if ent.controlled_trade_share:  # a nominee trades mostly with the group it fronts for
                related = rng.random() < ent.controlled_trade_share
            n_lines -= size
            yield from _declaration(ent, state, flow, regime, goods, size, related, rng, last_day)
        if ent.role == "TP01" and flow == "IM":
            # The planted trader also buys its main input from unrelated sellers, so
            # the planted HS code always has comparables.
            yield from _declaration(ent, state, flow, regime, goods[:1], 1, False, rng, last_day)


def _declaration(ent: Enterprise, state: _Month, flow: str, regime: str, goods: tuple[Goods, ...], size: int,
                 related: bool, rng: random.Random, last_day: int) -> Iterator[dict]:
    day = dt.date(state.year, state.month, rng.randint(1, last_day))
    if related:
        partner, country = (ent.parent_group, ent.origin) if ent.parent_group else ent.network_group
    else:
        country = rng.choices(_PARTNER_LIST, cum_weights=_PARTNER_CUM)[0]
        partner = rng.choice(PARTNERS[country])
    currency, share = INVOICE_CURRENCY.get(country, ("USD", 0.0))
    currency = currency if rng.random() < share else "USD"
    rate = vnd_per_unit(currency, day)
    usd = vnd_per_unit("USD", day)
    branch = ent.branch_code() if ent.branch_suffix and rng.random() < BRANCH_SHARE else None
    declaration_no = state.next_declaration(flow)
    incoterms = rng.choice(("CIF", "CIF", "FOB", "EXW", "CFR")) if flow == "IM" else \
        rng.choice(("FOB", "FOB", "CIF", "FCA"))
    office = OFFICES[ent.index % len(OFFICES)]
    trader_name = ent.name_variant(day, "upper_ascii")
    planted = ent.role in (("TP01", "TP01~") if flow == "IM" else ("TP02", "TP02~"))
    cum_weights = list(itertools.accumulate([PRIMARY_INPUT_WEIGHT] + [1] * (len(goods) - 1)))
    for line_no in range(1, size + 1):
        if related and planted:
            item = goods[0]
            factor = {"TP01": TP01_PRICE_FACTOR, "TP02": TP02_PRICE_FACTOR}.get(ent.role, 1.0)
            price = item.median_price_usd * factor * math.exp(rng.gauss(0, HONEST_RELATED_PRICE_SIGMA))
        else:
            item = rng.choices(goods, cum_weights=cum_weights)[0]
            # A group prices its internal trade by its transfer-pricing policy, at
            # arm's length (the principle of Decree 132/2020/ND-CP), not shipment by
            # shipment with the market's spread: a few related lines drawn with it
            # could land past the 75th percentile by chance, a breach no one planted.
            sigma = HONEST_RELATED_PRICE_SIGMA if related else item.sigma
            price = item.median_price_usd * math.exp(rng.gauss(0, sigma))
        value_usd = rng.lognormvariate(math.log(LINE_MEDIAN_USD), LINE_SIGMA)
        quantity = value_usd / price
        quantity = max(1, round(quantity)) if item.countable else max(0.01, round(quantity, 2))
        invoice_value = round(price * quantity * usd / rate, 2)
        customs_value = round(invoice_value * rate)
        duty = vat = None
        if flow == "IM":
            duty = 0 if regime in EXEMPT_REGIMES else round(customs_value * _duty_rate(item.hs_code))
            vat = 0 if regime in EXEMPT_REGIMES else round((customs_value + duty) * VAT_RATE)
        yield {
            "_owner": ent.tax_code,
            "declaration_no": declaration_no,
            "line_no": line_no,
            "registered_on": day,
            "flow": flow,
            "regime_code": regime,
            "tax_code": branch or ent.tax_code,
            "trader_name": trader_name,
            "partner_name": partner,
            "partner_country": country,
            "origin_country": country if flow == "IM" else "VN",
            "hs_code": item.hs_code,
            "goods_description": item.description,
            "quantity": quantity,
            "unit": item.unit,
            "invoice_currency": currency,
            "invoice_value": invoice_value,
            "incoterms": incoterms,
            "exchange_rate": rate,
            "customs_value_vnd": customs_value,
            "import_duty_vnd": duty,
            "vat_vnd": vat,
            "customs_office": office,
        }


def month_lines(economy: Economy, year: int, month: int) -> Iterator[dict]:
    """Every declaration line cleared in the month, streamed enterprise by enterprise."""
    state = _Month(year, month)
    for ent in economy.enterprises:
        yield from _lines(economy, ent, state)


def generate(economy: Economy, planter: DefectPlanter, periods: list[str], workers: int = 1) -> tuple[int, int]:
    """Write a delivery per month; returns the lines written (corrections' originals in `_replay` not counted)
    and the number of processes that wrote them.

    With `workers` > 1 the months are written in that many processes at once
    (forked, so they share the economy without copying it). The bytes are the
    same for any number of workers: each month's delivery is planned here, in
    month order, and its rows are damaged from the plan's own random stream
    (`sources.synthetic.defects`); each worker keeps its truth rows apart and
    they are appended here in month order.
    """
    plans = []
    for period in periods:
        year, month = map(int, period.split("-"))
        extracted = extraction_time(month_end(year, month) + dt.timedelta(days=2), hour=6)
        plans.append(planter.plan(DECLARATIONS, period, extracted))
    workers = max(1, min(workers, len(plans)))
    if threading.active_count() > 1:
        workers = 1  # forking a process with other threads can deadlock the child on a lock one of them held
    if workers == 1:
        return sum(_write_month(economy, planter, plan) for plan in plans), 1
    planter.truth.flush()  # a forked worker must not inherit unwritten truth rows
    global _FORKED
    _FORKED = (economy, planter, planter.truth.folder)
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            written = 0
            for lines, part in pool.imap(_write_month_apart, plans):  # in month order
                planter.truth.append_part(Truth(Path(part)))
                written += lines
            return written, workers
    finally:
        _FORKED = None
        shutil.rmtree(planter.truth.folder / ".parts", ignore_errors=True)


_FORKED: tuple[Economy, DefectPlanter, Path] | None = None  # what a forked worker reads (only while the pool runs)


def _write_month(economy: Economy, planter: DefectPlanter, plan: Plan) -> int:
    year, month = map(int, plan.period.split("-"))
    folder = planter.write(plan, lambda: month_lines(economy, year, month), owner_of=lambda r: r["_owner"])
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"][0]["rows"]


def _write_month_apart(plan: Plan) -> tuple[int, str]:
    """In a worker: write the month with a truth of its own (`_truth/.parts/<period>/`), returned to be appended."""
    economy, planter, truth_folder = _FORKED
    part = Truth(truth_folder / ".parts" / plan.period)
    planter.truth = part
    lines = _write_month(economy, planter, plan)
    part.close()
    return lines, str(part.folder)
