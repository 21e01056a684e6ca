"""Plant the defects of real deliveries (README "Known defects") and record each in `_truth/`.

Every generated delivery goes through `DefectPlanter.deliver`. At the rate set
by `--defects` it

* damages a row (at most one defect per row, and only where no other check
  can fire, so the expected outcome is unambiguous), recorded in
  `_truth/defects.csv` with the check expected to catch it;
* breaks the delivery as a whole (a rejected delivery);
* re-sends a period (defect 4, "corrections re-send a whole period"): the
  original goes to `<out>/_replay/<agency>/<dataset>/<period>/` with its own
  delivery_id and an earlier `extracted_at`, the correction to the landing
  folder; both are in `_truth/corrections.csv`;
* delivers late (extracted months after the period; README "Delivery
  semantics": out of order and late).

Rows of enterprises carrying planted risk scenarios are never damaged, and a
broken delivery of a dataset marked `resend_broken` is re-sent clean, so the
evidence of every planted scenario reaches the warehouse.

Two random streams, so deliveries can be written in parallel and stay the same
bytes: `plan` draws what happens to a delivery as a whole (late, broken,
corrected) from the planter's stream, in delivery order; `write` damages its
rows from a stream of the delivery's own, seeded by the plan. A month of
customs lines can then be written in another process (`sources.synthetic.customs`)
and give the same bytes as in this one.
"""
from __future__ import annotations

import datetime as dt
import gzip
import random
import shutil
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sources.contract import Column, Dataset
from sources.synthetic.truth import Truth
from sources.synthetic.writers import (
    WrittenFile,
    delivery_uuid,
    file_name,
    write_formatted_csv,
    write_manifest,
    write_rows,
)

ROW_DEFECTS = ("tax_code_leading_zero", "tax_code_separators", "tax_code_check_digit", "text_nfd",
               "formula_injection", "negative_amount", "rule_violation", "future_date", "hs_unused_chapter",
               "unknown_currency")
DELIVERY_FAULTS = ("hash_mismatch", "row_count_mismatch", "truncated_gzip", "renamed_column",
                   "legacy_encoding", "empty_file", "extra_column")
# A fault that loads with a warning rather than a rejection (README "Formats":
# unknown extra columns are a schema-drift warning, not a failure).
WARNING_FAULTS = {"extra_column": ("warned", "schema_drift")}
EXTRA_COLUMN = "ghi_chu"  # a note column some agency systems add
LATE_DAYS = (60, 420)  # a late delivery arrives two months to over a year after the period
CORRECTION_DAYS = (20, 200)
REVISED_ROW_SHARE = 0.02  # share of rows an original delivery gets wrong
_PERIOD_RULES = ("equals the delivery period", "within the delivery period", "last day of the delivery period")

Rows = Iterable[dict] | Callable[[], Iterable[dict]]


@dataclass
class Planted:
    defect: str
    column: str
    expected: str
    check: str


@dataclass(frozen=True)
class Plan:
    """What happens to one delivery as a whole, decided before any of its rows is written."""

    ds: Dataset
    period: str
    extracted: dt.datetime
    kind: str  # regular | late
    fault: str | None
    reason: str | None  # None (one delivery), or why the period is re-sent: broken_file | amendment | revised
    later: dt.datetime | None  # extract time of the correction
    revision: int
    row_seed: int  # seeds the stream that damages this delivery's rows


def contract_key(ds: Dataset) -> Callable[[dict], str]:
    """The `source_key` of a row: the contract's `key` values joined with `|`, in contract order."""
    names = ds.key

    def key(row: dict) -> str:
        return "|".join("" if row.get(n) is None else str(row[n]) for n in names)

    return key


def _delivered_key(key: str, damaged: dict, key_of: Callable[[dict], str], planted: Planted | None) -> str:
    """The row's source_key as delivered, which is what `_truth/records.csv` must name
    (contracts/warehouse.md: `marts.enterprise_links.source_key` is "as delivered").

    A damaged row's key is its damaged values: a tax code without its leading
    zero or with dots, an NFD name, a formula-like name. The warehouse loads
    the first two repaired and takes the delivered value back from
    audit.repairs for the key; the third it loads as delivered.
    """
    return key_of(damaged) if planted is not None else key


def _compare(op: str, a: object, b: object) -> bool:
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]


def _legacy_text(value: object) -> object:
    """Vietnamese as Windows-1258 spells it: base letters with Â/Ê/Ô/Ă/Ơ/Ư/Đ precomposed,
    tone marks as separate combining characters."""
    if not isinstance(value, str):
        return value
    out = []
    for ch in unicodedata.normalize("NFD", value):
        if out and unicodedata.combining(ch) and ch in "\u0302\u0306\u031b":
            out[-1] = unicodedata.normalize("NFC", out[-1] + ch)
        else:
            out.append(ch)
    return "".join(out)


class DefectPlanter:
    def __init__(self, landing: Path, truth: Truth, seed: int, rate: float):
        self.landing = landing
        self.replay = landing / "_replay"
        self.truth = truth
        self.seed = seed
        self.rate = rate
        self.rng = random.Random(seed * 7919 + 17)  # delivery-level decisions, drawn in delivery order (`plan`)
        self.row_rng = random.Random(0)  # row-level damage of the delivery being written, reseeded per plan
        self.protected: set[str] = set()  # tax codes of scenario enterprises: rows never damaged
        self._fault_counts = {f: 0 for f in DELIVERY_FAULTS}
        # While a list, `deliver` plans a delivery and queues the writing of it as a job (a function of the
        # planter), run later, perhaps in other processes (`sources.synthetic.parallel`).
        self.deferred: list[Callable[[DefectPlanter], Path]] | None = None

    # -- row defects ------------------------------------------------------------
    def _breaks_rules(self, ds: Dataset, row: dict, col: Column, value: object, ignore_own: bool = False) -> bool:
        """Would `value` in `col` fail a comparison rule with another column (a second check)?"""
        for other in ds.columns:
            comparison = other.comparison
            if not comparison or (ignore_own and other.name == col.name):
                continue
            op, target = comparison
            left, right = (value, row.get(target)) if other.name == col.name else \
                (row.get(other.name), value) if target == col.name else (None, None)
            if left is None or right is None or isinstance(left, str) or isinstance(right, str):
                continue
            try:
                if not _compare(op, left, right):
                    return True
            except TypeError:
                continue
        return False

    def _candidates(self, ds: Dataset, row: dict) -> list[tuple[str, Column]]:
        out = []
        for col in ds.columns:
            value = row.get(col.name)
            if value is None:
                continue
            if col.type == "tax_code" and isinstance(value, str) and len(value) >= 10:
                out += [("tax_code_separators", col), ("tax_code_check_digit", col)]
                if value.startswith("0"):
                    out.append(("tax_code_leading_zero", col))
            elif col.type == "string" and col.name.endswith("_name") and not col.pattern:
                if unicodedata.normalize("NFD", str(value)) != str(value):
                    out.append(("text_nfd", col))
                if not str(value).startswith(("=", "+", "-", "@")):
                    out.append(("formula_injection", col))
            elif col.type in ("integer", "decimal") and col.min == 0 and not isinstance(value, bool):
                if not self._breaks_rules(ds, row, col, -abs(value) - 1):
                    out.append(("negative_amount", col))
            elif col.type == "date" and col.comparison and col.comparison[0] in (">", ">="):
                out.append(("rule_violation", col))
            elif col.type == "date" and col.not_after_extraction and (col.rule or "") not in _PERIOD_RULES:
                out.append(("future_date", col))
            elif col.hs_chapter:
                out.append(("hs_unused_chapter", col))
            elif col.type == "currency":
                out.append(("unknown_currency", col))
        return out

    def _damage(self, ds: Dataset, row: dict, extracted: dt.datetime) -> Planted | None:
        candidates = self._candidates(ds, row)
        if not candidates:
            return None
        kind, col = self.row_rng.choice(candidates)
        value = row[col.name]
        if kind == "tax_code_leading_zero":
            # In a workbook the cell becomes a number, as Excel does; in CSV the text loses its zero.
            row[col.name] = int(value) if ds.format == "xlsx" and value.isdigit() else value[1:]
            return Planted(kind, col.name, "repaired", "tax_code_leading_zero")
        if kind == "tax_code_separators":
            row[col.name] = f"{value[:4]} {value[4:7]} {value[7:]}" if self.row_rng.random() < 0.5 else \
                f"{value[:4]}.{value[4:7]}.{value[7:]}"
            return Planted(kind, col.name, "repaired", "tax_code_separators")
        if kind == "tax_code_check_digit":
            wrong = str((int(value[9]) + self.row_rng.randint(1, 9)) % 10)
            row[col.name] = value[:9] + wrong + value[10:]
            return Planted(kind, col.name, "quarantined", f"{col.name}:check_digit")
        if kind == "text_nfd":
            row[col.name] = unicodedata.normalize("NFD", value)
            return Planted(kind, col.name, "repaired", "unicode_nfc")
        if kind == "formula_injection":
            row[col.name] = self.row_rng.choice(["=", "+", "-", "@"]) + value
            return Planted(kind, col.name, "neutralised", "formula_prefix")
        if kind == "negative_amount":
            row[col.name] = -abs(value) - 1
            return Planted(kind, col.name, "quarantined", f"{col.name}:min")
        if kind == "rule_violation":
            op, other = col.comparison
            base = row.get(other)
            if not isinstance(base, dt.date):
                return None
            new = base - dt.timedelta(days=self.row_rng.randint(1, 400))
            if self._breaks_rules(ds, row, col, new, ignore_own=True):
                return None  # another rule would fire too
            row[col.name] = new
            name = {">": "gt", ">=": "ge"}[op]
            return Planted(kind, col.name, "quarantined", f"{col.name}:{name}_{other}")
        if kind == "future_date":
            new = extracted.date() + dt.timedelta(days=self.row_rng.randint(30, 900))
            if self._breaks_rules(ds, row, col, new):
                return None
            row[col.name] = new
            return Planted(kind, col.name, "quarantined", f"{col.name}:not_future")
        if kind == "hs_unused_chapter":
            row[col.name] = "77" + str(value)[2:]
            return Planted(kind, col.name, "quarantined", f"{col.name}:hs_chapter")
        if kind == "unknown_currency":
            row[col.name] = self.row_rng.choice(["XYZ", "VNX", "USS"])
            return Planted(kind, col.name, "quarantined", f"{col.name}:currency")
        return None

    # -- corrections ------------------------------------------------------------
    def _revise(self, ds: Dataset, row: dict) -> dict | None:
        """The row as the original, superseded delivery had it: a number off by 10 %, or missing."""
        if self.row_rng.random() >= REVISED_ROW_SHARE:
            return row
        numbers = [c for c in ds.columns
                   if c.type in ("integer", "decimal") and c.name not in ds.key and not c.rule
                   and not any(o.comparison and o.comparison[1] == c.name for o in ds.columns)
                   and isinstance(row.get(c.name), (int, float)) and not isinstance(row.get(c.name), bool)
                   and row[c.name] > 1]
        if not numbers or self.row_rng.random() < 0.2:
            return None  # the correction adds a row the original left out
        col = self.row_rng.choice(numbers)
        revised = dict(row)
        value = row[col.name] * 0.9
        revised[col.name] = round(value) if col.type == "integer" else round(value, 2)
        return revised

    # -- one delivery -----------------------------------------------------------
    def deliver(self, ds: Dataset, period: str, extracted: dt.datetime, rows: Rows,
                key_of: Callable[[dict], str] | None = None, owner_of: Callable[[dict], str] | None = None,
                revision: int = 0, allow_faults: bool = True, resend_broken: bool = False,
                revise: Callable[[dict], dict | None] | None = None) -> Path:
        """Write one period of `ds`; `rows` is a list or a function returning a fresh iterable.

        `owner_of` gives a row's true enterprise (None: the dataset names no
        enterprise). A broken delivery of a `resend_broken` dataset goes to
        `_replay` and is re-sent clean. `revise` maps a row to its version in a
        superseded original (default: a few numbers off, a few rows missing). While `deferred` is a list, the
        delivery is planned now and written when its job runs; the folder it will be in is returned.
        """
        plan = self.plan(ds, period, extracted, revision, allow_faults, resend_broken, amends=revise is not None)
        if self.deferred is not None:
            self.deferred.append(lambda planter: planter.write(plan, rows, key_of, owner_of, revise))
            return self.landing / ds.agency / ds.name / period
        return self.write(plan, rows, key_of, owner_of, revise)

    def plan(self, ds: Dataset, period: str, extracted: dt.datetime, revision: int = 0, allow_faults: bool = True,
             resend_broken: bool = False, amends: bool = False) -> Plan:
        """Decide what happens to a delivery as a whole; call in delivery order (it draws from the planter's stream)."""
        if self.rate > 0 and self.rng.random() < self.rate:
            extracted = extracted + dt.timedelta(days=self.rng.randint(*LATE_DAYS))
            kind = "late"
        else:
            kind = "regular"
        fault = self._pick_fault(ds) if allow_faults and self.rate > 0 and self.rng.random() < self.rate else None
        corrected = self.rate > 0 and self.rng.random() < self.rate
        if fault and fault not in WARNING_FAULTS and (resend_broken or corrected):
            reason = "broken_file"
        elif corrected:
            reason = "amendment" if amends else "revised"
        else:
            reason = None
        later = extracted + dt.timedelta(days=self.rng.randint(*CORRECTION_DAYS)) if reason else None
        # No draw without defects: a defect-free economy leaves the planter's stream untouched.
        row_seed = self.rng.getrandbits(64) if self.rate > 0 else 0
        return Plan(ds, period, extracted, kind, fault, reason, later, revision, row_seed)

    def write(self, plan: Plan, rows: Rows, key_of: Callable[[dict], str] | None = None,
              owner_of: Callable[[dict], str] | None = None,
              revise: Callable[[dict], dict | None] | None = None) -> Path:
        """Write a planned delivery: its rows damaged from the plan's own stream, so in any process, in any order."""
        ds, period, extracted, revision = plan.ds, plan.period, plan.extracted, plan.revision
        self.row_rng = random.Random(plan.row_seed)
        key_of = key_of or contract_key(ds)
        if not callable(rows):
            rows = list(rows)
        fresh: Callable[[], Iterable[dict]] = rows if callable(rows) else (lambda _r=rows: _r)
        fault, reason = plan.fault, plan.reason
        if reason is None:
            return self._write(ds, period, self.landing, extracted, fresh(), key_of, owner_of,
                               delivery_uuid(self.seed, ds.qualified, period, revision), fault, plan.kind, True)
        original_id = delivery_uuid(self.seed, ds.qualified, period, revision, "original")
        reviser = revise or (lambda row: self._revise(ds, row))
        source = fresh() if reason == "broken_file" else (
            r for r in (reviser(dict(row)) for row in fresh()) if r is not None)
        self._write(ds, period, self.replay, extracted, source, key_of, None, original_id,
                    fault if reason == "broken_file" else None, "original", False)
        later = plan.later
        correction_id = delivery_uuid(self.seed, ds.qualified, period, revision, "correction")
        folder = self._write(ds, period, self.landing, later, fresh(), key_of, owner_of, correction_id,
                             None, "correction", True)
        self.truth.correction(agency=ds.agency, dataset=ds.name, period=period, original_delivery_id=original_id,
                              original_extracted_at=extracted.isoformat(timespec="seconds"),
                              correction_delivery_id=correction_id,
                              correction_extracted_at=later.isoformat(timespec="seconds"), reason=reason)
        return folder

    def write_formatted(self, plan: Plan, body: Iterable[bytes | memoryview], rows: int,
                        records: Iterable[bytes | memoryview]) -> Path:
        """Write a planned delivery whose `rows` lines come already formatted (`body`, CSV text without its
        header) with their `_truth/records.csv` lines (`records`): the vectorised customs writer. Only for a
        planter that damages nothing (rate 0), whose every plan is one regular delivery."""
        if self.rate > 0 or plan.fault or plan.reason:
            raise ValueError("formatted rows cannot be damaged: write them with `write`")
        ds, period = plan.ds, plan.period
        folder = self._empty_folder(self.landing, ds, period)
        name = file_name(ds, period)
        write_formatted_csv(folder / name, ds, body)
        self.truth.records_formatted(records)
        delivery_id = delivery_uuid(self.seed, ds.qualified, period, plan.revision)
        write_manifest(folder, ds, period, delivery_id, plan.extracted, [WrittenFile(name, rows)])
        self.truth.delivery(agency=ds.agency, dataset=ds.name, period=period, delivery_id=delivery_id,
                            extracted_at=plan.extracted.isoformat(timespec="seconds"), location="landing",
                            kind=plan.kind, rows=rows)
        return folder

    @staticmethod
    def _empty_folder(root: Path, ds: Dataset, period: str) -> Path:
        folder = root / ds.agency / ds.name / period
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        return folder

    def _pick_fault(self, ds: Dataset) -> str:
        options = [f for f in DELIVERY_FAULTS
                   if (f != "truncated_gzip" or ds.format == "csv.gz")
                   and (f != "legacy_encoding" or ds.format in ("csv", "csv-vn"))]
        # The least planted kinds first, so a run shows every kind of broken file.
        fewest = min(self._fault_counts[f] for f in options)
        fault = self.rng.choice([f for f in options if self._fault_counts[f] == fewest])
        self._fault_counts[fault] += 1
        return fault

    def _write(self, ds: Dataset, period: str, root: Path, extracted: dt.datetime, rows: Iterable[dict],
               key_of: Callable[[dict], str], owner_of: Callable[[dict], str] | None, delivery_id: str,
               fault: str | None, kind: str, record_owners: bool) -> Path:
        folder = self._empty_folder(root, ds, period)
        tax_column = ds.tax_code_columns[0] if ds.tax_code_columns else None

        def stream() -> Iterator[dict]:
            for number, row in enumerate(rows, start=1):
                row = dict(row)
                key = key_of(row)
                owner = owner_of(row) if owner_of is not None else None
                has_tax_code = bool(row.get(tax_column)) if tax_column else False
                planted = None
                if fault is None and self.rate > 0 and self.row_rng.random() < self.rate \
                        and owner not in self.protected:
                    planted = self._damage(ds, row, extracted)
                    if planted:
                        self.truth.defect(agency=ds.agency, dataset=ds.name, period=period, delivery_id=delivery_id,
                                          row_number=number, source_key=key, defect=planted.defect,
                                          column=planted.column, expected=planted.expected, check=planted.check)
                if record_owners and owner is not None:
                    self.truth.record(ds.agency, ds.name, period, _delivered_key(key, row, key_of, planted), owner,
                                      has_tax_code)
                if fault == "legacy_encoding":
                    row = {k: _legacy_text(v) for k, v in row.items()}
                yield row

        name = file_name(ds, period)
        header = ds.column_names
        victim = ""
        source: Iterable[dict] = stream()
        if fault == "renamed_column":
            victim = self.row_rng.choice(ds.required_columns)
            renamed = victim.upper() + "_X"
            header = [h if h != victim else renamed for h in header]
            source = ({(renamed if k == victim else k): v for k, v in r.items()} for r in stream())
        elif fault == "extra_column":
            victim = EXTRA_COLUMN
            header = header + [EXTRA_COLUMN]
            source = ({**r, EXTRA_COLUMN: ""} for r in stream())
        encoding = "cp1258" if fault == "legacy_encoding" else "utf-8"
        path = folder / name
        count = write_rows(path, ds, header, source, encoding=encoding)
        if fault == "legacy_encoding" and _is_utf8(path):
            fault = None  # nothing but ASCII to encode: the file is valid UTF-8 after all
        overrides: dict[str, dict] = {}
        if fault == "empty_file" and count == 0 and ds.format == "jsonl":
            fault = None  # an empty JSONL of 0 rows is a complete, empty period: nothing to break
        if fault == "empty_file":
            path.write_bytes(b"")
        if fault == "truncated_gzip":
            data = path.read_bytes()
            path.write_bytes(data[: max(20, len(data) * 2 // 3)])
        if fault == "row_count_mismatch":
            overrides[name] = {"rows": count + self.row_rng.randint(1, 50)}
        write_manifest(folder, ds, period, delivery_id, extracted, [WrittenFile(name, count)], overrides=overrides)
        if fault == "hash_mismatch":
            # The file changes after the manifest was written (a re-export over it).
            with open(path, "ab") as handle:
                handle.write(gzip.compress(b"", mtime=0) if ds.format == "csv.gz" else b"\n")
        if fault:
            expected, check = WARNING_FAULTS.get(fault, ("rejected", fault))
            self.truth.defect(agency=ds.agency, dataset=ds.name, period=period, delivery_id=delivery_id,
                              row_number="", source_key="", defect=fault, column=victim,
                              expected=expected, check=check)
        self.truth.delivery(agency=ds.agency, dataset=ds.name, period=period, delivery_id=delivery_id,
                            extracted_at=extracted.isoformat(timespec="seconds"),
                            location="landing" if root == self.landing else "replay", kind=kind, rows=count)
        return folder


def _is_utf8(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")  # only CSV files get this fault, never the large gzip ones
        return True
    except UnicodeDecodeError:
        return False
