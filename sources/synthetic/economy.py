"""A deterministic Hải Phòng economy: the one population every agency's generator renders.

Built from a seed alone (`random.Random(seed)`), so the same seed gives the same
enterprises, projects and investors, and so the same delivery bytes. Agency
modules (`sources/<agency>.py`) turn it into deliveries; `_truth/` files record
which enterprise each source record really belongs to.
"""
from __future__ import annotations

import datetime as dt
import math
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from sources.synthetic.catalogue import LENDERS
from sources.synthetic.rates import usd_year_average
from sources.taxcode import check_digit

T = TypeVar("T")

# Where Hải Phòng's FDI comes from (HEZA/DPI statistics: Korea, Japan, China,
# Singapore, Taiwan and Hong Kong lead; the US and the EU follow), as weights.
INVESTOR_COUNTRIES = {"KR": 30, "JP": 18, "CN": 16, "SG": 10, "TW": 8, "HK": 7, "US": 4,
                      "DE": 2, "NL": 2, "FR": 1, "GB": 1, "TH": 1}
EU_COUNTRIES = ("DE", "NL", "FR")

# Name stems per origin; a group is a stem plus an industry word.
_STEMS = {
    "KR": ["Hanil", "Daewon", "Seojin", "Woosung", "Sungwoo", "Hyosung", "Jinyang", "Samil", "Dongjin", "Kumho",
           "Youngone", "Hansol", "Taekwang", "Namsun", "Bumjin", "Shinwon", "Haesung", "Cheongsan", "Mirae", "Sejong"],
    "JP": ["Kyoei", "Fujikura", "Yamato", "Nissei", "Tohoku", "Shinetsu", "Kanemitsu", "Sanyo Seiki", "Hokuriku",
           "Daido", "Maruichi", "Takahata", "Kuroda", "Aichi", "Mitsuwa", "Nippon Koki"],
    "CN": ["Jinlong", "Hengtong", "Xinhua", "Longsheng", "Huafeng", "Tianma", "Zhongda", "Yongxin", "Ruifeng",
           "Haitian", "Dongfang", "Sanxin"],
    "SG": ["Lion Gate", "Meridian", "Straits", "Kepland", "Temasek Vista", "Orchid Bay", "Sentosa"],
    "TW": ["Formosa Tech", "Chenfeng", "Kuanyu", "Tatung Rise", "Hsinchu", "Yuanli"],
    "HK": ["Kowloon", "Victoria Harbour", "Pearl Delta", "Lantau", "Harbour Ring"],
    "US": ["Ridgeline", "Bluewater", "Summit", "Lakeshore", "Keystone"],
    "DE": ["Rheinmetall Form", "Brandt", "Weissach"],
    "NL": ["Delftware", "Van Leeuwen"],
    "FR": ["Lumiere", "Beaumont"],
    "GB": ["Thames", "Ashford"],
    "TH": ["Siam Ocean", "Chao Phraya"],
}
_VN_STEMS = ["Minh Phát", "Hoàng Long", "Thành Công", "Đại Dương", "Hải An", "Tân Cảng", "Đông Á", "Bạch Đằng",
             "Phú Thái", "Việt Hưng", "An Phát", "Hồng Hà", "Nam Triệu", "Lạch Tray", "Cát Bi", "Thủy Nguyên",
             "Kiến An", "Đồ Sơn", "Tiên Lãng", "Vĩnh Bảo", "Đình Vũ", "Quang Minh", "Trường Thịnh", "Đức Giang"]

# VSIC 2018 codes of the industries that matter in Hải Phòng, with the
# English and Vietnamese words that go into a name.
INDUSTRIES = [
    # code, weight, English word, Vietnamese word, sector (for safe-harbour margins)
    ("26100", 14, "Electronics", "Điện tử", "manufacturing"),
    ("27900", 6, "Electric", "Thiết bị điện", "manufacturing"),
    ("14100", 10, "Garment", "May mặc", "processing"),
    ("15200", 5, "Footwear", "Giày da", "processing"),
    ("52291", 9, "Logistics", "Logistics", "distribution"),
    ("24100", 5, "Steel", "Thép", "manufacturing"),
    ("20110", 5, "Chemical", "Hóa chất", "manufacturing"),
    ("22201", 7, "Plastics", "Nhựa", "manufacturing"),
    ("29300", 7, "Auto Parts", "Phụ tùng ô tô", "manufacturing"),
    ("30110", 3, "Shipbuilding", "Đóng tàu", "manufacturing"),
    ("46900", 8, "Trading", "Thương mại", "distribution"),
    ("10790", 4, "Food", "Thực phẩm", "manufacturing"),
    ("23940", 3, "Cement", "Xi măng", "manufacturing"),
    ("28190", 4, "Machinery", "Cơ khí", "manufacturing"),
]

# Normal EBIT margins by sector (the sectors of Decree 132/2020's safe-harbour
# discussion): manufacturers earn more than processors and distributors.
NORMAL_MARGIN = {"manufacturing": (0.05, 0.11), "processing": (0.04, 0.08), "distribution": (0.035, 0.07)}
SERVICE_INDUSTRIES = ("52291",)
# Yearly revenue per worker, VND (GSO enterprise census orders of magnitude).
REVENUE_PER_WORKER = {"26100": 2.5e9, "27900": 2.0e9, "14100": 0.35e9, "15200": 0.4e9, "52291": 2.5e9,
                      "24100": 8e9, "20110": 6e9, "22201": 2e9, "29300": 1.5e9, "30110": 1.2e9, "46900": 6e9,
                      "10790": 2e9, "23940": 5e9, "28190": 1.5e9}
# Average monthly wage in 2023, VND, well above the region I minimum (4.68 M, Decree 38/2022/ND-CP).
WAGE_2023 = {"14100": 7.2e6, "15200": 7.5e6, "26100": 8.8e6, "52291": 11e6, "46900": 10.5e6}
WAGE_GROWTH = 0.06
# Annual land rent in industrial zones, VND per m2 (land price x 1-3 %, Decree 46/2014/ND-CP Art. 3).
LAND_RENT_VND_PER_M2 = (30_000, 80_000)
# An honest borrower's total interest stays below this share of EBITDA.
HONEST_INTEREST_SHARE = 0.08

ADMIN_AREAS = ["Hồng Bàng", "Ngô Quyền", "Lê Chân", "Hải An", "Kiến An", "Đồ Sơn", "Dương Kinh", "Thủy Nguyên",
               "An Dương", "An Lão", "Kiến Thụy", "Tiên Lãng", "Vĩnh Bảo", "Cát Hải"]
_STREETS = ["Lạch Tray", "Trần Phú", "Lê Hồng Phong", "Nguyễn Văn Linh", "Đà Nẵng", "Tôn Đức Thắng",
            "Điện Biên Phủ", "Hoàng Văn Thụ", "Bạch Đằng", "Ngô Gia Tự", "Phạm Văn Đồng", "Trần Hưng Đạo"]

# A lessee's plot as the cadastre numbers it: a map sheet and a parcel on it. No two enterprises lease one parcel:
# a parcel shared by two lessees is a sign of common control to NOM01 (enterprise_relationships, shared_address),
# and seed 2049 drew one by chance (two random draws of 60,800 cells), a clean look-alike flagged four years.
PARCEL_SHEETS, PARCELS_PER_SHEET = 64, 2_000
_PARCEL_STRIDE = 7_919  # a prime coprime to 64 x 2,000: (2 x index + plot) x stride is a permutation of the cells


def parcel_of(index: int, plot: int) -> tuple[str, str]:
    """(map sheet, parcel number) of an enterprise's plot 0 or 1 (a LAND01 look-alike's second): distinct for every
    enterprise and plot up to 64,000 enterprises, scattered over the sheets rather than numbered in order."""
    cells = PARCEL_SHEETS * PARCELS_PER_SHEET
    cell = (2 * index + plot) * _PARCEL_STRIDE % cells
    return str(cell // PARCELS_PER_SHEET + 1), str(cell % PARCELS_PER_SHEET + 1)


# Industrial and economic zones of Hải Phòng (HEZA), with gross area in ha.
ZONES = [
    ("KCN-DINHVU", "Khu công nghiệp Đình Vũ", "industrial_zone", 1329.0, "Hải An"),
    ("KCN-VSIP", "Khu công nghiệp VSIP Hải Phòng", "industrial_zone", 1600.0, "Thủy Nguyên"),
    ("KCN-TRANGDUE", "Khu công nghiệp Tràng Duệ", "industrial_zone", 687.0, "An Dương"),
    ("KCN-DEEPC2", "Khu công nghiệp Deep C II", "industrial_zone", 600.0, "Hải An"),
    ("KCN-NAMDINHVU", "Khu công nghiệp Nam Đình Vũ", "industrial_zone", 1329.0, "Hải An"),
    ("KCN-ANDUONG", "Khu công nghiệp An Dương", "industrial_zone", 196.0, "An Dương"),
    ("KCN-NOMURA", "Khu công nghiệp Nomura Hải Phòng", "industrial_zone", 153.0, "An Dương"),
    ("KCN-TANDUONG", "Khu công nghiệp Tân Dương", "industrial_zone", 197.0, "Thủy Nguyên"),
    ("KKT-DINHVUCATHAI", "Khu kinh tế Đình Vũ - Cát Hải", "economic_zone", 22540.0, "Cát Hải"),
    ("CCN-VINHNIEM", "Cụm công nghiệp Vĩnh Niệm", "industrial_cluster", 45.0, "Lê Chân"),
]

LEGAL_FORMS = {
    # Vietnamese long form, abbreviation, English suffix
    "TNHH": ("Công ty TNHH", "Cty TNHH", "Co., Ltd"),
    "CP": ("Công ty Cổ phần", "Cty CP", "JSC"),
}


def strip_accents(text: str) -> str:
    """ASCII folding as agencies' legacy systems do it (đ -> d included)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


@dataclass
class Enterprise:
    index: int
    tax_code: str
    stem: str
    industry: tuple
    legal_form: str
    is_fdi: bool
    origin: str | None  # country of the parent group, FDI only
    parent_group: str | None
    zone_code: str | None
    admin_area: str
    street_no: int
    street: str
    founded: dt.date
    foreign_pct: float
    renamed_on: dt.date | None = None  # a few enterprises rename
    old_stem: str | None = None
    moved_on: dt.date | None = None  # a few move to another area
    old_admin_area: str | None = None
    projects: list[Project] = field(default_factory=list)
    name_word: str | None = None  # replaces the industry word in a planted look-alike name
    # Business profile (set by `Economy._profile`; money in VND at 2023 prices).
    revenue_base: float = 0.0
    growth: float = 0.0  # yearly real revenue growth
    margin: float = 0.0  # EBIT margin of a normal year
    cogs_ratio: float = 0.0
    depreciation_ratio: float = 0.0
    export_share: float = 0.0  # of revenue
    import_share: float = 0.0  # of cost of goods
    related_share: float = 0.0  # of imports and exports traded with the parent group
    royalty_pct: float = 0.0  # of revenue, paid to the parent group
    service_fee_pct: float = 0.0  # of revenue, management fees to the parent group
    employees_base: int = 0
    wage_base: float = 0.0  # average monthly wage, VND, 2023
    si_unit_code: str = ""
    branch_suffix: str | None = None  # customs declares some lines under a branch code
    loans: list[Loan] = field(default_factory=list)
    leases: list[Lease] = field(default_factory=list)
    # Years between incorporation and the first revenue, its plant being built (`losses.plan`): 0, 1 or 2
    construction_years: int = 0
    # Planted risk scenarios (`sources.synthetic.scenarios`): what happens to this enterprise.
    role: str | None = None  # e.g. "TP05" planted or "TP05~" look-alike
    role_year: int | None = None
    role_month: int | None = None  # month of the window (1 = its first month), for monthly scenarios
    # Near the rule's threshold rather than far past it (`fdi generate --edge-cases`, docs/generator.md)
    edge: bool = False
    dormant_from: dt.date | None = None  # REG02: every activity stops
    dormant_until: dt.date | None = None  # REG02 near the threshold: activity resumes on this day
    absconded_on: dt.date | None = None  # ABS01: the owner leaves
    # TP01/TP02 near the threshold on a rare good: the lines of it the enterprise declares (scenarios.RareTrade)
    rare_trade: tuple | None = None
    # Planted network cases (`sources.synthetic.network`).
    network_group: tuple[str, str] | None = None  # (foreign group's parent, country) a domestic firm fronts for
    network_lookalike: str | None = None  # the one sign of a NOM01 look-alike
    planted_permits: list = field(default_factory=list)  # network.PlantedPermit of a domestic firm
    controlled_trade_share: float = 0.0  # of declarations with `network_group`

    @property
    def vsic(self) -> str:
        return self.industry[0]

    @property
    def division(self) -> str:
        """VSIC 2018 division (2 digits): the peer group for margin comparisons."""
        return self.industry[0][:2]

    @property
    def active_from(self) -> dt.date:
        """First day of operations: incorporation of the first project, or founding."""
        if self.projects:
            return min(p.incorporated_on for p in self.projects)
        return self.founded

    @property
    def operating_from_year(self) -> int:
        """First year of revenue: the year it became active, or later when it built its plant first."""
        return self.active_from.year + self.construction_years

    def active_in_month(self, year: int, month: int) -> bool:
        """Operating (filing, trading, employing) in the month."""
        first = dt.date(year, month, 1)
        if month_end(year, month) < self.active_from:
            return False
        if self.dormant_from and first >= self.dormant_from and not (self.dormant_until and first >= self.dormant_until):
            return False
        if self.absconded_on and first > self.absconded_on:
            return False
        return True

    def active_in_year(self, year: int) -> bool:
        return any(self.active_in_month(year, m) for m in range(1, 13))

    def branch_code(self) -> str | None:
        return f"{self.tax_code}-{self.branch_suffix}" if self.branch_suffix else None

    def stem_on(self, when: dt.date) -> str:
        return self.old_stem if self.renamed_on and when < self.renamed_on and self.old_stem else self.stem

    def core_name(self, when: dt.date) -> str:
        stem = self.stem_on(when)
        if self.is_fdi:
            return f"{stem} {self.name_word or self.industry[2]}"
        return f"{self.name_word or self.industry[3]} {stem}"

    def name_vi(self, when: dt.date) -> str:
        long_form = LEGAL_FORMS[self.legal_form][0]
        suffix = " Việt Nam" if self.is_fdi else ""
        return f"{long_form} {self.core_name(when)}{suffix}"

    def name_en(self, when: dt.date) -> str:
        vn = " Vietnam" if self.is_fdi else ""
        return f"{strip_accents(self.core_name(when))}{vn} {LEGAL_FORMS[self.legal_form][2]}"

    def name_variant(self, when: dt.date, style: str) -> str:
        """The name as one agency's system writes it (README "Known defects" 2)."""
        cache = self.__dict__.setdefault("_names", {})
        key = (style, self.stem_on(when))
        if key not in cache:
            cache[key] = self._name_variant(when, style)
        return cache[key]

    def _name_variant(self, when: dt.date, style: str) -> str:
        official = self.name_vi(when)
        if style == "official":
            return official
        if style == "upper_ascii":
            return strip_accents(official).upper()
        if style == "abbrev":
            short = LEGAL_FORMS[self.legal_form][1]
            suffix = " VN" if self.is_fdi else ""
            return f"{short} {self.core_name(when)}{suffix}"
        if style == "english":
            return self.name_en(when)
        if style == "nfd":
            return unicodedata.normalize("NFD", official)
        raise ValueError(style)

    def area_on(self, when: dt.date) -> str:
        return self.old_admin_area if self.moved_on and when < self.moved_on and self.old_admin_area else self.admin_area

    def address(self, when: dt.date) -> str:
        area = self.area_on(when)
        if self.zone_code and (not self.moved_on or when >= self.moved_on):
            zone = next(z for z in ZONES if z[0] == self.zone_code)
            return f"Lô {self.street_no % 40 + 1}, {zone[1]}, {area}, Hải Phòng"
        return f"Số {self.street_no} đường {self.street}, {area}, Hải Phòng"


@dataclass
class Loan:
    """A loan as the credit register knows it; amounts in the loan currency."""

    lender_code: str
    lender_name: str
    lender_kind: str  # domestic_bank | foreign_bank_branch | foreign_lender | foreign_related_party
    lender_country: str
    loan_id: str
    currency: str
    original_amount: float
    interest_rate_pct: float
    disbursed_on: dt.date
    matures_on: dt.date
    bullet: bool = False  # repaid at maturity (intra-group loans) rather than in equal instalments
    sbv_registration_no: str | None = None

    @property
    def foreign(self) -> bool:
        """Borrowed from abroad, so registered with the State Bank and moved through fx accounts."""
        return self.lender_kind in ("foreign_lender", "foreign_related_party")

    def outstanding_on(self, when: dt.date) -> float:
        if when < self.disbursed_on or when >= self.matures_on:
            return 0.0
        if self.bullet:
            return self.original_amount
        term = (self.matures_on - self.disbursed_on).days
        elapsed_quarters = ((when - self.disbursed_on).days // 91)
        instalments = max(1, term // 91)
        return round(self.original_amount * max(0.0, 1 - elapsed_quarters / instalments), 2)


@dataclass
class Lease:
    lease_id: str
    parcel_no: str
    map_sheet: str
    zone_code: str | None
    admin_area: str
    area_m2: float
    purpose_code: str
    lease_start: dt.date
    lease_end: dt.date
    payment_mode: str  # annual | lump_sum
    rent_vnd_per_m2: float  # fixed for five years (Decree 46/2014/ND-CP, Art. 14)
    ramp_years: float  # years of construction before the land is fully used
    use_ratio: float  # share of the area in use once built
    idle: bool = False  # LAND01 planted: most of the land stays unused
    revoked_on: dt.date | None = None

    def in_use_on(self, when: dt.date) -> float:
        if self.idle:
            return round(self.area_m2 * self.use_ratio, 1)
        years = (when - self.lease_start).days / 365.25
        built = min(1.0, max(0.0, years / self.ramp_years)) if self.ramp_years else 1.0
        return round(self.area_m2 * self.use_ratio * max(0.1, built), 1)

    def status_on(self, when: dt.date) -> str:
        if self.revoked_on and when >= self.revoked_on:
            return "revoked"
        return "ended" if when >= self.lease_end else "active"

    @property
    def annual_rent_vnd(self) -> int | None:
        return round(self.area_m2 * self.rent_vnd_per_m2) if self.payment_mode == "annual" else None


@dataclass
class Investor:
    seq: int
    name: str
    country: str
    kind: str  # organization | individual
    ownership_pct: float
    committed_capital_usd: float
    ultimate_parent: str | None
    reg_no: str


@dataclass
class Adjustment:
    on: dt.date
    registered_capital_usd: float


@dataclass
class Project:
    project_code: str
    irc_number: str
    enterprise: Enterprise
    incorporated_on: dt.date  # before this the register has no tax code
    issued_on: dt.date
    registered_capital_usd: float
    charter_capital_usd: float
    foreign_pct: float
    term_years: int
    capital_deadline: dt.date
    authority: str
    investors: list[Investor]
    adjustments: list[Adjustment] = field(default_factory=list)
    terminated_on: dt.date | None = None
    suspended_from: dt.date | None = None
    keeps_active_after_expiry: bool = False  # REG01 planted scenario

    @property
    def expires_on(self) -> dt.date:
        return add_years(self.issued_on, self.term_years)

    def capital_on(self, when: dt.date) -> float:
        capital = self.registered_capital_usd
        for adj in self.adjustments:
            if adj.on <= when:
                capital = adj.registered_capital_usd
        return capital

    def last_adjusted_on(self, when: dt.date) -> dt.date | None:
        dates = [a.on for a in self.adjustments if a.on <= when]
        return max(dates) if dates else None

    def status_on(self, when: dt.date) -> str:
        if self.terminated_on and when >= self.terminated_on:
            return "terminated"
        if when > self.expires_on and not self.keeps_active_after_expiry:
            return "expired"
        if self.suspended_from and when >= self.suspended_from:
            return "suspended"
        return "active"


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (29 February becomes 28 February)."""
    return day.replace(year=day.year + years, day=min(day.day, 28) if day.month == 2 else day.day)


# Scenario roles with planted loss years (sources.synthetic.scenarios).
LOSS_ROLES = ("TP03", "TP04", "TP06", "TP07")


def month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def months(years: tuple[int, int]) -> list[str]:
    return [f"{y}-{m:02d}" for y in range(years[0], years[1] + 1) for m in range(1, 13)]


class Economy:
    """The population: enterprises with their projects and investors."""

    def __init__(self, seed: int, enterprises: int, years: tuple[int, int]):
        self.seed = seed
        self.n = enterprises
        self.years = years
        self.rng = random.Random(seed)
        self.enterprises: list[Enterprise] = []
        self.projects: list[Project] = []
        self.lookalikes: list[tuple[str, str, str]] = []  # (tax_code_a, tax_code_b, kind)
        self.scenarios: list = []  # sources.synthetic.scenarios.Scenario
        self.books: dict = {}  # (tax_code, year) -> sources.synthetic.finance.YearBook
        self.honest_losses: dict = {}  # (tax_code, year) -> sources.synthetic.losses.HonestLoss
        self._build()

    # -- identities ---------------------------------------------------------
    def _tax_code(self, used: set[str], province: str = "02") -> str:
        while True:
            body = province + "".join(str(self.rng.randint(0, 9)) for _ in range(7))
            if body[2:] == "0000000":
                continue
            digit = check_digit(body)
            if digit is None:
                continue
            code = body + digit
            if code not in used:
                used.add(code)
                return code

    def _pick(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _date_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    # -- population ---------------------------------------------------------
    def _build(self) -> None:
        rng = self.rng
        used_codes: set[str] = set()
        used_names: set[str] = set()
        first_year, last_year = self.years
        industries = INDUSTRIES
        for i in range(self.n):
            is_fdi = rng.random() < 0.55
            origin = self._pick(INVESTOR_COUNTRIES) if is_fdi else None
            stems = _STEMS[origin] if origin else _VN_STEMS
            industry = rng.choices(industries, weights=[x[1] for x in industries])[0]
            stem = rng.choice(stems)
            # Keep names unique per population, as the business register does.
            candidate, k = stem, 2
            while True:
                probe = f"{candidate}|{industry[0]}|{is_fdi}"
                if probe not in used_names:
                    used_names.add(probe)
                    break
                candidate = f"{stem} {self._ordinal(k)}"
                k += 1
            # A code never changes when the enterprise moves, so other provinces occur.
            province = "02" if rng.random() < 0.9 else rng.choice(["01", "03", "04", "08", "10"])
            in_zone = is_fdi and rng.random() < 0.75 or (not is_fdi and rng.random() < 0.3)
            zone = rng.choice(ZONES) if in_zone else None
            founded = self._date_between(dt.date(2005, 1, 1), dt.date(last_year, 6, 30))
            ent = Enterprise(
                index=i,
                tax_code=self._tax_code(used_codes, province),
                stem=candidate,
                industry=industry,
                legal_form="TNHH" if (is_fdi and rng.random() < 0.85) or rng.random() < 0.4 else "CP",
                is_fdi=is_fdi,
                origin=origin,
                parent_group=(f"{candidate} {rng.choice(['Group', 'Holdings', 'Corporation', 'Co., Ltd.'])}"
                              if is_fdi and rng.random() < 0.8 else None),
                zone_code=zone[0] if zone else None,
                admin_area=zone[4] if zone else rng.choice(ADMIN_AREAS),
                street_no=rng.randint(1, 480),
                street=rng.choice(_STREETS),
                founded=founded,
                foreign_pct=round(rng.choice([100.0, 100.0, 100.0, 70.0, 51.0, 49.0, 35.0]), 2) if is_fdi else 0.0,
            )
            if rng.random() < 0.04:  # renamed within the window
                ent.renamed_on = self._date_between(dt.date(first_year, 3, 1), dt.date(last_year, 10, 1))
                ent.old_stem = ent.stem
                ent.stem = f"{ent.stem} {rng.choice(['Global', 'Tech', 'Industrial', 'Plus'])}"
            if rng.random() < 0.04 and not ent.zone_code:  # moved to another area
                ent.moved_on = self._date_between(dt.date(first_year, 3, 1), dt.date(last_year, 10, 1))
                ent.old_admin_area = rng.choice([a for a in ADMIN_AREAS if a != ent.admin_area])
            self.enterprises.append(ent)
            if is_fdi:
                for _ in range(1 if rng.random() < 0.85 else 2):
                    self._add_project(ent)
        self._used_codes = used_codes

    @staticmethod
    def _ordinal(k: int) -> str:
        return ["", "", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"][k] if k <= 10 else str(k)

    def _add_project(self, ent: Enterprise) -> None:
        rng = self.rng
        issued = max(ent.founded, self._date_between(dt.date(2008, 1, 1), dt.date(self.years[1], 9, 30)))
        scale = {"26100": 40e6, "24100": 60e6, "30110": 50e6, "20110": 30e6}.get(ent.vsic, 12e6)
        capital = round(rng.lognormvariate(0, 0.9) * scale / 2, -3) + 1e6
        charter = round(capital * rng.uniform(0.15, 0.4), -3)
        foreign_pct = ent.foreign_pct
        n_inv = 1 if foreign_pct == 100.0 and rng.random() < 0.7 else 2
        investors = []
        remaining = foreign_pct
        for k in range(1, n_inv + 1):
            pct = remaining if k == n_inv else round(remaining * rng.uniform(0.5, 0.8), 2)
            remaining = round(remaining - pct, 2)
            country = ent.origin if k == 1 else self._pick(INVESTOR_COUNTRIES)
            individual = k > 1 and rng.random() < 0.4
            investors.append(Investor(
                seq=k,
                name=(f"{'Mr.' if rng.random() < 0.5 else 'Ms.'} {rng.choice(_STEMS[country])} {rng.randint(10, 99)}"
                      if individual else (ent.parent_group or f"{ent.stem} {rng.choice(['Holdings', 'Co., Ltd.'])}")),
                country=country,
                kind="individual" if individual else "organization",
                ownership_pct=pct,
                committed_capital_usd=round(charter * pct / 100, 2),
                ultimate_parent=ent.parent_group if not individual else None,
                reg_no=(f"{country}{rng.randint(10**6, 10**7 - 1)}" if individual
                        else f"{country}-{rng.randint(10**8, 10**9 - 1)}"),
            ))
        if foreign_pct < 100:
            investors.append(Investor(
                seq=len(investors) + 1,
                name=f"Công ty Cổ phần {rng.choice(_VN_STEMS)}",
                country="VN", kind="organization", ownership_pct=round(100 - foreign_pct, 2),
                committed_capital_usd=round(charter * (100 - foreign_pct) / 100, 2), ultimate_parent=None,
                reg_no=f"VN-{rng.randint(10**8, 10**9 - 1)}",
            ))
        project = Project(
            project_code=f"{rng.randint(1, 9)}{rng.randint(10**8, 10**9 - 1)}",
            irc_number=f"{rng.randint(1000, 9999)}{rng.randint(100000, 999999)}",
            enterprise=ent,
            incorporated_on=issued + dt.timedelta(days=rng.randint(10, 60)),
            issued_on=issued,
            registered_capital_usd=capital,
            charter_capital_usd=charter,
            foreign_pct=foreign_pct,
            term_years=rng.choice([20, 30, 40, 50, 50]) if rng.random() > 0.04 else rng.choice([8, 10, 12]),
            capital_deadline=issued + dt.timedelta(days=rng.choice([90, 180, 365])),
            authority="HEZA" if ent.zone_code else "DPI",
            investors=investors,
        )
        if rng.random() < 0.3:  # capital increases (điều chỉnh vốn)
            when = self._date_between(issued + dt.timedelta(days=120), dt.date(self.years[1], 12, 1))
            if when > issued:
                project.adjustments.append(Adjustment(when, round(capital * rng.uniform(1.2, 2.0), -3)))
        if rng.random() < 0.03:
            project.terminated_on = self._date_between(issued + dt.timedelta(days=365), dt.date(self.years[1], 12, 1))
        if project.expires_on < dt.date(self.years[1], 12, 31) and rng.random() < 0.5:
            project.keeps_active_after_expiry = True
        self.projects.append(project)
        ent.projects.append(project)

    # -- the economy's life: profiles, planted look-alikes and scenarios, books ---
    def profile_population(self) -> None:
        """Planted look-alike pairs and each enterprise's profile; the step before roles are assigned."""
        self._plant_lookalike_pairs()
        for ent in self.enterprises:
            self._profile(ent)

    def finance_assets(self) -> None:
        """Loans and leases; they depend on the roles (`scenarios.assign_roles`), so they come after."""
        for ent in self.enterprises:
            self._loans(ent)
            self._leases(ent)

    def sub_rng(self, *parts: object) -> random.Random:
        """An independent stream per purpose and entity, so one change does not reshuffle the rest."""
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def kept(self, key: tuple, draw: Callable[[], T]) -> T:
        """What `draw` gives, drawn once per `key` and kept: a value drawn from a `sub_rng` stream is the same
        however often it is drawn, and seeding a stream (a few microseconds) cost the monthly snapshots, which
        draw the same static values every month, a third of their time."""
        cache = self.__dict__.setdefault("_kept", {})
        if key not in cache:
            cache[key] = draw()
        return cache[key]

    @property
    def first_year(self) -> int:
        return self.years[0]

    @property
    def last_year(self) -> int:
        return self.years[1]

    def _core_names(self) -> set[str]:
        """Every name an enterprise bears in the window, a renamed one's old name too: the register never lets two
        enterprises bear one name (Law on Enterprises 59/2020/QH14 Art. 41). Seed 2049 gave a look-alike the old
        name of a firm renamed in 2024, and three years of two employers of one name stayed unmatched."""
        ends = (dt.date(self.first_year, 1, 1), dt.date(self.last_year, 12, 31))
        return {e.core_name(when) for e in self.enterprises for when in ends}

    def _plant_lookalike_pairs(self) -> None:
        """Different enterprises that entity resolution must keep apart (`_truth/lookalikes.csv`)."""
        rng = self.sub_rng("lookalikes")
        per_kind = max(1, self.n // 100)
        taken: set[int] = set()
        fdi = [e for e in self.enterprises if e.is_fdi and not e.renamed_on]

        def free(pool: list[Enterprise]) -> list[Enterprise]:
            return [e for e in pool if e.index not in taken]

        for _ in range(per_kind):
            pool = free(fdi)
            if len(pool) < 2:
                break
            a, b = rng.sample(pool, 2)
            # "Hanil Electronics" beside "Hanil Electronic Components": same stem and industry.
            b.stem, b.industry, b.origin = a.stem, a.industry, a.origin
            b.name_word = f"{a.industry[2].rstrip('s')} {rng.choice(['Components', 'Precision', 'Materials'])}"
            taken.update((a.index, b.index))
            self.lookalikes.append((a.tax_code, b.tax_code, "similar_name"))
        for _ in range(per_kind):
            pool = free(fdi)
            names = self._core_names()
            pairs = [(a, b) for a in pool[:40] for b in pool[:40]
                     if a is not b and a.industry != b.industry and f"{a.stem} {b.industry[2]}" not in names]
            if not pairs:
                break
            a, b = rng.choice(pairs)
            b.stem, b.origin = a.stem, a.origin  # the same group stem in another industry
            taken.update((a.index, b.index))
            self.lookalikes.append((a.tax_code, b.tax_code, "same_stem_other_industry"))
        for _ in range(per_kind):
            pool = free(self.enterprises)
            if len(pool) < 2:
                break
            a, b = rng.sample(pool, 2)
            for digit in rng.sample(range(10), 10):  # codes sharing the first 8 digits
                body = a.tax_code[:8] + str(digit)
                check = check_digit(body)
                if check and body + check not in self._used_codes:
                    b.tax_code = body + check
                    self._used_codes.add(b.tax_code)
                    taken.update((a.index, b.index))
                    self.lookalikes.append((a.tax_code, b.tax_code, "tax_code_prefix"))
                    break

    def _profile(self, ent: Enterprise) -> None:
        rng = self.sub_rng("profile", ent.index)
        sector = ent.industry[4]
        # Median yearly revenue: an FDI plant about 250 bn VND (10 M USD), a domestic firm 40 bn.
        median = 250e9 if ent.is_fdi else 40e9
        ent.revenue_base = rng.lognormvariate(math.log(median), 0.9)
        ent.growth = rng.uniform(-0.02, 0.12)
        ent.margin = rng.uniform(*NORMAL_MARGIN[sector])
        ent.cogs_ratio = rng.uniform(0.68, 0.82)
        ent.depreciation_ratio = rng.uniform(0.02, 0.05)
        services = ent.vsic in SERVICE_INDUSTRIES
        if ent.is_fdi:
            ent.export_share = 0.0 if services else rng.uniform(0.55, 0.95) if sector != "distribution" \
                else rng.uniform(0.05, 0.3)
            ent.import_share = rng.uniform(0.02, 0.08) if services else rng.uniform(0.4, 0.8)
        else:
            ent.export_share = rng.uniform(0.05, 0.3) if not services and rng.random() < 0.35 else 0.0
            ent.import_share = rng.uniform(0.2, 0.6) if rng.random() < 0.45 else 0.0
        if ent.parent_group:
            ent.related_share = rng.uniform(0.3, 0.6)
            ent.royalty_pct = rng.uniform(0.005, 0.02) if rng.random() < 0.5 else 0.0
            ent.service_fee_pct = rng.uniform(0.002, 0.01)
        ent.employees_base = max(5, round(ent.revenue_base / REVENUE_PER_WORKER.get(ent.vsic, 2e9)))
        ent.wage_base = WAGE_2023.get(ent.vsic, 9.5e6) * rng.uniform(0.85, 1.25)
        digits = f"{ent.index:05d}" if ent.index < 100_000 else f"{ent.index:06d}"
        ent.si_unit_code = rng.choice(["TA", "TB", "TC", "HP", "YN"]) + digits + (
            rng.choice("ABCDE") if rng.random() < 0.3 else "")
        if rng.random() < 0.15:
            ent.branch_suffix = f"{rng.randint(1, 5):03d}"

    def revenue_factor(self, ent: Enterprise, year: int) -> float:
        """Revenue of a year relative to `revenue_base` (trend only)."""
        return (1 + ent.growth) ** (year - 2023)

    def _loans(self, ent: Enterprise) -> None:
        rng = self.sub_rng("loans", ent.index)
        first, last = self.years
        window_start = dt.date(first - 3, 1, 1)
        start = max(ent.active_from, window_start)
        end = dt.date(last, 6, 30)
        if start >= end:
            return
        established = ent.active_from <= dt.date(first - 3, 1, 1)
        low_year = min(self.revenue_factor(ent, y) for y in range(first, last + 1))
        # Keep honest borrowers' interest well under the Decree 132/2020 Art. 16.3 cap
        # (30 % of EBITDA), so that only planted TP05 cases cross it.
        budget = HONEST_INTEREST_SHARE * (ent.margin + ent.depreciation_ratio) * ent.revenue_base * low_year * 0.9
        specs = []
        if rng.random() < 0.55:
            specs.append(("domestic", rng.uniform(0.02, 0.06)))
        # A planted loss year collapses EBITDA; a foreign or related-party loan
        # would then cross the 30 % cap too, a TP05 case the truth does not
        # record. Firms planted for a loss rule borrow at home only.
        if ent.is_fdi and established and ent.role not in LOSS_ROLES:
            if rng.random() < 0.3:
                specs.append(("foreign_bank_branch", rng.uniform(0.02, 0.05)))
            if rng.random() < 0.06:
                specs.append(("foreign_lender", rng.uniform(0.02, 0.05)))
            if ent.parent_group and rng.random() < 0.2:
                specs.append(("foreign_related_party", rng.uniform(0.02, 0.05)))
        for k, (kind, share) in enumerate(specs, start=1):
            if kind == "domestic":
                lender = rng.choice([x for x in LENDERS if x.kind == "domestic_bank"])
                rate = round(rng.uniform(7.0, 10.0), 2)
            elif kind == "foreign_related_party":
                lender = None
                rate = round(rng.uniform(3.0, 5.0), 2)
            else:
                lender = rng.choice([x for x in LENDERS if x.kind == kind])
                rate = round(rng.uniform(4.0, 7.0), 2)
            disbursed = self._date_between_with(rng, start, end)
            years = rng.randint(3, 7)
            self.add_loan(ent, kind, lender, share * ent.revenue_base, rate, disbursed, years, rng, k)
        # Scale honest loans down to the interest budget.
        interest = sum(self.loan_amount_vnd(x) * x.interest_rate_pct / 100 for x in ent.loans)
        if interest > budget > 0:
            for loan in ent.loans:
                loan.original_amount = round(loan.original_amount * budget / interest, -3)

    @staticmethod
    def loan_amount_vnd(loan: Loan) -> float:
        return loan.original_amount * (usd_year_average(2023) if loan.currency == "USD" else 1.0)

    @staticmethod
    def _date_between_with(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))

    def add_loan(self, ent: Enterprise, kind: str, lender, amount_vnd: float, rate: float,
                 disbursed: dt.date, years: int, rng: random.Random, seq: int) -> Loan:
        if kind == "foreign_related_party":
            code, name, country, currency = (f"EXT-{ent.origin}-{ent.index:05d}", ent.parent_group,
                                             ent.origin or "KR", "USD")
        else:
            code, name, country, currency = lender.code, lender.name, lender.country, lender.currency
        amount = amount_vnd / usd_year_average(2023) if currency == "USD" else amount_vnd
        loan = Loan(
            lender_code=code, lender_name=name,
            lender_kind="domestic_bank" if kind == "domestic" else kind,
            lender_country=country, loan_id=f"{ent.index:06d}{disbursed:%y%m}{seq:02d}",
            currency=currency, original_amount=round(amount, -3 if currency == "VND" else 0) or 1000.0,
            interest_rate_pct=rate, disbursed_on=disbursed,
            matures_on=add_years(disbursed, years),
            bullet=kind == "foreign_related_party",
            # Foreign loans are registered with the State Bank (Circular 12/2022/TT-NHNN).
            sbv_registration_no=(f"{rng.randint(100, 999)}/{disbursed.year}/NHNN-QLNH"
                                 if kind in ("foreign_lender", "foreign_related_party") else None),
        )
        ent.loans.append(loan)
        return loan

    def _leases(self, ent: Enterprise) -> None:
        rng = self.sub_rng("leases", ent.index)
        if ent.zone_code:
            purpose = "SKK"
        elif ent.industry[4] == "distribution":
            purpose = "TMD" if rng.random() < 0.5 else None
        else:
            purpose = "SKC" if rng.random() < 0.7 else None
        if purpose is None:
            return
        # The lessee signs with its enterprise code, its tax code, which it has from incorporation (Law on
        # Enterprises 2020 Art. 29), so the lease starts then or later. Seed 2051's start-ups had leased 2 to 8
        # months before: their tax code was in the land snapshots before their project was in the register.
        start = ent.active_from + dt.timedelta(days=rng.randint(0, 90))
        area = min(300_000.0, max(2_000.0, ent.employees_base * rng.uniform(30, 90)))
        zone = next((z for z in ZONES if z[0] == ent.zone_code), None)
        sheet, parcel = parcel_of(ent.index, 0)
        ent.leases.append(Lease(
            lease_id=f"HD-{(ent.zone_code or 'HP').split('-')[-1]}-{start.year}-{ent.index:05d}",
            parcel_no=parcel, map_sheet=sheet,
            zone_code=ent.zone_code, admin_area=zone[4] if zone else ent.area_on(start),
            area_m2=round(area, -1), purpose_code=purpose, lease_start=start,
            # Land Law 2013, Art. 126: leases to investors run up to 50 years.
            lease_end=add_years(start, rng.choice([30, 40, 50])),
            payment_mode="lump_sum" if rng.random() < 0.3 else "annual",
            rent_vnd_per_m2=round(rng.uniform(*LAND_RENT_VND_PER_M2), -2),
            ramp_years=rng.uniform(0.8, 1.8), use_ratio=rng.uniform(0.65, 0.98),
        ))

    @cached_property
    def by_tax_code(self) -> dict[str, Enterprise]:
        return {e.tax_code: e for e in self.enterprises}

    def registered_projects(self, on: dt.date) -> list[Project]:
        return [p for p in self.projects if p.issued_on <= on]
