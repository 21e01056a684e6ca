"""Hải Phòng Customs Department: import and export declaration lines (VNACCS/VCIS extract).

Contract: `sources/contracts/customs.yaml`. The largest dataset (nine lines in
ten of an economy), so a month is drawn at once, with numpy, as columns
(`MonthLines`), never line by line. Monthly trade values follow each
enterprise's `YearBook` (imports share of cost of goods, exports share of
revenue); unit prices of unrelated trade are log-normal per HS code
(`sources.synthetic.catalogue`), related-party trade is priced close to the
median (a group's transfer-pricing policy), except the planted
transfer-pricing cases (`sources.synthetic.scenarios`).

A month without defects to plant is formatted column by column with numpy
and written to gzip in a few large writes (`MonthLines.csv_chunks`); with
defects, its rows go through `DefectPlanter` as dicts (`MonthLines.rows`).
Both give the same text for the same line (a test holds them to it).
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from sources.contract import load_agency
from sources.synthetic import parallel
from sources.synthetic.catalogue import (
    GOODS_BY_INDUSTRY,
    INVOICE_CURRENCY,
    PARTNER_COUNTRIES,
    RARE_GOODS,
    Goods,
    unrelated_partners,
)
from sources.synthetic.defects import DefectPlanter, Plan
from sources.synthetic.economy import Economy, Enterprise, month_end
from sources.synthetic.network import edge_related_imports_vnd
from sources.synthetic.rates import REFERENCE_CURRENCIES, usd_year_average, vnd_per_unit
from sources.synthetic.scenarios import HONEST_RELATED_PRICE_SIGMA, RareLine, price_factor
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
FLOWS = ("IM", "EX")
FLOW_DIGIT = {"IM": 1, "EX": 3}  # first digit of a VNACCS declaration number
INCOTERMS = {"IM": ("CIF", "CIF", "FOB", "EXW", "CFR"), "EX": ("FOB", "FOB", "CIF", "FCA")}
PLANTED_ROLES = {"IM": ("TP01", "TP01~"), "EX": ("TP02", "TP02~")}  # whose related trade is priced by the plan
DRAWN_GOODS, EVERY_MONTH = -1, (1 << 12) - 1  # a group's goods drawn from its industry's; its months (bits)
CHUNK_LINES = 1 << 16  # lines formatted at once: bounds memory and keeps pyarrow's 32-bit string offsets far off
PARTNERS = unrelated_partners()


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


def _csv_field(text: str) -> str:
    """`text` as the csv module writes it in a row (quoted only if it must be)."""
    if not any(c in text for c in ',"\r\n'):
        return text
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text, ""])
    return buffer.getvalue()[:-2]


class _Pool:
    """Distinct values of a text column, numbered: lines hold numbers, the text is formatted once."""

    def __init__(self, values: tuple[str, ...] = ()):
        self.values: list[str] = []
        self._ids: dict[str, int] = {}
        self._matrix: np.ndarray | None = None
        for v in values:
            self.id(v)

    def id(self, value: str) -> int:
        found = self._ids.get(value)
        if found is None:
            found = self._ids[value] = len(self.values)
            self.values.append(value)
        return found

    def matrix(self) -> np.ndarray:
        """The values as the CSV writes them, as a byte matrix (`_matrix`); a pool is complete once formatted."""
        if self._matrix is None or len(self._matrix) != len(self.values):
            self._matrix = _matrix([_csv_field(v) for v in self.values])
        return self._matrix


# -- fixed tables: goods, partners, countries (the same for every seed) -------------
GOODS: list[Goods] = []
_GOODS_IDS: dict[Goods, int] = {}
_KINDS: dict[tuple[str, str], int] = {}  # (VSIC, flow) -> row of _GOODS_OF
for _vsic, _pair in GOODS_BY_INDUSTRY.items():
    for _flow, _items in zip(FLOWS, _pair):
        _KINDS[(_vsic, _flow)] = len(_KINDS)
        for _g in _items:
            if _g not in _GOODS_IDS:
                _GOODS_IDS[_g] = len(GOODS)
                GOODS.append(_g)
for _g in RARE_GOODS.values():  # after the industries' goods: their numbers are those of before
    _GOODS_IDS[_g] = len(GOODS)
    GOODS.append(_g)
_WIDEST = max(len(items) for pair in GOODS_BY_INDUSTRY.values() for items in pair)
_GOODS_OF = np.zeros((len(_KINDS), _WIDEST), np.int64)  # goods of a (VSIC, flow), padded with its first
_GOODS_N = np.zeros(len(_KINDS), np.int64)
for (_vsic, _flow), _k in _KINDS.items():
    _items = GOODS_BY_INDUSTRY[_vsic][FLOWS.index(_flow)]
    _GOODS_N[_k] = len(_items)
    _GOODS_OF[_k] = [_GOODS_IDS[_items[min(j, len(_items) - 1)]] for j in range(_WIDEST)]
_G_MEDIAN = np.array([g.median_price_usd for g in GOODS])
_G_SIGMA = np.array([g.sigma for g in GOODS])
_G_COUNTABLE = np.array([g.countable for g in GOODS])
_G_DUTY = np.array([_duty_rate(g.hs_code) for g in GOODS])
_CURRENCIES = _Pool(REFERENCE_CURRENCIES)
_USD = _CURRENCIES.id("USD")
_UNRELATED = list(PARTNER_COUNTRIES)  # countries of unrelated partners, in the weights' order
_UNRELATED_CUM = np.cumsum([PARTNER_COUNTRIES[c] for c in _UNRELATED]).astype(float)


@dataclass
class MonthLines:
    """One month's declaration lines as columns (line order: enterprise, imports then exports, declaration, line).

    Per declaration (`d_*`) and per line (`l_*`) arrays; text columns hold
    numbers into the pools, money and quantities are whole cents (exact).
    """

    year: int
    month: int
    # pools
    names: _Pool
    tax_codes: _Pool
    partners: _Pool
    countries: _Pool
    regimes: _Pool
    owners: list[str]  # tax code of each enterprise of the month (index: `e`)
    offices: list[str]
    rates: np.ndarray  # [currency, day] VND per unit
    # declarations
    d_number: np.ndarray  # int64, 12 digits
    d_flow: np.ndarray  # 0 IM, 1 EX
    d_day: np.ndarray
    d_ent: np.ndarray
    d_regime: np.ndarray
    d_tax: np.ndarray
    d_name: np.ndarray
    d_partner: np.ndarray
    d_country: np.ndarray
    d_currency: np.ndarray
    d_incoterms: np.ndarray  # into INCOTERMS[flow]
    # lines
    l_decl: np.ndarray
    l_no: np.ndarray
    l_goods: np.ndarray
    l_quantity_cents: np.ndarray  # int64; countable goods in whole units x 100
    l_invoice_cents: np.ndarray
    l_customs_value: np.ndarray  # int64 VND
    l_duty: np.ndarray  # int64 VND (imports only)
    l_vat: np.ndarray

    def __len__(self) -> int:
        return len(self.l_decl)

    # -- as dicts: the rows DefectPlanter damages, and `month_lines` -----------
    def rows(self) -> Iterator[dict]:
        first = dt.date(self.year, self.month, 1)
        days = [first + dt.timedelta(days=d - 1) for d in range(32)]
        numbers = [f"{n:012d}" for n in self.d_number.tolist()]
        incoterms = [INCOTERMS[FLOWS[f]][i] for f, i in zip(self.d_flow.tolist(), self.d_incoterms.tolist())]
        d_flow, d_day, d_ent = self.d_flow.tolist(), self.d_day.tolist(), self.d_ent.tolist()
        d_regime, d_tax, d_name = self.d_regime.tolist(), self.d_tax.tolist(), self.d_name.tolist()
        d_partner, d_country, d_currency = self.d_partner.tolist(), self.d_country.tolist(), self.d_currency.tolist()
        countable = _G_COUNTABLE[self.l_goods].tolist()
        columns = zip(self.l_decl.tolist(), self.l_no.tolist(), self.l_goods.tolist(), countable,
                      self.l_quantity_cents.tolist(), self.l_invoice_cents.tolist(), self.l_customs_value.tolist(),
                      self.l_duty.tolist(), self.l_vat.tolist())
        for d, line_no, g, whole, qty, inv, value, duty, vat in columns:
            flow, item, country, currency = FLOWS[d_flow[d]], GOODS[g], self.countries.values[d_country[d]], \
                _CURRENCIES.values[d_currency[d]]
            yield {
                "_owner": self.owners[d_ent[d]],
                "declaration_no": numbers[d],
                "line_no": line_no,
                "registered_on": days[d_day[d]],
                "flow": flow,
                "regime_code": self.regimes.values[d_regime[d]],
                "tax_code": self.tax_codes.values[d_tax[d]],
                "trader_name": self.names.values[d_name[d]],
                "partner_name": self.partners.values[d_partner[d]],
                "partner_country": country,
                "origin_country": country if flow == "IM" else "VN",
                "hs_code": item.hs_code,
                "goods_description": item.description,
                "quantity": qty // 100 if whole else qty / 100,
                "unit": item.unit,
                "invoice_currency": currency,
                "invoice_value": inv / 100,
                "incoterms": incoterms[d],
                "exchange_rate": float(self.rates[d_currency[d], d_day[d]]),
                "customs_value_vnd": value,
                "import_duty_vnd": duty if flow == "IM" else None,
                "vat_vnd": vat if flow == "IM" else None,
                "customs_office": self.offices[d_ent[d]],
            }

    # -- as formatted text: the clean delivery's CSV body and truth records -----
    def csv_chunks(self) -> Iterator[np.ndarray]:
        """The CSV body (no header) as UTF-8 bytes, `CHUNK_LINES` lines at a time, as `write_rows` writes the rows.

        A column is formatted once per value it takes: per declaration, per
        goods or per line; neighbouring columns of the declaration (or of the
        goods) are joined once into one segment, which each line then copies.
        """
        first = dt.date(self.year, self.month, 1)
        days = _matrix([(first + dt.timedelta(days=d - 1)).isoformat() if d else "" for d in range(32)])
        rates = _matrix([repr(float(r)) for r in self.rates.ravel()])
        countries = _matrix([_csv_field(c) for c in self.countries.values + ["VN"]])  # last: exports' origin
        incoterms = _matrix([t for flow in FLOWS for t in INCOTERMS[flow]])
        incoterms_at = np.array([0, len(INCOTERMS["IM"])])
        exports = self.d_flow == 1
        per_declaration = {
            "declaration_no": [_digits(self.d_number)],
            "registered_on": [days[self.d_day]],
            "flow": [_matrix(list(FLOWS))[self.d_flow]],
            "regime_code": [self.regimes.matrix()[self.d_regime]],
            "tax_code": [self.tax_codes.matrix()[self.d_tax]],
            "trader_name": [self.names.matrix()[self.d_name]],
            "partner_name": [self.partners.matrix()[self.d_partner]],
            "partner_country": [countries[self.d_country]],
            "origin_country": [countries[np.where(exports, len(self.countries.values), self.d_country)]],
            "invoice_currency": [_CURRENCIES.matrix()[self.d_currency]],
            "incoterms": [incoterms[incoterms_at[self.d_flow] + self.d_incoterms]],
            "exchange_rate": [rates[self.d_currency * self.rates.shape[1] + self.d_day]],
            "customs_office": [_matrix(self.offices)[self.d_ent]],
        }
        per_goods = {"hs_code": [_GOODS_TEXT["hs_code"]], "goods_description": [_GOODS_TEXT["description"]],
                     "unit": [_GOODS_TEXT["unit"]]}
        # The line as a list of [level, pieces]: "declaration" and "goods" pieces become one matrix each.
        layout: list[list] = []
        for i, name in enumerate(DECLARATIONS.column_names):
            level = "declaration" if name in per_declaration else "goods" if name in per_goods else "line"
            pieces = [*per_declaration.get(name, per_goods.get(name, [name])),
                      b"\n" if i == len(DECLARATIONS.column_names) - 1 else b","]
            if layout and layout[-1][0] == level:
                layout[-1][1] += pieces
            else:
                layout.append([level, pieces])
        for entry in layout:
            if entry[0] != "line":
                entry[1] = _side_by_side(entry[1], len(self.d_number) if entry[0] == "declaration" else len(GOODS))
        for start in range(0, len(self), CHUNK_LINES):
            part = slice(start, start + CHUNK_LINES)
            d, g = self.l_decl[part], self.l_goods[part]
            imports = self.d_flow[d] == 0
            per_line = {
                "line_no": [_digits(self.l_no[part])],
                "quantity": _decimal(self.l_quantity_cents[part], whole=_G_COUNTABLE[g]),
                "invoice_value": _decimal(self.l_invoice_cents[part]),
                "customs_value_vnd": [_digits(self.l_customs_value[part])],
                "import_duty_vnd": [_digits(self.l_duty[part], empty=~imports)],
                "vat_vnd": [_digits(self.l_vat[part], empty=~imports)],
            }
            pieces: list[np.ndarray | bytes] = []
            for level, segment in layout:
                if level == "line":
                    for piece in segment:
                        pieces += per_line[piece] if isinstance(piece, str) else [piece]
                else:
                    pieces.append(segment[d if level == "declaration" else g])
            yield _text(_side_by_side(pieces, len(d)))

    def record_chunks(self, period: str) -> Iterator[np.ndarray]:
        """`_truth/records.csv` lines of the month, as `Truth.record` writes them (every line has a tax code)."""
        prefix = f"{DECLARATIONS.agency},{DECLARATIONS.name},{period},".encode()
        numbers = _side_by_side([prefix, _digits(self.d_number), b"|"], len(self.d_number))
        owners = _side_by_side([b",", _matrix(self.owners)[self.d_ent], b",1\n"], len(self.d_number))
        for start in range(0, len(self), CHUNK_LINES):
            part = slice(start, start + CHUNK_LINES)
            d = self.l_decl[part]
            yield _text(_side_by_side([numbers[d], _digits(self.l_no[part]), owners[d]], len(d)))


# Formatted text is built as matrices of UTF-8 bytes, one row per line, padded with NUL (which no text holds):
# the pieces of a line are copied side by side, and dropping the NULs leaves the lines end to end.
def _matrix(texts: list[str]) -> np.ndarray:
    encoded = [t.encode("utf-8") for t in texts]
    width = max([1, *map(len, encoded)])
    return np.array(encoded, dtype=f"S{width}").view(np.uint8).reshape(len(encoded), width)


def _digits(values: np.ndarray, empty: np.ndarray | None = None) -> np.ndarray:
    """Non-negative integers in decimal; rows where `empty` holds are left empty (a NULL)."""
    pairs = (len(str(int(values.max()))) + 1) // 2 if len(values) else 1
    text = np.empty((len(values), pairs), np.uint16)
    rest = values
    for i in range(pairs - 1, -1, -1):  # two digits at a time, by a scalar divisor (numpy's fast division)
        quotient = rest // 100
        text[:, i] = _PAIRS[rest - quotient * 100]
        rest = quotient
    text = text.view(np.uint8)
    width = np.searchsorted(_POWERS_OF_TEN, values, side="right") + 1  # digits of each value
    text[np.arange(2 * pairs) < (2 * pairs - width)[:, None]] = 0  # leading zeros
    if empty is not None:
        text[empty] = 0
    return text


def _decimal(cents: np.ndarray, whole: np.ndarray | None = None) -> list[np.ndarray]:
    """Amounts in cents as `repr` writes the float rounded to cents (2160.5, 24300.0, 0.07); where `whole` holds,
    the whole number alone (an integer quantity)."""
    point = np.full((len(cents), 1), ord("."), np.uint8)
    fraction = _CENTS[cents % 100]
    if whole is not None:
        point[whole] = 0
        fraction[whole] = 0
    return [_digits(cents // 100), point, fraction]


def _side_by_side(pieces: list[np.ndarray | bytes], rows: int) -> np.ndarray:
    """One matrix of the pieces side by side (byte matrices of `rows` rows, or bytes the same in every row)."""
    matrices = [np.frombuffer(p, np.uint8)[None, :] if isinstance(p, bytes) else p for p in pieces]
    out = np.empty((rows, sum(m.shape[1] for m in matrices)), np.uint8)
    at = 0
    for m in matrices:
        out[:, at:at + m.shape[1]] = m
        at += m.shape[1]
    return out


def _text(matrix: np.ndarray) -> np.ndarray:
    """The rows of a byte matrix end to end, without their NUL padding."""
    return matrix[matrix != 0]


_PAIRS = np.array([[ord("0") + i // 10, ord("0") + i % 10] for i in range(100)], np.uint8).view(np.uint16).ravel()
_POWERS_OF_TEN = 10 ** np.arange(1, 19, dtype=np.int64)
_CENTS = _matrix([f"{c // 10}" if c % 10 == 0 else f"{c:02d}" for c in range(100)])
_GOODS_TEXT = {name: _matrix([_csv_field(getattr(g, name)) for g in GOODS]) for name in ("hs_code", "description",
                                                                                            "unit")}


def _month_rng(seed: int, year: int, month: int) -> np.random.Generator:
    """The month's own stream (a month is written in any process and gives the same lines)."""
    digest = hashlib.sha256(f"{seed}:customs:{year}:{month}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


@dataclass
class _Year:
    """What a year's months share: the traders (those with a `YearBook`), their groups of lines and the pools.

    A group is an enterprise's imports, the planted TP01 trader's comparable
    purchase, or its exports: the lines it declares in a month are Poisson
    with mean `g_usd_month / (month's USD rate)`.
    """

    names: _Pool
    tax_codes: _Pool
    partners: _Pool
    countries: _Pool
    regimes: _Pool
    owners: list[str]
    offices: list[str]
    e_active: np.ndarray  # [4, traders] ordinals: first day of operations, dormant from, absconded on, active again on
    e_name: np.ndarray  # [2, traders] name before and after a rename
    e_renamed: np.ndarray  # ordinal of the rename, 0 if none
    e_tax: np.ndarray
    e_branch: np.ndarray  # -1: no branch
    e_partner: np.ndarray  # the related partner (parent group, or the group a nominee fronts for)
    e_country: np.ndarray
    g_ent: np.ndarray
    g_flow: np.ndarray
    g_usd_month: np.ndarray  # expected lines a month times the USD rate
    g_least: np.ndarray  # lines every month (the planted trader's related trade)
    g_exact: np.ndarray  # lines exactly (-1: drawn)
    g_related: np.ndarray  # chance a declaration is with the related partner
    g_kind: np.ndarray
    g_regime: np.ndarray
    g_exempt: np.ndarray
    g_planted: np.ndarray
    g_first_only: np.ndarray
    g_factor: np.ndarray
    g_line_usd: np.ndarray  # each line's value (0: drawn; a REL01 edge case's imports from its parent)
    g_goods: np.ndarray  # the goods of every line (DRAWN_GOODS: the industry's; a rare good's traders, RareTrade)
    g_months: np.ndarray  # bit m - 1 set: the group declares in month m
    unrelated_partners: np.ndarray  # pool ids, country by country in `_UNRELATED` order
    unrelated_n: np.ndarray
    unrelated_at: np.ndarray


_NEVER = dt.date.max.toordinal()


def _year(economy: Economy, year: int) -> _Year:
    """The year's table, built once per process and year (a month only adds its draws)."""
    cache = economy.__dict__.setdefault("_customs_years", {})
    if year in cache:
        return cache[year]
    names, tax_codes, partners, regimes = _Pool(), _Pool(), _Pool(), _Pool()
    countries = _Pool(tuple(_UNRELATED))
    owners, offices = [], []
    e_active, e_name, e_renamed, e_tax, e_branch, e_partner, e_country = [], [], [], [], [], [], []
    groups = []
    for ent in economy.enterprises:
        book = economy.books.get((ent.tax_code, year))
        if book is None:
            continue
        e = len(owners)
        owners.append(ent.tax_code)
        offices.append(OFFICES[ent.index % len(OFFICES)])
        e_active.append((ent.active_from.toordinal(),
                         ent.dormant_from.toordinal() if ent.dormant_from else _NEVER,
                         ent.absconded_on.toordinal() if ent.absconded_on else _NEVER,
                         ent.dormant_until.toordinal() if ent.dormant_until else _NEVER))
        after = ent.name_variant(dt.date.max, "upper_ascii")
        before = ent.name_variant(ent.renamed_on - dt.timedelta(days=1), "upper_ascii") if ent.renamed_on else after
        e_name.append((names.id(before), names.id(after)))
        e_renamed.append(ent.renamed_on.toordinal() if before != after else 0)
        e_tax.append(tax_codes.id(ent.tax_code))
        e_branch.append(tax_codes.id(ent.branch_code()) if ent.branch_suffix else -1)
        related_partner = (ent.parent_group, ent.origin) if ent.parent_group else ent.network_group
        e_partner.append(partners.id(related_partner[0]) if related_partner else 0)
        e_country.append(countries.id(related_partner[1]) if related_partner else 0)
        for flow, annual_vnd, regime in zip(FLOWS, (book.imports_vnd, book.exports_vnd), _regimes(ent)):
            planted = ent.role in PLANTED_ROLES[flow] and not ent.rare_trade  # a rare good's case: that good's lines
            share = max(ent.related_share, 0.5) if planted else ent.related_share
            common = (e, FLOWS.index(flow), _KINDS[(ent.vsic, flow)], regimes.id(regime), regime in EXEMPT_REGIMES,
                      planted, price_factor(ent) if planted else 1.0)
            usd_month = max(0.0, annual_vnd / book.months_active / LINE_MEAN_USD)
            groups.append((*common, usd_month, 2 if planted else 0, -1,
                           ent.controlled_trade_share or (share if ent.parent_group else 0.0), False, 0.0,
                           DRAWN_GOODS, EVERY_MONTH))
            if ent.role == "TP01" and flow == "IM":
                # The planted trader also buys its main input from unrelated sellers, so
                # the planted HS code always has comparables.
                groups.append((*common, 0.0, 0, 1, 0.0, True, 0.0, DRAWN_GOODS, EVERY_MONTH))
            if flow == "IM" and (edge_vnd := edge_related_imports_vnd(ent, year)):
                # one line of its main input a month from its parent, the year's amount together
                groups.append((*common, 0.0, 0, 1, 1.0, True, edge_vnd / 12 / usd_year_average(year),
                               DRAWN_GOODS, EVERY_MONTH))
            if ent.rare_trade and ent.rare_trade.flow == flow:
                # TP01/TP02 near the threshold on a rare good: one line of it in each of its months, with the parent
                # at the planted factor (a case) or with unrelated partners (a comparable)
                with_parent = ent.rare_trade.with_parent
                groups.append((*common[:5], with_parent, price_factor(ent) if with_parent else 1.0, 0.0, 0, 1,
                               float(with_parent), False, 0.0, _GOODS_IDS[RARE_GOODS[flow]],
                               sum(1 << (m - 1) for m in ent.rare_trade.months)))
    columns = list(zip(*groups)) or [()] * 15
    ints = [np.array(c, np.int64) for c in columns]
    unrelated = [np.array([partners.id(p) for p in PARTNERS[c]], np.int64) for c in _UNRELATED]
    unrelated_n = np.array([len(u) for u in unrelated], np.int64)
    table = _Year(
        names, tax_codes, partners, countries, regimes, owners, offices,
        np.array(e_active, np.int64).reshape(-1, 4).T, np.array(e_name, np.int64).reshape(-1, 2).T,
        np.array(e_renamed, np.int64), np.array(e_tax, np.int64), np.array(e_branch, np.int64),
        np.array(e_partner, np.int64), np.array(e_country, np.int64),
        g_ent=ints[0], g_flow=ints[1], g_kind=ints[2], g_regime=ints[3], g_exempt=ints[4].astype(bool),
        g_planted=ints[5].astype(bool), g_factor=np.array(columns[6], float), g_usd_month=np.array(columns[7], float),
        g_least=ints[8], g_exact=ints[9], g_related=np.array(columns[10], float), g_first_only=ints[11].astype(bool),
        g_line_usd=np.array(columns[12], float), g_goods=ints[13], g_months=ints[14],
        unrelated_partners=np.concatenate(unrelated), unrelated_n=unrelated_n,
        unrelated_at=np.cumsum(unrelated_n) - unrelated_n)
    cache[year] = table
    return table


def draw_month(economy: Economy, year: int, month: int) -> MonthLines:
    """Draw every declaration line cleared in the month, all at once."""
    rng = _month_rng(economy.seed, year, month)
    t = _year(economy, year)
    first, last = dt.date(year, month, 1), month_end(year, month)
    usd = vnd_per_unit("USD", dt.date(year, month, 15))  # to size the month's trade
    # Operating in the month (as `Enterprise.active_in_month`).
    active = (t.e_active[0] <= last.toordinal()) & \
        ((first.toordinal() < t.e_active[1]) | (first.toordinal() >= t.e_active[3])) & (first.toordinal() <= t.e_active[2])
    g_active = active[t.g_ent]

    # Lines per group, cut into declarations of 1 to 6 lines (the last one takes what is left).
    n = np.maximum(rng.poisson(t.g_usd_month / usd), t.g_least)
    n = np.where(g_active & (t.g_months >> (month - 1) & 1 == 1), np.where(t.g_exact >= 0, t.g_exact, n), 0)
    sizes = rng.integers(1, MAX_LINES_PER_DECLARATION + 1, int(n.sum()))
    slot_group = np.repeat(np.arange(len(n)), n)
    before_slot = np.cumsum(sizes) - sizes
    into_group = before_slot - before_slot[(np.cumsum(n) - n)[slot_group]]  # lines the group declared already
    opened = into_group < n[slot_group]
    d_group = slot_group[opened]
    d_size = np.minimum(sizes[opened], (n[slot_group] - into_group)[opened])

    # Per declaration.
    decls = len(d_group)
    d_ent, d_flow = t.g_ent[d_group], t.g_flow[d_group]
    related = rng.random(decls) < t.g_related[d_group]
    d_day = rng.integers(1, last.day + 1, decls)
    country = np.searchsorted(_UNRELATED_CUM, rng.random(decls) * _UNRELATED_CUM[-1], side="right")
    partner = t.unrelated_partners[t.unrelated_at[country] +
                                   (rng.random(decls) * t.unrelated_n[country]).astype(np.int64)]
    d_partner = np.where(related, t.e_partner[d_ent], partner)
    d_country = np.where(related, t.e_country[d_ent], country)
    invoiced_in = [INVOICE_CURRENCY.get(c, ("USD", 0.0)) for c in t.countries.values]
    own_currency = np.array([_CURRENCIES.id(c) for c, _ in invoiced_in], np.int64)
    own_share = np.array([s for _, s in invoiced_in])
    d_currency = np.where(rng.random(decls) < own_share[d_country], own_currency[d_country], _USD)
    by_branch = (t.e_branch[d_ent] >= 0) & (rng.random(decls) < BRANCH_SHARE)
    d_tax = np.where(by_branch, t.e_branch[d_ent], t.e_tax[d_ent])
    choices = np.array([len(INCOTERMS[f]) for f in FLOWS])
    d_incoterms = (rng.random(decls) * choices[d_flow]).astype(np.int64)
    renamed_after = (t.e_renamed[d_ent] > 0) & (first.toordinal() + d_day - 1 >= t.e_renamed[d_ent])
    d_name = np.where((t.e_renamed[d_ent] == 0) | renamed_after, t.e_name[1][d_ent], t.e_name[0][d_ent])
    seq = np.where(d_flow == 0, np.cumsum(d_flow == 0), np.cumsum(d_flow == 1))  # VNACCS numbers run per month
    prefix = np.array([FLOW_DIGIT[f] * 10_000 + year % 100 * 100 + month for f in FLOWS], np.int64)
    d_number = prefix[d_flow] * 10_000_000 + seq

    # Per line.
    lines = int(d_size.sum())
    l_decl = np.repeat(np.arange(decls), d_size)
    l_no = np.arange(lines) - (np.cumsum(d_size) - d_size)[l_decl] + 1
    l_group = d_group[l_decl]
    l_related = related[l_decl]
    kind = t.g_kind[l_group]
    spread = rng.random(lines) * (PRIMARY_INPUT_WEIGHT + _GOODS_N[kind] - 1)
    local = np.where(spread < PRIMARY_INPUT_WEIGHT, 0,
                     np.minimum(1 + (spread - PRIMARY_INPUT_WEIGHT).astype(np.int64), _GOODS_N[kind] - 1))
    planted = l_related & t.g_planted[l_group]
    local = np.where(planted | t.g_first_only[l_group], 0, local)  # planted related trade is in the main input
    goods = np.where(t.g_goods[l_group] == DRAWN_GOODS, _GOODS_OF[kind, local], t.g_goods[l_group])
    # A group prices its internal trade by its transfer-pricing policy, at arm's length (the principle of
    # Decree 132/2020/ND-CP), not shipment by shipment with the market's spread: a few related lines drawn with
    # it could land past the 75th percentile by chance, a breach no one planted.
    sigma = np.where(l_related, HONEST_RELATED_PRICE_SIGMA, _G_SIGMA[goods])
    price = _G_MEDIAN[goods] * np.where(planted, t.g_factor[l_group], 1.0) * np.exp(rng.standard_normal(lines) * sigma)
    value_usd = rng.lognormal(math.log(LINE_MEDIAN_USD), LINE_SIGMA, lines)
    value_usd = np.where(t.g_line_usd[l_group] > 0, t.g_line_usd[l_group], value_usd)  # drawn all the same
    quantity = value_usd / price
    quantity_cents = np.where(_G_COUNTABLE[goods], np.maximum(1, np.rint(quantity)) * 100,
                              np.maximum(1, np.rint(quantity * 100))).astype(np.int64)
    rates = np.array([[vnd_per_unit(c, first + dt.timedelta(days=d - 1)) if d else 0.0 for d in range(32)]
                      for c in _CURRENCIES.values])
    l_day, l_currency = d_day[l_decl], d_currency[l_decl]
    rate = rates[l_currency, l_day]
    invoice_cents = np.rint(price * (quantity_cents / 100) * rates[_USD, l_day] / rate * 100).astype(np.int64)
    customs_value = np.rint(invoice_cents / 100 * rate).astype(np.int64)
    exempt = t.g_exempt[l_group]
    duty = np.where(exempt, 0, np.rint(customs_value * _G_DUTY[goods])).astype(np.int64)
    vat = np.where(exempt, 0, np.rint((customs_value + duty) * VAT_RATE)).astype(np.int64)
    return MonthLines(year, month, t.names, t.tax_codes, t.partners, t.countries, t.regimes, t.owners, t.offices,
                      rates, d_number, d_flow, d_day, d_ent, t.g_regime[d_group], d_tax, d_name, d_partner, d_country,
                      d_currency, d_incoterms, l_decl, l_no, goods, quantity_cents, invoice_cents, customs_value,
                      duty, vat)


def rare_lines(economy: Economy) -> list[RareLine]:
    """The lines of the rare goods (catalogue.RARE_GOODS) in the window, as `draw_month` draws them: what the truth
    of the TP01/TP02 cases on a rare good is measured on (scenarios.record). None without such a case."""
    if not any(e.rare_trade for e in economy.enterprises):
        return []
    rare = {_GOODS_IDS[g]: flow for flow, g in RARE_GOODS.items()}
    parents = {ent.tax_code: ent.parent_group for ent in economy.enterprises if ent.rare_trade}
    out = []
    for year in range(economy.years[0], economy.years[1] + 1):
        for month in range(1, 13):
            m = draw_month(economy, year, month)
            for i in np.flatnonzero(np.isin(m.l_goods, list(rare))).tolist():
                d = m.l_decl[i]
                owner = m.owners[m.d_ent[d]]
                out.append(RareLine(year, rare[int(m.l_goods[i])], owner,
                                    m.partners.values[m.d_partner[d]] == parents.get(owner),
                                    m.l_quantity_cents[i] / 100, int(m.l_customs_value[i])))
    return out


def month_lines(economy: Economy, year: int, month: int) -> Iterator[dict]:
    """Every declaration line cleared in the month, as dicts (`_owner`: the true enterprise's tax code)."""
    return draw_month(economy, year, month).rows()


def generate(economy: Economy, planter: DefectPlanter, periods: list[str], workers: int = 1) -> tuple[int, int]:
    """Write a delivery per month; returns the lines written (corrections' originals in `_replay` not counted)
    and the number of processes that wrote them.

    With `workers` > 1 the months are written in that many processes at once
    (`sources.synthetic.parallel`); the bytes are the same for any number: each
    month's delivery is planned here, in month order, and its lines come from
    the month's own stream (`_month_rng`).
    """
    jobs = []
    for period in periods:
        year, month = map(int, period.split("-"))
        extracted = extraction_time(month_end(year, month) + dt.timedelta(days=2), hour=6)
        plan = planter.plan(DECLARATIONS, period, extracted)
        jobs.append(lambda p, plan=plan: _write_month(economy, p, plan))
    lines, used = parallel.run(planter, jobs, workers)
    return sum(lines), used


def _write_month(economy: Economy, planter: DefectPlanter, plan: Plan) -> int:
    year, month = map(int, plan.period.split("-"))
    lines = draw_month(economy, year, month)
    if planter.rate == 0:  # no row to damage: written as formatted columns
        folder = planter.write_formatted(plan, lines.csv_chunks(), len(lines), lines.record_chunks(plan.period))
    else:
        folder = planter.write(plan, lines.rows, owner_of=lambda r: r["_owner"])
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"][0]["rows"]
