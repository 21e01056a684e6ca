"""risk.flags.evidence (JSON) as rows a reviewer can read: labelled, numbers formatted."""
from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from decimal import Decimal

from warehouse.settings import DBT_PROJECT_DIR
from workbench import i18n

# Labels of the evidence keys the rules write (models/risk/rules/*.sql); an
# unknown key is shown as it is, never dropped.
LABELS: dict[str, tuple[str, str]] = {
    "threshold": ("Ngưỡng bị vượt", "Threshold crossed"),
    "goods": ("Mặt hàng", "Goods"),
    "hs_code": ("Mã HS", "HS code"),
    "unit": ("Đơn vị tính", "Unit"),
    "comparables": ("Số giao dịch độc lập so sánh", "Comparable transactions"),
    "median_vnd": ("Trung vị (VND/đơn vị)", "Median (VND/unit)"),
    "range_p35_vnd": ("Phân vị 35 (VND/đơn vị)", "35th percentile (VND/unit)"),
    "range_p75_vnd": ("Phân vị 75 (VND/đơn vị)", "75th percentile (VND/unit)"),
    "comparable_min_vnd": ("Giá thấp nhất so sánh (VND/đơn vị)", "Lowest comparable (VND/unit)"),
    "comparable_max_vnd": ("Giá cao nhất so sánh (VND/đơn vị)", "Highest comparable (VND/unit)"),
    "related_unit_price_vnd": ("Đơn giá giao dịch liên kết (VND/đơn vị)", "Related-party unit price (VND/unit)"),
    "related_lines": ("Số dòng hàng liên kết", "Related-party lines"),
    "related_partners": ("Bên liên kết", "Related parties"),
    "related_quantity": ("Lượng liên kết", "Related-party quantity"),
    "related_value_vnd": ("Trị giá liên kết (VND)", "Related-party value (VND)"),
    "shifted_value_vnd": ("Giá trị ước tính chuyển ra (VND)", "Estimated shifted value (VND)"),
    "shift_share": ("Tỷ lệ chênh lệch so với trung vị", "Share above/below the median"),
    # TP01/TP02 1.3: a median few comparables know (a rare good)
    "median_ci_low_vnd": ("Cận dưới khoảng tin cậy 95 % của trung vị (VND/đơn vị)",
                          "Median, lower 95 % confidence bound (VND/unit)"),
    "median_ci_high_vnd": ("Cận trên khoảng tin cậy 95 % của trung vị (VND/đơn vị)",
                           "Median, upper 95 % confidence bound (VND/unit)"),
    "median_bound_shift_share": ("Tỷ lệ chênh lệch tính ở cận khoảng tin cậy của trung vị",
                                 "Share above/below the median's confidence bound"),
    "materiality_unproven": ("Trọng yếu chỉ tính ở trung vị, chưa được chứng minh ở cận khoảng tin cậy",
                             "Material at the median only, not at its confidence bound"),
    # the other rules' evidence (models/risk/rules/*.sql)
    "active_projects": ("Dự án đang hoạt động", "Active projects"),
    "capital_added_usd": ("Vốn bổ sung (USD)", "Capital added (USD)"),
    "capital_added_usd_is_lower_bound": ("Vốn bổ sung là mức tối thiểu (thiếu tháng ngoại hối)",
                                         "Capital added is a lower bound (fx months missing)"),
    "capital_deadline": ("Hạn góp vốn", "Capital deadline"),
    "charter_capital_usd": ("Vốn điều lệ (USD)", "Charter capital (USD)"),
    "contributed_usd": ("Vốn đã góp (USD)", "Contributed (USD)"),
    "counterparties": ("Bên giao dịch", "Counterparties"),
    "depreciation_vnd": ("Khấu hao (VND)", "Depreciation (VND)"),
    "ebit_margin": ("Tỷ suất lợi nhuận hoạt động", "Operating margin"),
    "ebit_vnd": ("Lợi nhuận hoạt động (VND)", "Operating profit (VND)"),
    "ebitda_vnd": ("EBITDA (VND)", "EBITDA (VND)"),
    "expires_on": ("Ngày hết hạn", "Expires on"),
    "fees_share_of_revenue": ("Tỷ lệ phí trên doanh thu", "Fees as a share of revenue"),
    "first_loss_year": ("Năm lỗ đầu tiên", "First loss year"),
    "first_rising_month": ("Tháng nợ bắt đầu tăng", "First month of rising arrears"),
    "first_silent_month": ("Tháng đầu không hoạt động", "First silent month"),
    "first_transfer_on": ("Ngày chuyển tiền đầu tiên", "First transfer on"),
    "foreign_capital_due_usd": ("Vốn nước ngoài phải góp (USD)", "Foreign capital due (USD)"),
    "foreign_or_related_lenders": ("Bên cho vay nước ngoài hoặc liên kết", "Foreign or related lenders"),
    "foreign_ownership_pct": ("Tỷ lệ sở hữu nước ngoài (%)", "Foreign ownership (%)"),
    "interest_cap_share": ("Trần chi phí lãi vay (tỷ lệ EBITDA)", "Interest cap (share of EBITDA)"),
    "interest_expense_vnd": ("Chi phí lãi vay (VND)", "Interest expense (VND)"),
    "interest_share_of_ebitda": ("Lãi vay trên EBITDA", "Interest as a share of EBITDA"),
    # REL01 and NOM01 (the enterprise network)
    "undisclosed_vnd": ("Giá trị không kê khai (VND)", "Undisclosed value (VND)"),
    "disclosure_lines": ("Số dòng kê khai giao dịch liên kết", "Related-party disclosure lines"),
    "min_undisclosed_vnd": ("Ngưỡng giá trị không kê khai (VND)", "Materiality threshold (VND)"),
    "disclosed_counterparties": ("Bên liên kết đã kê khai", "Disclosed counterparties"),
    "dealings": ("Giao dịch với bên liên kết", "Dealings with related parties"),
    "party": ("Bên liên quan", "Party"),
    "relationship": ("Quan hệ", "Relationship"),
    "written_as": ("Tên như ghi trong hồ sơ", "Name as written"),
    "amount_vnd": ("Giá trị (VND)", "Amount (VND)"),
    "balance_vnd": ("Dư nợ cao nhất trong năm (VND)", "Greatest balance of the year (VND)"),
    "records": ("Số bản ghi", "Records"),
    "record_keys": ("Mã bản ghi", "Record keys"),
    "first_record": ("Bản ghi đầu tiên", "First record"),
    "agency": ("Cơ quan", "Agency"),
    "sign_kinds": ("Số loại dấu hiệu", "Kinds of sign"),
    "min_signs": ("Số loại dấu hiệu tối thiểu", "Minimum kinds of sign"),
    "sign": ("Dấu hiệu", "Sign"),
    # gaps in the data, stated in the evidence (a missing observation is never evidence)
    "year": ("Năm", "Year"),
    # TP03 before 1.3: kept for the evidence of flags written then
    "years_spanned": ("Số năm của chuỗi", "Years spanned"),
    "years_without_return": ("Năm không có tờ khai", "Years without a return"),
    "comparison_years_without_return": ("Năm so sánh không có tờ khai", "Comparison years without a return"),
    "fx_months_not_complete": ("Tháng thiếu dữ liệu ngoại hối", "Months without complete fx data"),
    "customs_months_not_complete": ("Tháng thiếu dữ liệu hải quan", "Months without complete customs data"),
    "labour_months_without_data": ("Tháng thiếu dữ liệu lao động", "Months without labour data"),
    "months_without_full_data": ("Tháng thiếu dữ liệu", "Months without full data"),
    "months_observed": ("Số tháng có dữ liệu", "Months observed"),
    "coverage_gaps": ("Kỳ thiếu dữ liệu", "Periods without data"),
    # REG01: the register's snapshots showing a project active past its term, and the months they span (1.1)
    "first_snapshot_stale": ("Kỳ đăng ký đầu tiên còn hoạt động sau hạn", "First snapshot active past the term"),
    "last_snapshot_stale": ("Kỳ đăng ký cuối cùng còn hoạt động sau hạn", "Last snapshot active past the term"),
    "stale_snapshots": ("Số kỳ đăng ký còn hoạt động sau hạn", "Snapshots active past the term"),
    "stale_months": ("Số tháng còn hoạt động sau hạn", "Months active past the term"),
    "register_snapshot": ("Kỳ đăng ký đầu tư", "Register snapshot"),
    # LAND01, TP04, TP05
    "lease_id": ("Mã hợp đồng thuê đất", "Lease"),
    "parcel_no": ("Số thửa", "Parcel number"),
    "industrial_zone_code": ("Mã khu công nghiệp", "Industrial zone code"),
    "area_m2": ("Diện tích (m²)", "Area (m²)"),
    "idle_months": ("Số tháng bỏ trống", "Idle months"),
    "first_idle_month": ("Tháng đầu tiên thấy bỏ trống", "First month seen idle"),
    "last_idle_month": ("Tháng bỏ trống gần nhất", "Last idle month"),
    "snapshots_observed": ("Số kỳ có dữ liệu", "Snapshots observed"),
    # LAND01 1.2: the run may have begun in these months, so its idle months are a least
    "months_without_data_before": ("Kỳ thiếu dữ liệu trước chuỗi (có thể đã bỏ trống từ trước)",
                                   "Periods without data before the run (it may have begun earlier)"),
    "weighted_margin": ("Tỷ suất bình quân gia quyền", "Weighted margin"),
    "peer_weighted_margin_p35": ("Phân vị 35 của tỷ suất bình quân doanh nghiệp so sánh", "Peers' weighted margin, 35th percentile"),
    "prior_year_ebit_margin": ("Tỷ suất lợi nhuận hoạt động năm trước", "Prior year's operating margin"),
    "prior_year_peer_margin_p35": ("Phân vị 35 của doanh nghiệp so sánh năm trước", "Prior year's peers, 35th percentile"),
    "prior_year_revenue_vnd": ("Doanh thu năm trước (VND)", "Prior year's revenue (VND)"),
    "years_compared": ("Số năm so sánh", "Years compared"),
    "best_ebitda_of_period_vnd": ("EBITDA cao nhất của kỳ (VND)", "Best EBITDA of the period (VND)"),
    "division_median_ebitda_margin": ("Trung vị tỷ suất EBITDA của ngành", "Division's median EBITDA margin"),
    "division_peers": ("Số doanh nghiệp cùng ngành", "Division peers"),
    "earning_capacity_vnd": ("Năng lực tạo lợi nhuận (VND)", "Earning capacity (VND)"),
    "interest_share_of_capacity": ("Lãi vay trên năng lực tạo lợi nhuận", "Interest as a share of capacity"),
    "median_of_all_divisions": ("Dùng trung vị của mọi ngành", "Median of all divisions used"),
    "group": ("Tập đoàn nước ngoài", "Foreign group"),
    "nationality": ("Quốc tịch", "Nationality"),
    "share_of_trade": ("Tỷ trọng thương mại", "Share of trade"),
    "with_enterprise": ("Doanh nghiệp liên quan", "With enterprise"),
    "value_vnd": ("Giá trị (VND)", "Value (VND)"),
    "lines": ("Số dòng", "Lines"),
    "issued_on": ("Ngày cấp", "Issued on"),
    "last_rising_month": ("Tháng nợ tăng gần nhất", "Last month of rising arrears"),
    "last_silent_month": ("Tháng không hoạt động gần nhất", "Last silent month"),
    "leases": ("Hợp đồng thuê đất", "Leases"),
    "loss_carried_forward_prior_year_vnd": ("Lỗ chuyển sang từ năm trước (VND)", "Loss carried forward, prior year (VND)"),
    "loss_carried_forward_vnd": ("Lỗ chuyển sang (VND)", "Loss carried forward (VND)"),
    "loss_years": ("Các năm lỗ", "Loss years"),
    "losses_in_run_vnd": ("Tổng lỗ trong chuỗi (VND)", "Losses in the run (VND)"),
    "max_fee_share": ("Ngưỡng tỷ lệ phí", "Fee share threshold"),
    "max_in_use_share": ("Ngưỡng tỷ lệ đất sử dụng", "In-use share threshold"),
    "min_contributed_share": ("Tỷ lệ góp vốn tối thiểu", "Minimum contributed share"),
    "min_idle_months": ("Số tháng bỏ trống tối thiểu", "Minimum idle months"),
    "min_loss_years": ("Số năm lỗ tối thiểu", "Minimum loss years"),
    "min_rising_months": ("Số tháng nợ tăng tối thiểu", "Minimum rising months"),
    "min_silent_months": ("Số tháng không hoạt động tối thiểu", "Minimum silent months"),
    "non_deductible_interest_vnd": ("Lãi vay không được trừ (VND)", "Non-deductible interest (VND)"),
    "peak_arrears_vnd": ("Nợ BHXH cao nhất (VND)", "Peak arrears (VND)"),
    "peer_margin_median": ("Trung vị tỷ suất của nhóm so sánh", "Peers' median margin"),
    "peer_margin_p35": ("Phân vị 35 của nhóm so sánh", "Peers' 35th percentile"),
    "peer_margin_p75": ("Phân vị 75 của nhóm so sánh", "Peers' 75th percentile"),
    "peers": ("Số doanh nghiệp so sánh", "Peers"),
    "profit_before_tax_vnd": ("Lợi nhuận trước thuế (VND)", "Profit before tax (VND)"),
    "project_code": ("Mã dự án", "Project code"),
    "projects": ("Dự án", "Projects"),
    "quarantined_contributions_usd": ("Khoản góp vốn bị cách ly (USD)", "Quarantined contributions (USD)"),
    "related_parties": ("Bên liên kết", "Related parties"),
    "related_party_interest_or_loans": ("Khoản vay, lãi vay liên kết", "Related-party loans or interest"),
    "related_party_interest_or_loans_vnd": ("Khoản vay, lãi vay liên kết (VND)", "Related-party loans or interest (VND)"),
    "related_party_transactions_vnd": ("Giao dịch liên kết (VND)", "Related-party transactions (VND)"),
    "related_party_vnd": ("Giao dịch liên kết trong năm (VND)", "Related-party transactions of the year (VND)"),
    "repatriated_usd": ("Lợi nhuận chuyển ra (USD)", "Repatriated (USD)"),
    "repatriated_vnd": ("Lợi nhuận chuyển ra (VND)", "Repatriated (VND)"),
    "revenue_first_loss_year_vnd": ("Doanh thu năm lỗ đầu (VND)", "Revenue in the first loss year (VND)"),
    "revenue_vnd": ("Doanh thu (VND)", "Revenue (VND)"),
    "rising_months": ("Số tháng nợ tăng", "Months of rising arrears"),
    "royalties_vnd": ("Phí bản quyền (VND)", "Royalties (VND)"),
    "safe_harbour_margin": ("Tỷ suất an toàn", "Safe-harbour margin"),
    "service_fees_vnd": ("Phí dịch vụ (VND)", "Service fees (VND)"),
    "shortfall_usd": ("Số vốn còn thiếu (USD)", "Shortfall (USD)"),
    "signs": ("Dấu hiệu", "Signs"),
    "silent_months": ("Số tháng không hoạt động", "Silent months"),
    "start_year": ("Năm bắt đầu hoạt động (muộn nhất theo dữ liệu)", "Year operations began (the latest the data allow)"),
    "transfers": ("Các khoản chuyển tiền", "Transfers"),
    "vsic_division": ("Ngành VSIC (cấp 2)", "VSIC division"),
    "years_in_run": ("Số năm trong chuỗi", "Years in the run"),
}


# The rules write their threshold in English (models/risk/rules/*.sql), built
# from a template whose {RULE.parameter} stands for a value of
# seeds/thresholds.csv and {RULE.parameter%} for it as a percentage (dbt macro
# threshold_sentence). The Vietnamese reading has the same placeholders, filled
# from the same file, so no threshold is retyped here. Keyed by the exact
# sentence, so a rule whose wording changes shows its own words rather than a
# stale translation.
THRESHOLD_TEMPLATES = {
    "related-party unit price above the {TP01.percentile_high%}th percentile of unrelated imports (Decree 132/2020 Art. 7.3)":
        "Đơn giá nhập khẩu từ bên liên kết cao hơn phân vị {TP01.percentile_high%} của hàng nhập khẩu độc "
        "lập (Nghị định 132/2020, Điều 7.3)",
    "related-party unit price below the {TP02.percentile_low%}th percentile of unrelated exports (Decree 132/2020 Art. 7.3)":
        "Đơn giá xuất khẩu cho bên liên kết thấp hơn phân vị {TP02.percentile_low%} của hàng xuất khẩu độc "
        "lập (Nghị định 132/2020, Điều 7.3)",
    "operating loss in {TP03.min_loss_years} or more consecutive fiscal years after the start-up years (the year "
    "operations began and the {TP04.startup_years#} after it: the first year with revenue after returns without any, "
    "else the year of the first certificate, or the next for a certificate of its last "
    "{TP04.max_incorporation_days#} days, plus up to {TP04.max_construction_years#} years of building) while "
    "revenue grows or capital is added, related-party transactions >= {TP04.min_related_share%} % of revenue":
        "Lỗ hoạt động từ {TP03.min_loss_years} năm tài chính liên tiếp trở lên sau các năm khởi nghiệp (năm bắt đầu "
        "hoạt động và {TP04.startup_years#} năm sau đó: năm đầu có doanh thu sau các năm quyết toán không có doanh "
        "thu, nếu không thì năm cấp giấy chứng nhận đầu tiên, hoặc năm sau đó nếu giấy cấp trong "
        "{TP04.max_incorporation_days#} ngày cuối năm, cộng tối đa {TP04.max_construction_years#} năm xây dựng) "
        "trong khi doanh thu tăng hoặc vốn được bổ sung, giao dịch liên kết từ {TP04.min_related_share%} % doanh thu",
    "operating loss below the {TP04.percentile_low%}th percentile of VSIC-division peers and the Decree 132 Art. 19.2(b) safe harbour, "
    "sustained (the year before a loss below its range too, the weighted average of up to {TP04.comparison_years#} years below the "
    "peers' same average), revenue not down more than {TP04.max_revenue_fall%} %, related-party "
    "transactions >= {TP04.min_related_share%} % of revenue":
        "Lỗ hoạt động thấp hơn phân vị {TP04.percentile_low%} của doanh nghiệp cùng ngành VSIC cấp 2 và thấp "
        "hơn mức an toàn của Nghị định 132, "
        "Điều 19.2(b), kéo dài (năm trước cũng lỗ dưới khoảng so sánh, bình quân gia quyền tối đa "
        "{TP04.comparison_years} năm thấp hơn bình quân "
        "của doanh nghiệp so sánh), doanh thu không giảm quá {TP04.max_revenue_fall%} %, giao dịch liên kết "
        "từ {TP04.min_related_share%} % doanh thu",
    "net interest above {TP05.interest_cap_share%} % of EBITDA (Decree 132/2020 Art. 16.3)":
        "Chi phí lãi vay thuần vượt {TP05.interest_cap_share%} % EBITDA (Nghị định 132/2020, Điều 16.3)",
    "related-party royalties and service fees above {TP06.max_fee_share%} % of revenue in a loss year":
        "Phí bản quyền và phí dịch vụ trả bên liên kết vượt {TP06.max_fee_share%} % doanh thu trong năm lỗ",
    "profit repatriated in a loss year or with losses carried forward (Law on Investment 2020 Art. 12)":
        "Chuyển lợi nhuận ra nước ngoài trong năm lỗ hoặc khi còn lỗ lũy kế (Luật Đầu tư 2020, Điều 12)",
    "foreign capital contributed below charter capital x foreign ownership by the deadline "
    "(Law on Enterprises 2020 Art. 47, 75)":
        "Vốn góp của nhà đầu tư nước ngoài thấp hơn vốn điều lệ × tỷ lệ sở hữu nước ngoài khi đã quá hạn góp "
        "(Luật Doanh nghiệp 2020, Điều 47, 75)",
    "status active with expires_on before the snapshot month (Law on Investment 2020 Art. 48.2)":
        "Dự án vẫn ở trạng thái hoạt động sau ngày hết hạn (Luật Đầu tư 2020, Điều 48.2)",
    "no tax, customs, labour or fx activity for {REG02.min_silent_months} consecutive months with an active project "
    "(Law on Investment 2020 Art. 48.2(d))":
        "Không phát sinh dữ liệu thuế, hải quan, lao động hay ngoại hối {REG02.min_silent_months} tháng liên "
        "tiếp trong khi dự án vẫn hoạt động "
        "(Luật Đầu tư 2020, Điều 48.2(d))",
    "social-insurance arrears rising {ABS01.min_rising_months} consecutive months plus a stoppage owner_absconded, a capital outflow or "
    "tax payments stopping":
        "Nợ bảo hiểm xã hội tăng {ABS01.min_rising_months} tháng liên tiếp kèm chủ doanh nghiệp bỏ trốn, chuyển vốn ra nước ngoài hoặc "
        "ngừng nộp thuế",
    "less than {LAND01.max_in_use_share%} % of the leased area in use for {LAND01.min_idle_months} "
    "months elapsed between snapshots, none showing use "
    "(Land Law 2013 Art. 64.1(i))":
        "Dưới {LAND01.max_in_use_share%} % diện tích thuê được sử dụng suốt {LAND01.min_idle_months} tháng "
        "tính theo ngày của các kỳ số liệu, không kỳ nào cho thấy "
        "đất được sử dụng (Luật Đất đai 2013, Điều 64.1(i))",
    "at least {NOM01.min_signs#} kinds of sign of foreign control (manager, money, premises, trade) in a year, "
    "with no foreign ownership in the register":
        "Ít nhất {NOM01.min_signs} loại dấu hiệu kiểm soát của nước ngoài (người quản lý, dòng tiền, mặt bằng, thương mại) trong một "
        "năm, trong khi đăng ký đầu tư không có sở hữu nước ngoài",
    "dealings with a party the network shows as related (investor, ultimate parent, group member) "
    "that the year's related-party disclosure does not name (Decree 132/2020 Art. 18.1)":
        "Giao dịch với một bên mà mạng lưới doanh nghiệp cho thấy là bên liên kết (nhà đầu tư, công ty mẹ cuối cùng, "
        "thành viên tập đoàn) nhưng tờ khai giao dịch liên kết của năm không nêu tên (Nghị định 132/2020, Điều 18.1)",
}



THRESHOLDS_CSV = DBT_PROJECT_DIR / "seeds" / "thresholds.csv"
_PLACEHOLDER = re.compile(r"\{([A-Z0-9]+\.[a-z_]+)([%#]?)\}")
_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def _plain(number: Decimal) -> str:
    """As PostgreSQL's trim_scale(value)::text writes it: 0.30 -> 0.3, 30.00 -> 30."""
    return format(number.normalize(), "f")


@functools.cache
def threshold_values() -> dict[str, Decimal]:
    """The seed's thresholds the rules were built with, by 'RULE.parameter'."""
    with THRESHOLDS_CSV.open(encoding="utf-8", newline="") as f:
        return {f"{r['rule_code']}.{r['parameter']}": Decimal(r["value"]) for r in csv.DictReader(f)}


def threshold(rule_code: str, parameter: str) -> Decimal:
    """One threshold of the seed, as the dbt macro threshold() reads it."""
    return threshold_values()[f"{rule_code}.{parameter}"]


@functools.cache
def thresholds_vi() -> dict[str, str]:
    """The rules' English threshold sentences, as the seed's values make them, and their Vietnamese readings."""
    values = threshold_values()

    def fill(template: str, decimal_comma: bool) -> str:
        def one(m: re.Match) -> str:
            value = values[m.group(1)]
            if m.group(2) == "#" and not decimal_comma and value == value.to_integral_value() and 1 <= value <= 12:
                return _WORDS[int(value) - 1]  # as the macro threshold_sentence spells it in English
            text = _plain(value * (100 if m.group(2) == "%" else 1))
            return text.replace(".", ",") if decimal_comma else text
        return _PLACEHOLDER.sub(one, template)

    return {fill(en, False): fill(vi, True) for en, vi in THRESHOLD_TEMPLATES.items()}


def _label(key: str, lang: str) -> str:
    return i18n.pick(LABELS[key], lang) if key in LABELS else key.replace("_", " ")


# A gap a rule states in its evidence: 'YYYY-MM rejected' (marts.dataset_coverage's period and status).
_GAP = re.compile(r"^(\d{4}(?:-\d{2})?) (" + "|".join(s for s in i18n.COVERAGE_STATUS if s != "complete") + ")$")


def _value(value, lang: str) -> str:
    if isinstance(value, str) and (gap := _GAP.match(value)):
        return f"{gap.group(1)} ({i18n.label(i18n.COVERAGE_STATUS, gap.group(2), lang)})"
    if value == []:
        return "không có" if lang == "vi" else "none"  # an empty list of gaps: none, not a figure unknown
    if isinstance(value, bool):
        return ("có" if value else "không") if lang == "vi" else ("yes" if value else "no")
    if isinstance(value, int):
        return i18n.number(value, lang)
    if isinstance(value, float):
        return i18n.number(value, lang, decimals=0 if abs(value) >= 1000 else (2 if abs(value) >= 1 else 4))
    if value is None:
        return "—"
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        # A record seen in many months (a loan's monthly snapshots) is one key, told once with its count:
        # listed twelve times it widened NOM01's page to 2,573 px.
        counts = Counter(_value(v, lang) for v in value)
        return ", ".join(text if n == 1 else f"{text} (×{n})" for text, n in counts.items())
    return str(value)


def _is_share(key: str) -> bool:
    return key.endswith(("_share", "_margin", "share_of_revenue", "share_of_ebitda")) or key.startswith("peer_margin")


def _is_year(key: str) -> bool:
    return key == "year" or key.endswith("_year")


def _shown(key: str, value, lang: str) -> str:
    if _is_share(key) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return i18n.number(value * 100, lang, decimals=1) + " %"
    if _is_year(key) and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a year, not an amount: 2018, never "2.018"
    return _value(value, lang)


def evidence_rows(evidence: dict, lang: str) -> dict:
    """{'fields': [(label, value)], 'tables': [(label, header, rows)]}: scalars first, lists of objects as tables."""
    fields, tables = [], []
    for key, value in evidence.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            keys = list(dict.fromkeys(k for item in value for k in item))
            # REL01 counts its records, NOM01 lists their keys under the same name: say which one it is
            listed = {k for item in value for k, v in item.items() if isinstance(v, list)}
            tables.append((_label(key, lang), [_label("record_keys" if k == "records" and k in listed else k, lang)
                                               for k in keys],
                           [[_shown(k, item.get(k), lang) for k in keys] for item in value]))
        elif isinstance(value, dict):
            for k, v in value.items():
                fields.append((f"{_label(key, lang)} · {_label(k, lang)}", _shown(k, v, lang)))
        elif key == "threshold" and lang == "vi" and value in thresholds_vi():
            fields.append((_label(key, lang), thresholds_vi()[value]))
        else:
            fields.append((_label(key, lang), _shown(key, value, lang)))
    return {"fields": fields, "tables": tables}
