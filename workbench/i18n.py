"""Vietnamese by default, English on one click; numbers and dates in Vietnamese format.

Vietnamese writes 1.234.567,8 (dot for thousands, comma for decimals) and
dates as dd/mm/yyyy (TCVN, and what the tax and customs departments use).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

TEXT: dict[str, tuple[str, str]] = {
    # key: (vi, en)
    "app_title": ("Bàn làm việc giám sát FDI", "FDI monitoring workbench"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "username": ("Tên đăng nhập", "Login"),
    "password": ("Mật khẩu", "Password"),
    "login_failed": ("Đăng nhập không thành công: máy chủ cơ sở dữ liệu từ chối tên đăng nhập hoặc mật khẩu.",
                     "Login failed: the database server refused this login or password."),
    "login_throttled": ("Tên đăng nhập này đã nhập sai mật khẩu nhiều lần; hãy thử lại sau {minutes} phút.",
                        "Too many failed logins for this name; try again in {minutes} minute(s)."),
    "db_unreachable": ("Không kết nối được tới kho dữ liệu; hãy thử lại sau.",
                       "The warehouse cannot be reached; try again later."),
    "csrf_refused": ("Biểu mẫu đã hết hạn hoặc không hợp lệ; hãy tải lại trang và thử lại.",
                     "This form has expired or is not valid; reload the page and try again."),
    "no_risk_access": ("Tài khoản của bạn không có quyền xem dữ liệu cảnh báo rủi ro.",
                       "Your login is not allowed to see the risk flags."),
    "no_audit_access": ("Tài khoản của bạn không có quyền xem nhật ký giao nhận dữ liệu.",
                        "Your login is not allowed to see the delivery audit."),
    "not_found": ("Không tìm thấy trang này.", "This page does not exist."),
    "not_built": ("Kho dữ liệu chưa được dựng (chạy `fdi run` trước).", "The warehouse is not built yet (run `fdi run` first)."),
    "not_built_kept": ("Chưa ghi: kho dữ liệu đang được dựng lại hoặc chưa được dựng, nên không nhận được quyết định "
                       "của bạn. Quyết định đó được giữ lại: hãy mở lại trang cảnh báo sau ít phút, nó sẽ được điền "
                       "lại để bạn ghi.",
                       "Not recorded: the warehouse is being rebuilt or is not built yet, so it could not take your "
                       "decision. The decision is kept: open the flag's page again in a few minutes, and it will be "
                       "filled in for you to record."),
    "db_unreachable_kept": ("Chưa ghi: không kết nối được tới kho dữ liệu. Quyết định của bạn được giữ lại: hãy mở "
                            "lại trang cảnh báo sau ít phút, nó sẽ được điền lại để bạn ghi.",
                            "Not recorded: the warehouse cannot be reached. Your decision is kept: open the flag's "
                            "page again in a few minutes, and it will be filled in for you to record."),
    "open_flag_again": ("Mở lại trang cảnh báo", "Open the flag's page again"),
    "draft_restored_unavailable": ("Chưa ghi: kho dữ liệu đã không nhận được quyết định này khi bạn gửi. Quyết định "
                                   "bạn đã nhập vẫn ở dưới đây; hãy xem lại nó và lịch sử xem xét, rồi ghi lại.",
                                   "Not recorded: the warehouse could not take this decision when you sent it. What "
                                   "you entered is filled in below: check it and the review history, then record it "
                                   "again."),
    "queue": ("Hàng đợi cảnh báo", "Flag queue"),
    "coverage": ("Độ phủ dữ liệu", "Data coverage"),
    "enterprise": ("Doanh nghiệp", "Enterprise"),
    "rule": ("Quy tắc", "Rule"),
    "year": ("Năm", "Year"),
    "zone": ("Khu công nghiệp", "Industrial zone"),
    "severity": ("Mức độ", "Severity"),
    "status": ("Trạng thái", "Status"),
    "reviewer": ("Người xem xét", "Reviewer"),
    "all": ("Tất cả", "All"),
    "filter": ("Lọc", "Filter"),
    "clear": ("Xoá bộ lọc", "Clear"),
    "rank": ("Hạng", "Rank"),
    "period": ("Kỳ", "Period"),
    "summary": ("Tóm tắt", "Summary"),
    "amount_at_stake": ("Số tiền liên quan (VND)", "Amount at stake (VND)"),
    "score": ("Điểm", "Score"),
    "latest_decision": ("Quyết định gần nhất", "Latest decision"),
    "export_csv": ("Xuất CSV", "Export CSV"),
    "export_xlsx": ("Xuất Excel", "Export XLSX"),
    "page": ("Trang", "Page"),
    "of": ("trên", "of"),
    "previous": ("‹ Trước", "‹ Previous"),
    "next": ("Sau ›", "Next ›"),
    "flags_found": ("cảnh báo", "flags"),
    "enterprise_waiting": ("Chưa thể kết luận, chờ dữ liệu còn thiếu:",
                           "Not yet judged, waiting for data:"),
    "held_in_quarantine": ("có dòng bị cách ly", "rows held in quarantine"),
    "judgements_waiting": ("Chưa thể kết luận, chờ dữ liệu còn thiếu của các kỳ sau (số trường hợp có thể là "
                           "cảnh báo):",
                           "Not yet judged, waiting for the data of these periods (possible findings):"),
    "no_flags": ("Không có cảnh báo nào khớp bộ lọc.", "No flag matches these filters."),
    "no_flags_of_enterprise": ("Doanh nghiệp chưa có cảnh báo nào.", "No flag for this enterprise."),
    "evidence": ("Bằng chứng", "Evidence"),
    "item": ("Chỉ tiêu", "Item"),
    "value": ("Giá trị", "Value"),
    "price_chart": ("Khoảng giá của các giao dịch độc lập so sánh và giá của doanh nghiệp",
                    "Range of the comparables' prices and the enterprise's price"),
    "chart_legend": ("Thanh: khoảng phân vị 35–75; vạch: trung vị; chấm đỏ: giá giao dịch liên kết của doanh nghiệp.",
                     "Bar: 35th–75th percentile range; tick: median; red dot: the enterprise's related-party price."),
    "chart_legend_ci": ("Ngoặc dưới vạch: khoảng tin cậy 95 % của trung vị; tính ở cận gần giá của doanh nghiệp, "
                        "phần chênh lệch của hàng này dưới ngưỡng trọng yếu.",
                        "Bracket under the tick: the median's 95 % confidence interval; measured at its bound "
                        "nearer the price, this good's shift is below the materiality threshold."),
    "median_ci": ("Khoảng tin cậy 95 % của trung vị", "Median's 95 % confidence interval"),
    "source_records": ("Dữ liệu nguồn", "Source records"),
    "agency": ("Cơ quan", "Agency"),
    "dataset": ("Bộ dữ liệu", "Dataset"),
    "delivery": ("Lần giao", "Delivery"),
    "records": ("Số bản ghi", "Records"),
    "coverage_of_period": ("Dữ liệu đang có hiệu lực cho kỳ này", "Deliveries in force for this period"),
    "coverage_from_marts": ("Theo bảng độ phủ marts.dataset_coverage.", "From marts.dataset_coverage."),
    "coverage_from_records": ("Theo các bản ghi của doanh nghiệp trong kỳ (bạn không có quyền đọc nhật ký giao nhận): "
                              "một tháng thiếu có thể là tháng doanh nghiệp không phát sinh bản ghi.",
                              "From the enterprise's own records in the period (your login may not read the delivery "
                              "audit): a missing month may be a month with no record of this enterprise."),
    "coverage_from_audit": ("Theo nhật ký giao nhận (audit.deliveries): các lần giao đang có hiệu lực.",
                            "From the delivery audit (audit.deliveries): the deliveries in force."),
    "periods_in_force": ("Kỳ có dữ liệu", "Periods with data"),
    "missing_periods": ("Kỳ thiếu", "Missing periods"),
    "median": ("trung vị", "median"),
    "history": ("Lịch sử xem xét", "Review history"),
    "no_history": ("Chưa có quyết định nào.", "No decision yet."),
    # flags no rule raises any more (risk.flag_withdrawals): their decisions are kept and shown
    "withdrawn_title": ("Cảnh báo không còn được nêu", "Flags no longer raised"),
    "earlier_title": ("Đã quyết định trước đây", "Decided before"),
    "earlier_hint": ("Cảnh báo cùng quy tắc về doanh nghiệp này đã được xem xét nhưng không còn được nêu (kỳ "
                     "dịch chuyển khi dữ liệu được giao lại, hoặc quy tắc có phiên bản mới). Quyết định vẫn "
                     "nằm ở cảnh báo cũ; cảnh báo này cần quyết định riêng.",
                     "A flag of the same rule on this enterprise was reviewed and is no longer raised (its "
                     "period moved when data were re-delivered, or the rule has a new version). The decision "
                     "stays on the old flag; this one needs its own."),
    "withdrawn_badge": ("Không còn được nêu", "No longer raised"),
    "withdrawn_line": ("{n} cảnh báo không còn được nêu, {d} trong số đó đã có quyết định (các quyết định vẫn được "
                       "lưu).",
                       "Flags no longer raised: {n}, {d} of them with a decision (the decisions are kept)."),
    "see_them": ("Xem", "See them"),
    "withdrawn_hint": ("Các cảnh báo không còn quy tắc nào nêu, như lần cuối được nêu; cảnh báo đã có quyết định "
                       "được xếp trước. Một cảnh báo được nêu lại sẽ trở về hàng đợi.",
                       "Flags no rule raises any more, as they were last raised; those with a decision first. A "
                       "flag raised again returns to the queue."),
    "withdrawn_notice": ("Không quy tắc nào còn nêu cảnh báo này kể từ {date}: dữ liệu làm căn cứ đã thay đổi (dữ "
                         "liệu giao muộn hoặc đính chính), hoặc phiên bản mới của quy tắc không còn phát hiện. Cảnh "
                         "báo được hiển thị như lần cuối được nêu; các quyết định về nó vẫn được lưu, nhưng không thể "
                         "ghi thêm quyết định.",
                         "No rule has raised this flag since {date}: the data it stood on changed (a late or "
                         "corrected delivery), or a new version of the rule no longer finds it. It is shown as it "
                         "was last raised; the decisions on it are kept, and no new decision can be recorded."),
    "flag_withdrawn": ("Chưa ghi: cảnh báo này không còn được nêu kể từ khi trang được mở. Ghi chú của bạn vẫn còn "
                       "bên dưới.",
                       "Not recorded: this flag was withdrawn after the page was opened. Your note is kept below."),
    "unrecorded_note": ("Ghi chú chưa được ghi", "Your note, not recorded"),
    "raised_now": ("Cảnh báo đang được nêu với doanh nghiệp này", "Flags raised now for this enterprise"),
    "withdrawn_since": ("Không còn nêu từ", "No longer raised since"),
    "rule_version": ("Phiên bản quy tắc", "Rule version"),
    "no_decision": ("Chưa có quyết định", "No decision"),
    "no_withdrawn": ("Không có cảnh báo nào bị rút.", "No flag has been withdrawn."),
    "decided_at": ("Thời điểm", "When"),
    "decided_by": ("Tài khoản", "Login"),
    "note": ("Ghi chú", "Note"),
    "decision": ("Quyết định", "Decision"),
    "record_decision": ("Ghi quyết định", "Record decision"),
    "note_required": ("Cần ghi chú khi xác nhận hoặc bác bỏ cảnh báo.", "A note is required to confirm or dismiss."),
    "decision_saved": ("Đã ghi quyết định.", "Decision recorded."),
    "decided_meanwhile": ("Chưa ghi: sau khi bạn mở trang này, một quyết định khác đã được ghi cho cảnh báo "
                          "(xem lịch sử xem xét). Quyết định của bạn vẫn ở dưới đây; hãy xem lại rồi ghi lại.",
                          "Not recorded: another decision on this flag was recorded after you opened this page (see "
                          "the review history). Yours is still filled in below: check it, then record it again."),
    "draft_restored_session_ended": ("Chưa ghi: phiên làm việc đã hết trước khi quyết định được gửi. Quyết định "
                                     "bạn đã nhập vẫn ở dưới đây; hãy xem lại rồi ghi lại.",
                                     "Not recorded: your session ended before the decision reached the warehouse. "
                                     "What you entered is filled in below: check it, then record it again."),
    "session_ended": ("Phiên làm việc đã hết. Hãy đăng nhập lại; quyết định bạn đang nhập chưa được ghi và sẽ "
                      "được điền lại trên trang cảnh báo.",
                      "Your session has ended. Log in again: the decision you were entering is not recorded yet, "
                      "and will be filled in again on the flag's page."),
    "session_ended_not_kept": ("Phiên làm việc đã hết trước khi quyết định được gửi, và quyết định đó không được "
                               "giữ lại (chưa ghi). Hãy đăng nhập lại rồi nhập lại quyết định.",
                               "Your session ended before the decision was sent, and the decision was not kept "
                               "(not recorded). Log in again, then enter it again."),
    "session_expired": ("Phiên làm việc đã hết (không hoạt động quá lâu hoặc máy chủ đã khởi động lại). "
                        "Hãy đăng nhập lại.",
                        "Your session has ended (idle too long, or the server restarted). Log in again."),
    "decision_refused": ("Kho dữ liệu từ chối ghi quyết định: tài khoản của bạn không có quyền này.",
                         "The warehouse refused the decision: your login may not record it."),
    "bad_status": ("Trạng thái không hợp lệ.", "Not a valid status."),
    "awaiting_hint": ("Cảnh báo mức cao chỉ được tính là xác nhận khi hai tài khoản khác nhau cùng xác nhận.",
                      "A high flag counts as confirmed only when two different logins confirm it."),
    "already_confirmed_by_you": ("Bạn đã xác nhận cảnh báo này; cần một người khác xác nhận lần hai.",
                                 "You have confirmed this flag; a second, different reviewer must confirm it."),
    "confirmed_by": ("Đã xác nhận bởi", "Confirmed by"),
    "identity": ("Thông tin định danh", "Identity"),
    "tax_code": ("Mã số thuế", "Tax code"),
    "name_vi": ("Tên tiếng Việt", "Vietnamese name"),
    "name_en": ("Tên tiếng Anh", "English name"),
    "vsic": ("Ngành (VSIC)", "Industry (VSIC)"),
    "country": ("Quốc gia nhà đầu tư", "Investor country"),
    "foreign_share": ("Tỷ lệ sở hữu nước ngoài (%)", "Foreign ownership (%)"),
    "names_by_agency": ("Tên theo từng cơ quan", "Names each agency uses"),
    "name": ("Tên", "Name"),
    "match_method": ("Cách ghép", "Match method"),
    "by_year": ("Số liệu theo năm", "Figures by year"),
    "year_complete": ("Đủ dữ liệu cả năm", "Whole year's data"),
    "yes": ("có", "yes"),
    "no_partial": ("không (số liệu chưa đủ)", "no (partial figures)"),
    "records_quarantined": ("Bản ghi bị giữ lại (cách ly)", "Records held back (quarantine)"),
    "year_complete_hint": ("Một năm chưa đủ khi có bộ dữ liệu thiếu tháng (bị từ chối, chưa giao, chưa đến hạn) hoặc "
                           "có bản ghi của doanh nghiệp bị giữ lại khi nạp: các số liệu của năm đó có thể thấp hơn "
                           "thực tế (marts.fct_enterprise_year.is_complete).",
                           "A year is partial when a dataset lacks months (rejected, not delivered, not yet due) or "
                           "records of this enterprise were held back at load: its figures may be short "
                           "(marts.fct_enterprise_year.is_complete)."),
    "figure_partial_months": ("{n}/12 tháng của bộ dữ liệu có hiệu lực", "{n} of 12 months of its dataset in force"),
    "figure_partial_year": ("tờ khai thuế TNDN của năm chưa có hiệu lực", "the year's CIT returns not in force"),
    "figure_partial_year_end": ("ảnh chụp tháng 12 của năm chưa có hiệu lực: số liệu lấy từ ảnh chụp gần nhất",
                                "the year's December snapshot not in force: the figure is the latest snapshot's"),
    "figure_partial_hint": ("Dấu * đánh dấu số liệu chưa đủ: dữ liệu nó đọc chưa phủ cả năm (thiếu tháng, chưa có "
                            "quyết toán, chưa có ảnh chụp tháng 12), hoặc có bản ghi của doanh nghiệp mà nó đọc bị "
                            "giữ lại (di chuột để xem lý do); số liệu không có dấu * là đủ.",
                            "A * marks a partial figure: what it reads does not cover the year (months, the CIT "
                            "return, December's snapshot), or records of this enterprise it reads were held back "
                            "(hover for which); a figure without one is whole."),
    "flags_and_decisions": ("Cảnh báo và quyết định", "Flags and decisions"),
    "open_flag": ("Mở", "Open"),
    "deliveries": ("Lần giao dữ liệu", "Deliveries"),
    "coverage_hint": ("Mỗi ô: trạng thái lần giao đang có hiệu lực của bộ dữ liệu trong kỳ.",
                      "Each cell: the status of the dataset's delivery in force for the period."),
    "language_other": ("English", "Tiếng Việt"),
    "signed_in_as": ("Đăng nhập:", "Signed in as"),
    "none": ("—", "—"),
    "back_to_queue": ("‹ Quay lại hàng đợi", "‹ Back to the queue"),
    "first_detected": ("Phát hiện lần đầu", "First detected"),
    "flag": ("Cảnh báo", "Flag"),
    "four_eyes": ("Nguyên tắc bốn mắt", "Four-eyes"),
    # the records behind a finding (workbench/records_behind/)
    "back_to_flag": ("‹ Quay lại cảnh báo", "‹ Back to the flag"),
    "customs_lines": ("Các dòng tờ khai hải quan đứng sau phát hiện", "The customs lines behind the finding"),
    "capital_contributions": ("Các khoản góp vốn trong thời hạn góp vốn", "The capital contributions within the deadline"),
    "see_customs_lines": ("Xem {n} dòng tờ khai giao dịch liên kết mà quy tắc đã đọc",
                          "See the {n} related-party declaration lines the rule read"),
    "see_capital_contributions": ("Xem các khoản góp vốn đã ghi nhận trong thời hạn",
                                  "See the contributions recorded within the deadline"),
    "customs_lines_hint": ("Các dòng tờ khai nhập khẩu/xuất khẩu cho bên liên kết của doanh nghiệp trong năm tài chính "
                           "(lần giao đang có hiệu lực của từng tháng), đúng các dòng quy tắc đã đọc. Giá trị chuyển: "
                           "chênh lệch so với trung vị của hàng độc lập (như bằng chứng làm tròn), cộng lại bằng giá "
                           "trị ước tính chuyển ra nước ngoài. Trên trang: {shown} dòng chuyển nhiều nhất mỗi mã hàng; "
                           "tệp tải về có tất cả.",
                           "The enterprise's related-party import/export lines of the fiscal year (each month's "
                           "delivery in force): the very lines the rule read. Value moved: the difference from the "
                           "unrelated goods' median (as the evidence rounds it); they add up to the value estimated "
                           "to have moved abroad. On the page: the {shown} lines that moved the most per good; the "
                           "download has every one."),
    "capital_contributions_hint": ("Các khoản chuyển vào loại góp vốn trên mã số thuế của doanh nghiệp, từ ngày cấp "
                                   "đến hạn góp vốn của từng dự án (marts.fct_capital_flows): đúng các khoản quy tắc "
                                   "đã cộng.",
                                   "Inflows of type capital contribution on the enterprise's tax code, from each "
                                   "project's issue date to its capital deadline (marts.fct_capital_flows): the very "
                                   "transactions the rule added up."),
    "repatriations": ("Các khoản chuyển lợi nhuận ra nước ngoài trong năm", "The year's profit repatriations"),
    "see_repatriations": ("Xem {n} khoản chuyển lợi nhuận ra nước ngoài mà quy tắc đã đếm",
                          "See the {n} profit repatriations the rule counted"),
    "repatriations_hint": ("Các khoản chuyển ra loại chuyển lợi nhuận trên mã số thuế của doanh nghiệp, theo ngày giá "
                           "trị trong năm (marts.fct_capital_flows): đúng các khoản quy tắc đã đếm.",
                           "Outflows of type profit repatriation on the enterprise's tax code, by value date in the "
                           "year (marts.fct_capital_flows): the very transfers the rule counted."),
    "undisclosed_dealings": ("Các bản ghi giao dịch với bên liên kết không kê khai",
                             "The records of the dealings with undisclosed related parties"),
    "see_undisclosed_dealings": ("Xem {n} bản ghi giao dịch với bên liên kết không kê khai mà quy tắc đã tính",
                                 "See the {n} records of undisclosed related-party dealings the rule counted"),
    "undisclosed_dealings_hint": ("Theo từng bên liên kết không kê khai: các dòng tờ khai hải quan, các khoản "
                                  "giải ngân, trả nợ và trả lãi vay qua ngoại hối trong năm, và các khoản vay còn dư "
                                  "nợ (mỗi khoản một dòng, ở kỳ dư nợ cao nhất trong năm) có bên đối ứng mang một "
                                  "trong các tên như ghi trong bằng chứng: đúng các bản ghi quy tắc đã tính. Giá "
                                  "trị (VND) cộng lại bằng giá trị không kê khai; dư nợ không phải là giao dịch "
                                  "trong năm nên không được cộng. Trên trang: {shown} bản ghi lớn nhất mỗi bên; "
                                  "tệp tải về có tất cả.",
                                  "Per undisclosed related party: the customs lines, the fx loan drawdowns, "
                                  "repayments and interest of the year, and the loans outstanding (one row each, at "
                                  "the snapshot of its greatest balance of the year) whose counterparty bears one of "
                                  "the names as written in the evidence: the very records the rule counted. Their "
                                  "amounts (VND) add up to the undisclosed value; a balance is no dealing of the "
                                  "year and is not added. On the page: the {shown} largest records per party; the "
                                  "download has every one."),
    "no_contribution": ("Không có khoản góp vốn nào được ghi nhận trong thời hạn.",
                        "No contribution was recorded within the deadline."),
    "lines_shown": ("Hiển thị {shown} trên {n} dòng; tải về để xem tất cả.",
                    "Showing {shown} of {n} lines; download them for all."),
    "download": ("Tải về", "Download"),
    "records_none": ("Quy tắc này không có danh sách bản ghi riêng.", "This rule has no list of records."),
    "tax_returns": ("Các tờ khai quyết toán thuế TNDN quy tắc đã đọc", "The CIT returns the rule read"),
    "see_tax_returns": ("Xem {n} tờ khai quyết toán thuế TNDN mà quy tắc đã đọc",
                        "See the {n} CIT returns the rule read"),
    "see_tax_returns_and_loans": ("Xem các tờ khai quyết toán thuế TNDN và khoản vay nước ngoài mà quy tắc đã đọc",
                                  "See the CIT returns and foreign loans the rule read"),
    "tax_returns_hint": ("Tờ khai đang có hiệu lực của từng năm quy tắc đã đọc (marts.fct_tax_returns), với các "
                         "số liệu như quy tắc tính: lợi nhuận hoạt động (EBIT) = doanh thu − giá vốn − chi phí hoạt "
                         "động; EBITDA = lợi nhuận trước thuế + lãi vay + khấu hao. TP03: các năm lỗ liên tiếp, EBIT "
                         "cộng lại bằng tổng lỗ, và các khoản góp vốn trong các năm đó. TP04: các năm so sánh, tổng "
                         "EBIT trên tổng doanh thu là tỷ suất bình quân gia quyền. TP05: các năm so sánh (EBITDA cao "
                         "nhất là năng lực trả lãi) và các khoản vay từ bên cho vay nước ngoài trong năm, mỗi khoản "
                         "một dòng ở kỳ dư nợ cao nhất; tờ khai giao dịch liên kết (vay, lãi) không thuộc lược đồ "
                         "công khai nào, chỉ có trong bằng chứng.",
                         "Each year's return in force that the rule read (marts.fct_tax_returns), with the figures "
                         "as the rule computes them: EBIT = revenue − cost of goods − operating expenses; EBITDA = "
                         "profit before tax + interest + depreciation. TP03: the loss years of the run, whose EBIT "
                         "adds up to the losses, and the capital contributions of those years. TP04: the comparison "
                         "years, whose EBIT over their revenue is the weighted margin. TP05: the comparison years "
                         "(the greatest EBITDA is the earning capacity) and the year's loans from foreign lenders, "
                         "each once at its greatest balance; the related-party disclosures (loans, interest) are in "
                         "no public schema, only in the evidence."),
    "arrears_records": ("Các tháng nợ BHXH và dấu hiệu chủ doanh nghiệp bỏ trốn mà quy tắc đã tính",
                        "The social-insurance months and the signs of a departing owner the rule counted"),
    "see_arrears_records": ("Xem {n} tháng nợ BHXH tăng và các dấu hiệu mà quy tắc đã tính",
                            "See the {n} months of rising arrears and the signs the rule counted"),
    "arrears_records_hint": ("Các tháng lao động của doanh nghiệp (marts.fct_employment), từ tháng làm mốc đến tháng "
                             "nợ tăng cuối cùng: nợ của tháng (cộng các đơn vị) tăng mỗi tháng, cao nhất là mức nợ "
                             "cao nhất của bằng chứng; một tháng không có bản ghi ghi rõ tình trạng dữ liệu. Các "
                             "khoản thoái vốn, chuyển nhượng vốn ra nước ngoài trong khoảng đó và 3 tháng sau, và "
                             "các khoản nộp thuế của tháng cuối cùng khi việc ngừng nộp thuế là dấu hiệu. Ngừng hoạt "
                             "động do chủ bỏ trốn là bản ghi không thuộc lược đồ công khai nào: chỉ có trong bằng "
                             "chứng.",
                             "The enterprise's labour months (marts.fct_employment) from the month the streak rose "
                             "from to its last rise: the month's arrears (its units' sum) rise every month, their "
                             "greatest is the evidence's peak; a month without a record says why. The divestments "
                             "and capital transfers abroad of that span and the window after it, and the payments of "
                             "the last month of tax payments when their stopping is a sign. A stoppage with the "
                             "owner absconded is a record no public schema holds: only the evidence names it."),
    "dormant_project_records": ("Dự án đang hoạt động và hoạt động cuối cùng trước khoảng không hoạt động",
                                "The active projects and the last activity before the silent span"),
    "see_dormant_project_records": ("Xem dự án trong sổ đăng ký và hoạt động cuối cùng mà quy tắc đã đọc",
                                    "See the registered projects and the last activity the rule read"),
    "dormant_project_records_hint": ("Các dự án đang hoạt động trong sổ đăng ký (marts.dim_project, kỳ mới nhất), "
                                     "và theo từng cơ quan, các bản ghi của tháng hoạt động cuối cùng trước tháng "
                                     "không hoạt động đầu tiên (nộp thuế, tờ khai thuế TNDN theo tháng nộp, hải "
                                     "quan, BHXH, giao dịch vốn). Cơ quan không có hoạt động nào trước đó không có "
                                     "dòng.",
                                     "The projects active in the register (marts.dim_project, its latest snapshot) "
                                     "and, per agency, the records of the last month of activity before the first "
                                     "silent month (tax payments, CIT returns by filing month, customs, social "
                                     "insurance, capital transactions). An agency without activity before it has no "
                                     "row."),
    "see_tax_returns_and_disclosures": ("Xem tờ khai quyết toán thuế TNDN và tờ khai giao dịch liên kết mà quy tắc "
                                        "đã đọc",
                                        "See the CIT return and the related-party disclosures the rule read"),
    "lease_snapshots": ("Các kỳ báo cáo của hợp đồng thuê đất trong thời gian bỏ trống",
                        "The lease's snapshots over the idle span"),
    "see_lease_snapshots": ("Xem {n} kỳ báo cáo đất đai mà quy tắc đã đọc", "See the {n} land snapshots the rule read"),
    "lease_snapshots_hint": ("Mỗi tháng từ tháng bỏ trống đầu tiên đến tháng cuối cùng (marts.fct_land_leases): diện "
                             "tích, diện tích sử dụng và tỷ lệ sử dụng của kỳ báo cáo, tất cả dưới ngưỡng; một tháng "
                             "không có kỳ báo cáo ghi rõ tình trạng dữ liệu (không phải là sử dụng hay bỏ trống).",
                             "Each month from the first idle month to the last (marts.fct_land_leases): the "
                             "snapshot's area, area in use and share in use, each under the threshold; a month "
                             "without a snapshot says why (neither use nor idleness)."),
    "project_snapshots": ("Các kỳ báo cáo của dự án trong sổ đăng ký", "The project's register snapshots"),
    "see_project_snapshots": ("Xem các kỳ báo cáo của dự án trong sổ đăng ký mà quy tắc đã đọc",
                              "See the project's register snapshots the rule read"),
    "project_snapshots_hint": ("Mọi kỳ báo cáo của dự án có thời hạn trong sổ đăng ký (marts.fct_project_snapshots); "
                               "“hết hạn vẫn hoạt động”: trạng thái hoạt động với thời hạn đã hết trước tháng của kỳ, "
                               "các kỳ quy tắc đã đếm.",
                               "Every register snapshot of the project with a term (marts.fct_project_snapshots); "
                               "“expired, still active”: status active with the term ended before the snapshot's "
                               "month, the snapshots the rule counted."),
}

# What a group of records on a records page is (its title `records`), and what it says when it is empty.
RECORD_KINDS = {
    "cit_returns": ("Tờ khai quyết toán thuế TNDN", "CIT returns"),
    "capital_contributions": ("Các khoản góp vốn", "Capital contributions"),
    "foreign_loans": ("Khoản vay từ bên cho vay nước ngoài trong năm", "The year's loans from foreign lenders"),
    "employment_months": ("Các tháng lao động, BHXH", "Labour and social-insurance months"),
    "capital_outflows": ("Thoái vốn, chuyển nhượng vốn ra nước ngoài", "Divestments and capital transfers abroad"),
    "last_tax_payments": ("Các khoản nộp thuế của tháng cuối cùng", "The payments of the last month of tax payments"),
    "active_projects": ("Dự án đang hoạt động trong sổ đăng ký", "Projects active in the register"),
    "last_activity": ("Hoạt động cuối cùng trước khoảng không hoạt động", "The last activity before the silent span"),
    "related_party_disclosures": ("Tờ khai giao dịch liên kết của năm (Phụ lục I)",
                                  "The year's related-party disclosures (Appendix I)"),
}
NO_RECORDS = {
    "cit_returns": ("Không có tờ khai nào.", "No return."),
    "capital_contributions": ("Không có khoản góp vốn nào được ghi nhận.", "No contribution was recorded."),
    "foreign_loans": ("Không có khoản vay nước ngoài nào.", "No foreign loan."),
    "employment_months": ("Không có tháng nào.", "No month."),
    "capital_outflows": ("Không có khoản thoái vốn hay chuyển nhượng vốn nào.", "No divestment or capital transfer."),
    "last_tax_payments": ("Ngừng nộp thuế không phải là dấu hiệu của trường hợp này.",
                          "Tax payments stopping is no sign of this case."),
    "active_projects": ("Không có dự án nào.", "No project."),
    "last_activity": ("Không có hoạt động nào trước khoảng này trong dữ liệu.",
                      "No activity before the span in the data."),
    "related_party_disclosures": ("Không có dòng nào.", "No line."),
}

# Column headers of the records behind a finding (records_behind.CUSTOMS_COLUMNS, FLOW_COLUMNS, DEALING_COLUMNS,
# group titles).
RECORD_COLUMNS = {
    "hs_code": ("Mã HS", "HS code"),
    "unit": ("Đơn vị", "Unit"),
    "declaration_no": ("Số tờ khai", "Declaration"),
    "line_no": ("Dòng", "Line"),
    "registered_on": ("Ngày đăng ký", "Registered"),
    "period": ("Kỳ", "Period"),
    "partner_name": ("Đối tác", "Partner"),
    "partner_country": ("Nước đối tác", "Partner country"),
    "quantity": ("Số lượng", "Quantity"),
    "customs_value_vnd": ("Trị giá hải quan (VND)", "Customs value (VND)"),
    "unit_price_vnd": ("Đơn giá (VND)", "Unit price (VND)"),
    "outside_range": ("Ngoài khoảng giá", "Outside the range"),
    "shifted_vnd": ("Giá trị chuyển (VND)", "Value moved (VND)"),
    "delivery_id": ("Lần giao", "Delivery"),
    "project_code": ("Mã dự án", "Project"),
    "year": ("Năm", "Year"),
    "issued_on": ("Ngày cấp", "Issued"),
    "capital_deadline": ("Hạn góp vốn", "Capital deadline"),
    "txn_id": ("Mã giao dịch", "Transaction"),
    "value_date": ("Ngày giá trị", "Value date"),
    "currency": ("Loại tiền", "Currency"),
    "amount": ("Số tiền", "Amount"),
    "amount_usd": ("Số tiền (USD)", "Amount (USD)"),
    "account_no": ("Tài khoản", "Account"),
    "bank_code": ("Mã ngân hàng", "Bank"),
    "counterparty_name": ("Bên đối ứng", "Counterparty"),
    "counterparty_country": ("Nước bên đối ứng", "Counterparty country"),
    "party": ("Bên liên kết", "Related party"),
    "relationship": ("Quan hệ", "Relationship"),
    "agency": ("Cơ quan", "Agency"),
    "record_key": ("Số tờ khai / mã giao dịch / khoản vay", "Declaration / transaction / loan"),
    "record_date": ("Ngày", "Date"),
    "record_type": ("Loại", "Type"),
    "amount_vnd": ("Giá trị (VND)", "Amount (VND)"),
    "balance_vnd": ("Dư nợ (VND)", "Balance (VND)"),
    "records": ("Bản ghi", "Records"),
    "fiscal_year": ("Năm tài chính", "Fiscal year"),
    "tax_code_filed": ("Mã số thuế kê khai", "Tax code as filed"),
    "amendment_no": ("Lần bổ sung", "Amendment"),
    "filed_on": ("Ngày nộp", "Filed"),
    "revenue_vnd": ("Doanh thu (VND)", "Revenue (VND)"),
    "cost_of_goods_vnd": ("Giá vốn (VND)", "Cost of goods (VND)"),
    "operating_expense_vnd": ("Chi phí hoạt động (VND)", "Operating expenses (VND)"),
    "ebit_vnd": ("EBIT (VND)", "EBIT (VND)"),
    "interest_expense_vnd": ("Chi phí lãi vay (VND)", "Interest expense (VND)"),
    "depreciation_vnd": ("Khấu hao (VND)", "Depreciation (VND)"),
    "profit_before_tax_vnd": ("Lợi nhuận trước thuế (VND)", "Profit before tax (VND)"),
    "ebitda_vnd": ("EBITDA (VND)", "EBITDA (VND)"),
    "lender_code": ("Mã bên cho vay", "Lender code"),
    "loan_id": ("Khoản vay", "Loan"),
    "lender_name": ("Bên cho vay", "Lender"),
    "lender_kind": ("Loại bên cho vay", "Lender kind"),
    "lender_country": ("Nước bên cho vay", "Lender country"),
    "report_date": ("Ngày báo cáo", "Report date"),
    "outstanding_amount": ("Dư nợ", "Outstanding"),
    "outstanding_amount_vnd": ("Dư nợ (VND)", "Outstanding (VND)"),
    "si_unit_code": ("Mã đơn vị BHXH", "Social-insurance unit"),
    "employer_name": ("Đơn vị sử dụng lao động", "Employer"),
    "employees_total": ("Số lao động", "Employees"),
    "si_contribution_due_vnd": ("BHXH phải đóng (VND)", "Contribution due (VND)"),
    "si_contribution_paid_vnd": ("BHXH đã đóng (VND)", "Contribution paid (VND)"),
    "si_arrears_vnd": ("Nợ BHXH của đơn vị (VND)", "Unit's arrears (VND)"),
    "arrears_vnd": ("Nợ BHXH của doanh nghiệp trong tháng (VND)", "Enterprise's arrears of the month (VND)"),
    "coverage": ("Không có bản ghi: dữ liệu", "No record: the data"),
    "flow_type": ("Loại giao dịch", "Flow type"),
    "irc_number": ("Số GCNĐKĐT", "Certificate no."),
    "enterprise_name": ("Tên doanh nghiệp", "Enterprise name"),
    "status": ("Trạng thái", "Status"),
    "expires_on": ("Ngày hết hạn", "Expires"),
    "dataset": ("Bộ dữ liệu", "Dataset"),
    "lease_id": ("Hợp đồng thuê đất", "Lease"),
    "parcel_no": ("Số thửa", "Parcel"),
    "industrial_zone_code": ("Khu công nghiệp", "Industrial zone"),
    "area_m2": ("Diện tích (m²)", "Area (m²)"),
    "in_use_area_m2": ("Diện tích sử dụng (m²)", "Area in use (m²)"),
    "in_use_share": ("Tỷ lệ sử dụng", "Share in use"),
    "stale": ("Hết hạn vẫn hoạt động", "Expired, still active"),
        "relationship_code": ("Trường hợp liên kết", "Relationship case"),
    "transaction_type": ("Loại giao dịch", "Transaction type"),
    "pricing_method": ("Phương pháp xác định giá", "Pricing method"),
}

STATUS = {
    "open": ("Chưa xem xét", "Open"),
    "in_review": ("Đang xem xét", "In review"),
    "confirmed": ("Đã xác nhận", "Confirmed"),
    "dismissed": ("Đã bác bỏ", "Dismissed"),
    "awaiting_second": ("Chờ người thứ hai xác nhận", "Awaiting a second reviewer"),
}
# A delivery's status in audit.deliveries (warehouse/audit.sql): the coverage grid's cells.
DELIVERY_STATUS = {
    "loaded": ("Đã nạp", "Loaded"),
    "rejected": ("Bị từ chối", "Rejected"),
    "superseded": ("Đã được thay thế", "Superseded"),
}
# A period's status in marts.dataset_coverage: the flag page's coverage and the gaps a rule's evidence lists.
COVERAGE_STATUS = {
    "complete": ("đầy đủ", "complete"),
    "rejected": ("bị từ chối", "rejected"),
    "missing": ("chưa giao", "not delivered"),
    # a month of a year the coverage grid has no row for (the rules' months_not_complete, macros/risk.sql), or
    # a year whose legal deadline has not come (the CIT returns and disclosures, by the end of March)
    "not yet due": ("chưa đến hạn", "not yet due"),
    "before coverage starts": ("trước kỳ dữ liệu đầu tiên", "before coverage starts"),
}
SEVERITY = {"low": ("Thấp", "Low"), "medium": ("Trung bình", "Medium"), "high": ("Cao", "High")}
RULE_NAMES = {
    "TP01": ("Nhập khẩu liên kết giá cao", "Related-party imports overpriced"),
    "TP02": ("Xuất khẩu liên kết giá thấp", "Related-party exports underpriced"),
    "TP03": ("Lỗ liên tục nhưng vẫn mở rộng", "Persistent losses while growing"),
    "TP04": ("Biên lợi nhuận thấp bất thường", "Abnormally low margin"),
    "TP05": ("Chi phí lãi vay vượt 30 % EBITDA", "Interest above 30 % of EBITDA"),
    "TP06": ("Phí bản quyền, dịch vụ khi lỗ", "Royalties and fees in a loss year"),
    "TP07": ("Chuyển lợi nhuận khi lỗ", "Profit repatriated while loss-making"),
    "CAP01": ("Chưa góp đủ vốn điều lệ", "Capital not contributed"),
    "REG01": ("Dự án hết hạn vẫn hoạt động", "Expired project still active"),
    "REG02": ("Dự án không hoạt động", "Dormant project"),
    "ABS01": ("Nợ BHXH tăng, chủ bỏ trốn", "Rising arrears, absconding owner"),
    "LAND01": ("Đất thuê bỏ trống", "Idle leased land"),
    "REL01": ("Giao dịch liên kết không kê khai", "Undisclosed related-party dealings"),
    "NOM01": ("Dấu hiệu đầu tư núp bóng", "Hidden foreign control (nominee)"),
}
AGENCIES = {
    "registry": ("Đăng ký đầu tư", "Investment registry"), "tax": ("Thuế", "Tax"), "customs": ("Hải quan", "Customs"),
    "land": ("Đất đai", "Land"), "labour": ("Lao động, BHXH", "Labour"), "credit": ("Tín dụng", "Credit"),
    "fx": ("Ngoại hối", "Foreign exchange"),
}
# The agreement's datasets in a reviewer's words; the pages keep the code (agency/dataset, what `fdi coverage`
# and the engineers say) in a tooltip, so a line can be taken to the engineer who chases the delivery.
# tests/workbench/test_formats.py holds it to the agreement: a dataset added there without a name here fails.
DATASETS = {
    ("tax", "cit_returns"): ("Quyết toán thuế TNDN", "CIT returns"),
    ("tax", "related_party"): ("Phụ lục giao dịch liên kết", "Related-party disclosures"),
    ("tax", "payments"): ("Nộp thuế", "Payments"),
    ("customs", "declarations"): ("Tờ khai hải quan", "Declarations"),
    ("registry", "projects"): ("Dự án đầu tư", "Projects"),
    ("registry", "investors"): ("Nhà đầu tư", "Investors"),
    ("registry", "self_reports"): ("Báo cáo của nhà đầu tư", "Investors' reports"),
    ("land", "leases"): ("Hợp đồng thuê đất", "Land leases"),
    ("land", "zones"): ("Khu công nghiệp", "Industrial zones"),
    ("labour", "employment"): ("Sử dụng lao động", "Employment"),
    ("labour", "work_permits"): ("Giấy phép lao động", "Work permits"),
    ("labour", "stoppages"): ("Ngừng việc", "Work stoppages"),
    ("credit", "loans"): ("Khoản vay", "Loans"),
    ("fx", "capital_flows"): ("Giao dịch vốn, vay nước ngoài", "Capital and foreign-loan flows"),
    ("fx", "central_rates"): ("Tỷ giá trung tâm", "Central exchange rates"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def t(key: str, lang: str) -> str:
    return pick(TEXT[key], lang)


def label(table: dict[str, tuple[str, str]], key: str | None, lang: str) -> str:
    if key is None:
        return "—"
    return pick(table[key], lang) if key in table else key


def dataset(agency: str, name: str, lang: str, with_agency: bool = True) -> str:
    """The agency and its dataset in the reader's language ("Tax · CIT returns"), or the dataset alone where a
    column beside it names the agency; a dataset the table does not name is written as its code."""
    named = pick(DATASETS[(agency, name)], lang) if (agency, name) in DATASETS else name
    return f"{label(AGENCIES, agency, lang)} · {named}" if with_agency else named


def number(value, lang: str = "vi", decimals: int = 0) -> str:
    """1.234.567 (vi) or 1,234,567 (en); '—' for a missing figure, never 0."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = Decimal(value)
        except ArithmeticError:
            return value
    text = f"{float(value):,.{decimals}f}" if decimals else f"{round(float(value)):,}"
    if lang == "en":
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def date(value, lang: str = "vi", with_time: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        # shown in the city's time, whatever the session's time zone
        value = value.astimezone(dt.timezone(dt.timedelta(hours=7))) if value.tzinfo else value
        if with_time:
            return value.strftime("%d/%m/%Y %H:%M") if lang == "vi" else value.strftime("%Y-%m-%d %H:%M")
        value = value.date()
    return value.strftime("%d/%m/%Y") if lang == "vi" else value.isoformat()


def _next_period(period: str) -> str:
    """The period after a month (YYYY-MM) or a year (YYYY)."""
    if len(period) == 4:
        return str(int(period) + 1)
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12}-{month % 12 + 1:02d}"


def periods(waits_on: list[str], quarantined: list[str], lang: str, not_due: list[str] = ()) -> str:
    """The periods a judgement waits on, in order, a run of three or more consecutive ones written as its first
    and last (a year of credit months reads 2024-01–2024-12, not twelve months); a period whose delivery is in
    force but holds the enterprise's rows in quarantine, or a year not yet due (the CIT returns and disclosures
    before the end of March), is written alone and says so: neither is a delivery to chase."""
    notes = {p: t("held_in_quarantine", lang) for p in quarantined}
    notes.update({p: label(COVERAGE_STATUS, "not yet due", lang) for p in not_due})
    runs: list[list[str]] = []
    for period in sorted(set(waits_on)):
        if runs and period not in notes and runs[-1][-1] not in notes and _next_period(runs[-1][-1]) == period:
            runs[-1].append(period)
        else:
            runs.append([period])
    written = []
    for run in runs:
        if run[0] in notes:
            written.append(f"{run[0]} ({notes[run[0]]})")
        elif len(run) >= 3:
            written.append(f"{run[0]}–{run[-1]}")
        else:
            written.extend(run)
    return ", ".join(written)
