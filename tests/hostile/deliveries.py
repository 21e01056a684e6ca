"""Hand-made hostile deliveries: exact bytes, a manifest that matches them (or not)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

VN = dt.timezone(dt.timedelta(hours=7))

EMPLOYMENT_HEADER = ("si_unit_code,tax_code,employer_name,employer_address,period,employees_total,employees_foreign,"
                     "employees_trained,avg_monthly_wage_vnd,si_contribution_due_vnd,si_contribution_paid_vnd,"
                     "si_arrears_vnd")


def employment_line(code: str = "HP12345", name: str = "Cong ty A", period: str = "2024-01",
                    total: str = "10") -> str:
    return f"{code},,{name},,{period},{total},1,5,8000000,100,100,0"


def flow(txn: str = "T1", **overrides) -> dict:
    row = {"txn_id": txn, "account_no": "A1", "bank_code": "VCB", "tax_code": "0200000014",
           "value_date": "2024-01-15", "direction": "inflow", "flow_type": "capital_contribution",
           "currency": "USD", "amount": "1000.5", "counterparty_name": "Parent Ltd", "counterparty_country": "KR"}
    row.update(overrides)
    return row


def deliver(landing: Path, agency: str, dataset: str, period: str, files: dict[str, bytes], delivery_id: str,
            *, extracted_at: dt.datetime | None = None, entries: list[dict] | None = None,
            rows: dict[str, int] | None = None) -> Path:
    """Write `files` into `<landing>/<agency>/<dataset>/<period>/` with a manifest that matches them."""
    folder = landing / agency / dataset / period
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    if entries is None:
        entries = []
        for name, data in files.items():
            n = (rows or {}).get(name)
            if n is None:
                lines = [line for line in data.splitlines() if line.strip()]
                n = len(lines) - (0 if name.endswith(".jsonl") else 1)
            entries.append({"name": name, "sha256": hashlib.sha256(data).hexdigest(), "rows": n})
    when = extracted_at or dt.datetime(2024, 2, 3, 8, 0, tzinfo=VN)
    (folder / "manifest.json").write_text(json.dumps({
        "agency": agency, "dataset": dataset, "period": period, "schema_version": "1.0",
        "delivery_id": delivery_id, "extracted_at": when.isoformat(), "files": entries}))
    return folder


def employment(landing: Path, lines: list[str], delivery_id: str, period: str = "2024-01", **kw) -> Path:
    data = ("\n".join([EMPLOYMENT_HEADER, *lines]) + "\n").encode()
    return deliver(landing, "labour", "employment", period, {f"employment_{period}.csv": data}, delivery_id, **kw)


def flows(landing: Path, records: list[dict | str], delivery_id: str, period: str = "2024-01", **kw) -> Path:
    text = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"
    return deliver(landing, "fx", "capital_flows", period, {f"capital_flows_{period}.jsonl": text.encode()},
                   delivery_id, **kw)
