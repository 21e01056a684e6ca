"""Reference lists the generator draws from: goods per industry, foreign trading partners, lenders.

Every list is fixed data (no randomness here), so it is the same for every seed.
Goods are 8-digit codes of Vietnam's tariff nomenclature (AHTN 2022), each with
its UN/ECE Recommendation 20 unit and a median unit price in USD; line prices
are log-normal around that median (`sigma` is the log-scale spread), which is
what customs valuation databases show for homogeneous goods.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Goods:
    hs_code: str
    description: str
    unit: str  # UN/ECE Recommendation 20
    median_price_usd: float
    sigma: float = 0.25
    countable: bool = False  # PCE, SET, PR: whole quantities


def _g(hs: str, text: str, unit: str, price: float, sigma: float = 0.25) -> Goods:
    return Goods(hs, text, unit, price, sigma, countable=unit in ("PCE", "SET", "PR"))


# VSIC 2018 code -> (inputs imported, outputs exported). The first input of each
# industry is the one every member imports, so it always has many comparables.
GOODS_BY_INDUSTRY: dict[str, tuple[tuple[Goods, ...], tuple[Goods, ...]]] = {
    "26100": ((_g("85423100", "Vi mạch tích hợp - bộ xử lý và điều khiển", "PCE", 1.8),
               _g("85340010", "Mạch in nhiều lớp", "PCE", 0.9),
               _g("85322400", "Tụ điện gốm nhiều lớp", "PCE", 0.02, 0.3),
               _g("39199099", "Băng dính bằng plastic", "MTK", 1.2)),
              (_g("85176249", "Thiết bị thu phát vô tuyến", "PCE", 38.0),
               _g("85444299", "Dây cáp điện có đầu nối", "PCE", 2.5),
               _g("85044090", "Bộ nguồn chuyển đổi", "PCE", 6.0))),
    "27900": ((_g("74081900", "Dây đồng tinh luyện", "KGM", 9.5),
               _g("39269099", "Linh kiện bằng plastic", "PCE", 0.3)),
              (_g("85371099", "Bảng điều khiển điện", "PCE", 120.0),
               _g("85444294", "Cáp điện bọc cách điện", "MTR", 1.1))),
    "14100": ((_g("52083200", "Vải dệt thoi từ bông, đã nhuộm", "MTK", 2.8),
               _g("96062200", "Cúc bằng kim loại cơ bản", "PCE", 0.03, 0.3),
               _g("58071000", "Nhãn dệt thoi", "PCE", 0.04, 0.3)),
              (_g("62034200", "Quần dài nam bằng bông", "PCE", 9.0),
               _g("61091010", "Áo phông bằng bông", "PCE", 3.5),
               _g("62052000", "Áo sơ mi nam bằng bông", "PCE", 7.5))),
    "15200": ((_g("41079900", "Da thuộc đã gia công", "MTK", 18.0),
               _g("64069099", "Bộ phận của giày dép", "PR", 1.6)),
              (_g("64039990", "Giày có mũ bằng da thuộc", "PR", 22.0),
               _g("64041190", "Giày thể thao", "PR", 14.0))),
    "52291": ((_g("39232990", "Bao bì bằng plastic", "KGM", 2.2),
               _g("86090000", "Công-te-nơ vận chuyển", "PCE", 3500.0)),
              (_g("39232990", "Bao bì bằng plastic", "KGM", 2.4),)),
    "24100": ((_g("26011100", "Quặng sắt chưa nung kết", "TNE", 110.0),
               _g("72044900", "Phế liệu sắt thép", "TNE", 380.0),
               _g("27011210", "Than cốc", "TNE", 150.0)),
              (_g("72142031", "Thép thanh cán nóng", "TNE", 620.0),
               _g("72083990", "Thép cuộn cán nóng", "TNE", 650.0))),
    "20110": ((_g("29051100", "Methanol", "TNE", 400.0),
               _g("28151100", "Natri hydroxit dạng rắn", "TNE", 450.0)),
              (_g("38099190", "Chất hoàn tất dùng trong ngành dệt", "KGM", 2.5),
               _g("32089090", "Sơn và vecni", "KGM", 3.0))),
    "22201": ((_g("39011092", "Hạt nhựa PE", "KGM", 1.3),
               _g("39021040", "Hạt nhựa PP", "KGM", 1.25)),
              (_g("39232119", "Túi bằng plastic", "KGM", 2.4),
               _g("39269099", "Linh kiện bằng plastic", "PCE", 0.35))),
    "29300": ((_g("72085100", "Thép tấm cán nóng", "TNE", 850.0),
               _g("40169390", "Gioăng bằng cao su", "PCE", 0.2)),
              (_g("87089980", "Bộ phận xe ô tô", "PCE", 12.0),
               _g("85443012", "Bộ dây điện dùng cho xe", "SET", 28.0))),
    "30110": ((_g("72085200", "Thép tấm đóng tàu", "TNE", 900.0),
               _g("84089010", "Động cơ máy thủy", "PCE", 85000.0, 0.2)),
              (_g("89019031", "Tàu chở hàng", "PCE", 6.0e6, 0.2),)),
    "46900": ((_g("84713020", "Máy tính xách tay", "PCE", 420.0),
               _g("33049930", "Mỹ phẩm", "KGM", 25.0),
               _g("85176249", "Thiết bị thu phát vô tuyến", "PCE", 38.0)),
              (_g("09011110", "Cà phê nhân chưa rang", "TNE", 2300.0),
               _g("08013200", "Hạt điều đã bóc vỏ", "KGM", 6.5))),
    "10790": ((_g("17019990", "Đường tinh luyện", "TNE", 560.0),
               _g("04022120", "Sữa bột nguyên kem", "KGM", 4.0)),
              (_g("19059090", "Bánh quy", "KGM", 3.2),
               _g("21069099", "Chế phẩm thực phẩm", "KGM", 4.5))),
    "23940": ((_g("27011290", "Than đá", "TNE", 140.0),
               _g("25231090", "Clanhke xi măng", "TNE", 45.0)),
              (_g("25232990", "Xi măng poóc lăng", "TNE", 55.0),
               _g("25231090", "Clanhke xi măng", "TNE", 40.0))),
    "28190": ((_g("84818099", "Van công nghiệp", "PCE", 35.0),
               _g("84829100", "Bi, kim và con lăn của ổ bi", "KGM", 8.0)),
              (_g("84195092", "Thiết bị trao đổi nhiệt", "PCE", 2400.0),
               _g("84798210", "Máy trộn công nghiệp", "PCE", 1800.0))),
}

# Goods no industry above trades, only the cases near the TP01/TP02 threshold on a rare good and the few unrelated
# firms that trade it beside them (`fdi generate --edge-cases`, sources.synthetic.scenarios `RareTrade`), by flow:
# measuring instruments a plant imports now and then, moulds it ships back after a production run. Apart from
# the industries' lists, so the economy without the option is the one it was.
RARE_GOODS: dict[str, Goods] = {
    "IM": _g("90318090", "Dụng cụ đo lường, kiểm tra", "PCE", 1500.0),
    "EX": _g("84807190", "Khuôn đúc sản phẩm bằng plastic", "PCE", 9000.0),
}

# Invoice currencies other than USD that partners of a country use, with the
# share of lines invoiced in them (most Asian trade is invoiced in USD).
INVOICE_CURRENCY = {"JP": ("JPY", 0.3), "CN": ("CNY", 0.15), "KR": ("KRW", 0.1), "DE": ("EUR", 0.6),
                    "NL": ("EUR", 0.6), "FR": ("EUR", 0.6)}

# Unrelated foreign trading partners (sellers and buyers), by country.
_PARTNER_PARTS = {
    "CN": (["Shenzhen", "Ningbo", "Guangzhou", "Suzhou", "Dongguan", "Xiamen"], "Co., Ltd"),
    "KR": (["Busan", "Incheon", "Ulsan", "Changwon", "Gumi"], "Co., Ltd"),
    "JP": (["Osaka", "Nagoya", "Yokohama", "Kobe", "Hamamatsu"], "Corporation"),
    "TW": (["Taichung", "Kaohsiung", "Tainan"], "Co., Ltd"),
    "TH": (["Rayong", "Chonburi"], "Public Co., Ltd"),
    "SG": (["Jurong", "Tuas"], "Pte. Ltd"),
    "US": (["Houston", "Seattle", "Atlanta"], "Inc."),
    "DE": (["Hamburg", "Bremen"], "GmbH"),
    "AU": (["Perth", "Brisbane"], "Pty Ltd"),
    "IN": (["Chennai", "Pune"], "Pvt. Ltd"),
}
_PARTNER_WORDS = ["Trading", "Industrial", "Supply", "Materials", "Import Export", "Global Sourcing"]
# Where unrelated partners come from, as weights (Vietnam's trade partners).
PARTNER_COUNTRIES = {"CN": 30, "KR": 15, "JP": 12, "TW": 8, "US": 10, "TH": 6, "SG": 5, "DE": 5, "AU": 4, "IN": 5}


def unrelated_partners() -> dict[str, list[str]]:
    """Names of foreign firms with no ownership tie to any enterprise of the economy."""
    out: dict[str, list[str]] = {}
    for country, (cities, form) in _PARTNER_PARTS.items():
        out[country] = [f"{city} {word} {form}" for city in cities for word in _PARTNER_WORDS]
    return out


@dataclass(frozen=True)
class Lender:
    code: str
    name: str
    kind: str  # domestic_bank | foreign_bank_branch | foreign_lender
    country: str
    currency: str


LENDERS = (
    Lender("01203001", "Ngân hàng TMCP Ngoại thương Việt Nam - CN Hải Phòng", "domestic_bank", "VN", "VND"),
    Lender("01202001", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam - CN Hải Phòng", "domestic_bank", "VN", "VND"),
    Lender("01201001", "Ngân hàng TMCP Công thương Việt Nam - CN Hải Phòng", "domestic_bank", "VN", "VND"),
    Lender("01204001", "Ngân hàng Nông nghiệp và Phát triển Nông thôn - CN Hải Phòng", "domestic_bank", "VN", "VND"),
    Lender("01310001", "Ngân hàng TMCP Kỹ thương Việt Nam - CN Hải Phòng", "domestic_bank", "VN", "VND"),
    Lender("01616001", "Shinhan Bank Vietnam - CN Hải Phòng", "foreign_bank_branch", "KR", "USD"),
    Lender("01619001", "Woori Bank Vietnam - CN Hải Phòng", "foreign_bank_branch", "KR", "USD"),
    Lender("01622001", "MUFG Bank, Ltd. - CN Hà Nội", "foreign_bank_branch", "JP", "USD"),
    Lender("01617001", "HSBC Bank (Vietnam) Ltd.", "foreign_bank_branch", "GB", "USD"),
    Lender("EXT-KEXIM", "The Export-Import Bank of Korea", "foreign_lender", "KR", "USD"),
    Lender("EXT-JBIC", "Japan Bank for International Cooperation", "foreign_lender", "JP", "USD"),
    Lender("EXT-DBS", "DBS Bank Ltd", "foreign_lender", "SG", "USD"),
)
