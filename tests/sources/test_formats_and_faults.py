"""Guards the parser on each format of the agreement and the exact sentence of each delivery fault."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sources.contract import dataset
from sources.delivery import Delivery
from sources.faults import ASK_AGAIN, DeliveryFault
from sources.synthetic.writers import WrittenFile, extraction_time, file_name, write_manifest, write_rows

EXTRACTED = extraction_time(dt.date(2024, 4, 5))
TAX_CODE = "0200109332"


def deliver(root: Path, agency: str, name: str, period: str, rows: list[dict], *, header=None,
            encoding="utf-8") -> tuple[Path, Path]:
    ds = dataset(agency, name)
    folder = root / agency / name / period
    path = folder / file_name(ds, period)
    count = write_rows(path, ds, header or ds.column_names, rows, encoding=encoding)
    write_manifest(folder, ds, period, f"test-{agency}-{name}-{period}", EXTRACTED, [WrittenFile(path.name, count)])
    return folder, path


def load(folder: Path) -> tuple[list[dict], list, list, Delivery]:
    delivery = Delivery.open(folder)
    delivery.verify_files()
    good, quarantined, repairs = [], [], []
    for batch in delivery.batches():
        good += batch.rows()
        quarantined += batch.quarantined
        repairs += batch.repairs
    return good, quarantined, repairs, delivery


def payment(amount=1_500_000, tax_code=TAX_CODE) -> dict:
    return {"tax_code": tax_code, "period": "2024-03", "tax_type": "VAT", "amount_paid_vnd": amount}


def declaration(**overrides) -> dict:
    row = {"declaration_no": "124030000001", "line_no": 1, "registered_on": dt.date(2024, 3, 4), "flow": "IM",
           "regime_code": "A12", "tax_code": f"{TAX_CODE}-001", "trader_name": "CONG TY TNHH HANIL VIET NAM",
           "partner_name": "Busan Trading Co., Ltd", "partner_country": "KR", "origin_country": "KR",
           "hs_code": "85423100", "quantity": 1200, "unit": "PCE", "invoice_currency": "USD",
           "invoice_value": 2160.5, "incoterms": "CIF", "exchange_rate": 24_300.0, "customs_value_vnd": 52_500_150,
           "customs_office": "03CE"}
    row.update(overrides)
    return row


def test_csv_loads_and_repairs_tax_codes(tmp_path):
    folder, _ = deliver(tmp_path, "tax", "payments", "2024-03",
                        [payment(), payment(tax_code="200109332"), payment(tax_code="0200 109 332")])
    good, quarantined, repairs, _ = load(folder)
    assert len(good) == 3 and not quarantined
    assert {r.rule for r in repairs} == {"tax_code_leading_zero", "tax_code_separators"}
    assert {g["tax_code"] for g in good} == {TAX_CODE}


def test_csv_with_bom_loads(tmp_path):
    folder, path = deliver(tmp_path, "tax", "payments", "2024-03", [payment()])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    write_manifest(folder, dataset("tax", "payments"), "2024-03", "test-bom", EXTRACTED, [WrittenFile(path.name, 1)])
    assert len(load(folder)[0]) == 1


def test_csv_gz_loads_branch_codes_and_quarantines_chapter_77(tmp_path):
    folder, _ = deliver(tmp_path, "customs", "declarations", "2024-03",
                        [declaration(), declaration(line_no=2, hs_code="77011000")])
    good, quarantined, _, _ = load(folder)
    assert [g["tax_code"] for g in good] == [f"{TAX_CODE}-001"]
    assert quarantined[0].reasons == ["hs_code:hs_chapter"]


def test_csv_vn_reads_vietnamese_numbers_and_dates(tmp_path):
    row = {"report_date": dt.date(2024, 3, 31), "lender_code": "01203001", "lender_name": "Vietcombank",
           "lender_kind": "domestic_bank", "lender_country": "VN", "borrower_tax_code": TAX_CODE,
           "borrower_name": "Hanil Vietnam Co., Ltd", "loan_id": "L1", "currency": "VND",
           "original_amount": 1_234_567.89, "outstanding_amount": 1_000_000, "interest_rate_pct": 7.5,
           "disbursed_on": dt.date(2022, 5, 1), "matures_on": dt.date(2027, 5, 1), "debt_group": 1}
    folder, path = deliver(tmp_path, "credit", "loans", "2024-03", [row])
    assert "1.234.567,89" in path.read_text() and "31/03/2024" in path.read_text()
    good, quarantined, _, _ = load(folder)
    assert not quarantined
    assert good[0]["original_amount"] == "1234567.89" and good[0]["report_date"] == "2024-03-31"


def test_xlsx_number_cell_tax_code_gets_its_zero_back(tmp_path):
    row = {"industrial_zone_code": "KCN-VSIP", "zone_name": "Khu công nghiệp VSIP", "zone_kind": "industrial_zone",
           "total_area_ha": 1600.0, "industrial_land_ha": 990.0, "leased_land_ha": 700.5, "has_central_wwtp": True}
    folder, _ = deliver(tmp_path, "land", "zones", "2023", [row])
    good, quarantined, _, _ = load(folder)
    assert not quarantined and good[0]["has_central_wwtp"] == "true"
    lease = {"lease_id": "HD-1", "tax_code": int(TAX_CODE), "lessee_name": "Cty TNHH Hanil VN", "parcel_no": "12",
             "map_sheet": "4", "area_m2": 10_000.0, "purpose_code": "SKK", "lease_start": dt.date(2015, 1, 1),
             "lease_end": dt.date(2065, 1, 1), "payment_mode": "annual", "status": "active"}
    folder, _ = deliver(tmp_path, "land", "leases", "2024-03", [lease])
    good, quarantined, repairs, _ = load(folder)
    assert good[0]["tax_code"] == TAX_CODE and repairs[0].rule == "tax_code_leading_zero"


@pytest.mark.parametrize("as_text", [False, True])
def test_jsonl_numbers_as_numbers_or_strings(tmp_path, as_text):
    rate = "24300.50" if as_text else 24300.5
    folder, _ = deliver(tmp_path, "fx", "central_rates", "2024-03",
                        [{"rate_date": dt.date(2024, 3, 1), "currency": "USD", "vnd_per_unit": rate}])
    good, quarantined, _, _ = load(folder)
    assert not quarantined and float(good[0]["vnd_per_unit"]) == 24300.5


def test_hash_mismatch_rejects(tmp_path):
    folder, path = deliver(tmp_path, "tax", "payments", "2024-03", [payment()])
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(DeliveryFault, match=r"^payments_2024-03\.csv: sha256 [0-9a-f]{12}… does not match the "
                                            r"manifest's [0-9a-f]{12}…; the file changed after the manifest was "
                                            r"written or arrived damaged: ask the agency to deliver the period "
                                            r"again \(a new delivery_id, a later extracted_at\)\.$"):
        load(folder)


def test_row_count_mismatch_rejects(tmp_path):
    folder, path = deliver(tmp_path, "tax", "payments", "2024-03", [payment(), payment()])
    doc = json.loads((folder / "manifest.json").read_text())
    doc["files"][0]["rows"] = 5
    (folder / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(DeliveryFault) as err:
        load(folder)
    assert str(err.value) == ("payments_2024-03.csv: 2 data rows, but the manifest says 5; "
                              f"the file is incomplete or the manifest is wrong: {ASK_AGAIN}")


def test_truncated_gzip_rejects(tmp_path):
    folder, path = deliver(tmp_path, "customs", "declarations", "2024-03", [declaration(line_no=i) for i in range(1, 400)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    write_manifest(folder, dataset("customs", "declarations"), "2024-03", "test-gz", EXTRACTED,
                   [WrittenFile(path.name, 399)])
    with pytest.raises(DeliveryFault, match=r"^declarations_2024-03\.csv\.gz: the gzip stream is truncated or corrupt "
                                            r"\(.*\); ask the agency to deliver the period again"):
        load(folder)


def test_missing_required_column_rejects(tmp_path):
    ds = dataset("tax", "payments")
    header = [c if c != "tax_type" else "TAX_TYPE_X" for c in ds.column_names]
    rows = [{("TAX_TYPE_X" if k == "tax_type" else k): v for k, v in payment().items()}]
    folder, _ = deliver(tmp_path, "tax", "payments", "2024-03", rows, header=header)
    with pytest.raises(DeliveryFault) as err:
        load(folder)
    assert str(err.value) == ("payments_2024-03.csv: required column tax_type missing "
                              "(found: tax_code, period, TAX_TYPE_X, amount_paid_vnd): ask the agency to deliver "
                              "the period again (a new delivery_id, a later extracted_at).")


def test_unknown_column_is_a_warning_not_a_failure(tmp_path):
    ds = dataset("tax", "payments")
    folder, _ = deliver(tmp_path, "tax", "payments", "2024-03", [{**payment(), "ghi_chu": "x"}],
                        header=ds.column_names + ["ghi_chu"])
    good, _, _, delivery = load(folder)
    assert len(good) == 1
    assert delivery.warnings == ["payments_2024-03.csv: unknown column ghi_chu ignored (schema drift)."]


def test_a_file_the_manifest_does_not_list_is_not_loaded_and_said_so(tmp_path):
    folder, _ = deliver(tmp_path, "tax", "payments", "2024-03", [payment()])
    (folder / "payments_2024-03_part2.csv").write_text("tax_code,period,tax_type,amount_paid_vnd\n")
    (folder / ".DS_Store").write_bytes(b"")  # a desktop's own file is nobody's rows
    good, _, _, delivery = load(folder)
    assert len(good) == 1
    assert delivery.warnings == ["payments_2024-03_part2.csv lies in the delivery folder but the manifest does not "
                                 "list it: not loaded; ask the agency whether it belongs to the delivery."]


def test_empty_file_rejects(tmp_path):
    folder, path = deliver(tmp_path, "tax", "payments", "2024-03", [payment()])
    path.write_bytes(b"")
    write_manifest(folder, dataset("tax", "payments"), "2024-03", "test-empty", EXTRACTED, [WrittenFile(path.name, 1)])
    with pytest.raises(DeliveryFault) as err:
        load(folder)
    assert str(err.value) == f"payments_2024-03.csv is empty (0 bytes); the manifest promises 1 rows: {ASK_AGAIN}"


@pytest.mark.parametrize(("agency", "name", "period"), [
    ("fx", "capital_flows", "2024-03"),     # jsonl: zero bytes
    ("tax", "payments", "2024-03"),         # csv: header only
    ("customs", "declarations", "2024-03"),  # csv.gz: header only
    ("credit", "loans", "2024-03"),         # csv-vn: header only
    ("registry", "projects", "2024-03"),    # xlsx: header only
])
def test_an_empty_period_loads_as_complete_with_zero_rows(tmp_path, agency, name, period):
    """README "Delivery layout": a period with nothing to report is a complete, empty delivery."""
    folder, path = deliver(tmp_path, agency, name, period, [])
    assert (path.stat().st_size == 0) == (dataset(agency, name).format == "jsonl")
    good, quarantined, _, delivery = load(folder)
    assert good == [] and quarantined == [] and delivery.rows_read == 0 and delivery.manifest.rows == 0


def test_empty_csv_without_its_header_rejects_even_with_zero_rows(tmp_path):
    folder, path = deliver(tmp_path, "tax", "payments", "2024-03", [])
    path.write_bytes(b"")
    write_manifest(folder, dataset("tax", "payments"), "2024-03", "test-empty", EXTRACTED, [WrittenFile(path.name, 0)])
    with pytest.raises(DeliveryFault) as err:
        load(folder)
    assert str(err.value) == ("payments_2024-03.csv is empty (0 bytes); a csv file needs its header row even "
                              f"with no data: {ASK_AGAIN}")


def test_empty_jsonl_rejects_when_the_manifest_promises_rows(tmp_path):
    folder, path = deliver(tmp_path, "fx", "capital_flows", "2024-03", [])
    write_manifest(folder, dataset("fx", "capital_flows"), "2024-03", "test-empty", EXTRACTED,
                   [WrittenFile(path.name, 3)])
    with pytest.raises(DeliveryFault) as err:
        load(folder)
    assert str(err.value) == f"capital_flows_2024-03.jsonl is empty (0 bytes); the manifest promises 3 rows: {ASK_AGAIN}"


def test_legacy_encoding_rejects(tmp_path):
    row = {"tax_code": TAX_CODE, "fiscal_year": 2023, "amendment_no": 0, "taxpayer_name": "Công ty TNHH Hải An",
           "filed_on": dt.date(2024, 3, 1), "revenue_vnd": 10, "cost_of_goods_vnd": 5, "operating_expense_vnd": 2,
           "interest_expense_vnd": 0, "depreciation_vnd": 1, "profit_before_tax_vnd": 3, "taxable_income_vnd": 3,
           "cit_payable_vnd": 1}
    folder, path = deliver(tmp_path, "tax", "cit_returns", "2023", [row], encoding="cp1258")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    with pytest.raises(DeliveryFault) as err:
        load(folder)
    assert str(err.value) == ("cit_returns_2023.csv is not UTF-8 (a legacy 8-bit encoding such as Windows-1258 "
                              "or TCVN3?); ask the agency to re-export it as UTF-8.")


def test_formula_cells_load_as_delivered(tmp_path):
    row = declaration(trader_name="=HYPERLINK(\"x\")")
    folder, _ = deliver(tmp_path, "customs", "declarations", "2024-03", [row])
    good, quarantined, _, _ = load(folder)
    assert not quarantined and good[0]["trader_name"].startswith("=")
