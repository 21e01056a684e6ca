"""Ground truth of a generated economy, written to `<out>/_truth/` beside the landing folders.

Files (CSV, UTF-8, header row), documented in README "The generated economy":

* `records.csv`: every source record's true enterprise:
  agency, dataset, period, source_key, enterprise_tax_code, has_tax_code.
  source_key is the key as delivered, so it equals
  `marts.enterprise_links.source_key`: a tax code without its leading zero or
  with dots, an NFD name, a formula-like name with its `=`/`+`/`-`/`@` prefix,
  as the agency's file spelled them (the warehouse loads the first two
  repaired and keeps their delivered values in audit.repairs).
* `defects.csv`: every planted defect: agency, dataset, period, delivery_id,
  row_number (empty for a delivery-level fault), source_key, defect, column,
  expected (`repaired` | `quarantined` | `rejected` | `warned` | `neutralised`),
  check (the check expected to catch it).
* `scenarios.csv`: every planted risk scenario and clean look-alike:
  rule, enterprise_tax_code, period, kind (`planted` | `lookalike`), note,
  and with `fdi generate --edge-cases` a last column band (`clear`: far
  past or inside the rule's threshold; `edge`: just past it, or just inside
  it for a look-alike). Without the option there is no band column (every
  case is clear: `band_of`), so the file is the same bytes as before it.
  With the option too, three more last columns give each planted case of a
  month-counting rule (REG02, ABS01, LAND01; REL01 and a rare good's
  TP01/TP02 near their materiality) its span: span_first and span_last,
  the first and last month of the observations the case rests
  on, and span_datasets, the `agency/dataset`s that carry them
  (`;`-separated): REG02 the months it is silent (from the window's start
  to its twelfth month, or to its last silent month when it is active again
  in the window) on tax payments, customs declarations, labour employment
  and fx capital flows, the four datasets the rule observes a month on;
  ABS01 the labour employment months its arrears rise; REL01 near its
  materiality the customs months of its year (a line each); LAND01 the land
  leases months from the first idle one to its 24th. Empty for other cases;
  `span_of` reads them (None for a truth written before them).
  Annual rules (TP01-TP07, REL01, NOM01: `sources.synthetic.network`) name a fiscal year `YYYY`; monthly rules name the
  first month `YYYY-MM` in which the rule's condition holds in the data
  (REG01: the month after expiry; REG02: the twelfth silent month; CAP01: the
  month after the capital deadline; ABS01: the month the owner left, or the
  look-alike's arrears month; LAND01: the 24th month of idle land, or the
  look-alike's new plot).
* `lookalikes.csv`: pairs of DIFFERENT enterprises planted to confuse entity
  resolution: tax_code_a, tax_code_b, kind (`similar_name`: same stem and
  industry, "Hanil Electronics" / "Hanil Electronic Components";
  `same_stem_other_industry`; `tax_code_prefix`: codes sharing the first 8
  digits). The population also has other same-stem enterprises by chance.
* `fronts.csv` (with `fdi generate --edge-cases`, like the span columns): each
  NOM01 case's foreign group (`sources.synthetic.network`):
  enterprise_tax_code, kind (`planted` | `lookalike`), group (the parent
  its backer's loan and trade name), group_incorporated (the months,
  `YYYY-MM`, `;`-separated, in which the projects whose investors carry
  its name were incorporated: from each on, a register snapshot names the parent as the
  investor of an enterprise with a tax code, the only way the warehouse
  knows the name for a foreign group's; `fdi evaluate` holds a planted
  year not judgeable while no investors snapshot from one of them loaded).
* `deliveries.csv`: every delivery written: agency, dataset, period,
  delivery_id, extracted_at, location (`landing` | `replay`), kind (`regular`,
  `late` (extracted months after the period), `original` (superseded, kept in
  `<out>/_replay/<agency>/<dataset>/<period>/`), `correction` (in landing,
  supersedes the original)), rows.
* `corrections.csv`: each re-sent period: agency, dataset, period,
  original_delivery_id, original_extracted_at, correction_delivery_id,
  correction_extracted_at, reason (`revised`: values changed or rows added;
  `amendment`: tax returns amended later; `broken_file`: the first delivery
  was broken as a whole and re-sent).
* `honest_losses.csv`: every enterprise and window year with an honest
  operating loss (written by `sources.synthetic.losses`): reason (`startup`:
  the first two years; `long_startup`: a start-up's third or fourth loss
  year; `downturn`, `one_off`), is_fdi, revenue, EBIT and profit before tax.
* `economy.json`: the parameters (seed, enterprises, years, defect rate, loss rate).

Agencies write names their own way (registry and tax: official; customs:
upper case without diacritics; land and labour: abbreviated `Cty TNHH ... VN`;
credit: English); a name in NFD is a planted defect (`text_nfd`).
"""
from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

RECORD_FIELDS = ["agency", "dataset", "period", "source_key", "enterprise_tax_code", "has_tax_code"]
DEFECT_FIELDS = ["agency", "dataset", "period", "delivery_id", "row_number", "source_key", "defect", "column",
                 "expected", "check"]
SCENARIO_FIELDS = ["rule", "enterprise_tax_code", "period", "kind", "note"]
BAND_FIELD = "band"  # scenarios.csv's column after note with --edge-cases
SPAN_FIELDS = ["span_first", "span_last", "span_datasets"]  # scenarios.csv's last columns with --edge-cases
SPAN_DATASETS_SEPARATOR = ";"
LOOKALIKE_FIELDS = ["tax_code_a", "tax_code_b", "kind"]
FRONT_FIELDS = ["enterprise_tax_code", "kind", "group", "group_incorporated"]
DELIVERY_FIELDS = ["agency", "dataset", "period", "delivery_id", "extracted_at", "location", "kind", "rows"]
CORRECTION_FIELDS = ["agency", "dataset", "period", "original_delivery_id", "original_extracted_at",
                     "correction_delivery_id", "correction_extracted_at", "reason"]
_FIELDS = {"records.csv": RECORD_FIELDS, "defects.csv": DEFECT_FIELDS, "scenarios.csv": SCENARIO_FIELDS,
           "lookalikes.csv": LOOKALIKE_FIELDS, "fronts.csv": FRONT_FIELDS, "deliveries.csv": DELIVERY_FIELDS,
           "corrections.csv": CORRECTION_FIELDS}


@dataclass(frozen=True)
class Span:
    """The months of the observations a planted case rests on (`YYYY-MM`, both included) and the datasets
    (agency, dataset) that carry them."""
    first: str
    last: str
    datasets: tuple[tuple[str, str], ...]

    def months(self) -> list[str]:
        start, end = (int(p[:4]) * 12 + int(p[5:7]) - 1 for p in (self.first, self.last))
        return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(start, end + 1)]


@dataclass
class Truth:
    folder: Path
    _handles: dict = field(default_factory=dict)
    _writers: dict = field(default_factory=dict)
    scenario_bands: bool = False  # scenarios.csv has the band column (`fdi generate --edge-cases`)
    scenario_spans: bool = False  # scenarios.csv has the span columns (`fdi generate --edge-cases`)

    def _fields(self, name: str) -> list[str]:
        if name != "scenarios.csv":
            return _FIELDS[name]
        return _FIELDS[name] + [BAND_FIELD] * self.scenario_bands + SPAN_FIELDS * self.scenario_spans

    def _writer(self, name: str, fields: list[str]) -> csv.DictWriter:
        if name not in self._writers:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = open(self.folder / name, "w", encoding="utf-8", newline="")
            writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            self._handles[name] = handle
            self._writers[name] = writer
        return self._writers[name]

    def record(self, agency: str, dataset: str, period: str, source_key: str, tax_code: str, has_tax_code: bool) -> None:
        # One line per source record (tens of millions for customs): a plain writer, in RECORD_FIELDS order.
        self._writer("records.csv", RECORD_FIELDS).writer.writerow(
            (agency, dataset, period, source_key, tax_code, 1 if has_tax_code else 0))

    def records_formatted(self, lines: Iterable[bytes | memoryview]) -> None:
        """Append records already formatted as `record` writes them (UTF-8 CSV lines), in a few large writes."""
        self._writer("records.csv", RECORD_FIELDS)
        handle = self._handles["records.csv"]
        handle.flush()  # what the text layer holds goes first
        for chunk in lines:
            handle.buffer.write(chunk)

    def defect(self, **row: object) -> None:
        self._writer("defects.csv", DEFECT_FIELDS).writerow({k: row.get(k, "") for k in DEFECT_FIELDS})

    def scenario(self, rule: str, tax_code: str, period: str, kind: str, note: str = "", band: str = "clear",
                 span: Span | None = None) -> None:
        row = {"rule": rule, "enterprise_tax_code": tax_code, "period": period, "kind": kind, "note": note}
        if self.scenario_bands:
            row[BAND_FIELD] = band
        elif band != "clear":
            raise ValueError("an edge case needs the band column: set Truth.scenario_bands first")
        if self.scenario_spans:
            row.update(zip(SPAN_FIELDS, (span.first, span.last, SPAN_DATASETS_SEPARATOR.join(
                f"{agency}/{dataset}" for agency, dataset in span.datasets)) if span else ("", "", "")))
        self._writer("scenarios.csv", self._fields("scenarios.csv")).writerow(row)

    def lookalike(self, tax_code_a: str, tax_code_b: str, kind: str) -> None:
        self._writer("lookalikes.csv", LOOKALIKE_FIELDS).writerow(
            {"tax_code_a": tax_code_a, "tax_code_b": tax_code_b, "kind": kind})

    def front(self, tax_code: str, kind: str, group: str, group_incorporated: str) -> None:
        self._writer("fronts.csv", FRONT_FIELDS).writerow(
            {"enterprise_tax_code": tax_code, "kind": kind, "group": group, "group_incorporated": group_incorporated})

    def delivery(self, **row: object) -> None:
        self._writer("deliveries.csv", DELIVERY_FIELDS).writerow({k: row.get(k, "") for k in DELIVERY_FIELDS})

    def correction(self, **row: object) -> None:
        self._writer("corrections.csv", CORRECTION_FIELDS).writerow({k: row.get(k, "") for k in CORRECTION_FIELDS})

    def open_all(self) -> None:
        """Create every file with its header, so an empty truth file still says what it would hold (fronts.csv
        only with the span columns, `fdi generate --edge-cases`)."""
        for name in _FIELDS:
            if name != "fronts.csv" or self.scenario_spans:
                self._writer(name, self._fields(name))

    def parameters(self, **params: object) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "economy.json").write_text(json.dumps(params, indent=2, sort_keys=True) + "\n")

    def flush(self) -> None:
        for handle in self._handles.values():
            handle.flush()

    def append_part(self, part: Truth) -> None:
        """Append what another Truth (a worker's, on its own folder) wrote, in its order; then remove it."""
        part.close()
        for path in sorted(part.folder.glob("*.csv")):
            self._writer(path.name, self._fields(path.name))
            handle = self._handles[path.name]
            with open(path, encoding="utf-8", newline="") as body:
                body.readline()  # the part's own header
                shutil.copyfileobj(body, handle, 1 << 20)
            path.unlink()
        part.folder.rmdir()

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()
        self._writers.clear()


def band_of(scenario: dict[str, str]) -> str:
    """A scenarios.csv row's band: `edge` or `clear`; a truth written without --edge-cases has no band column."""
    return scenario.get(BAND_FIELD) or "clear"


def span_of(scenario: dict[str, str]) -> Span | None:
    """A scenarios.csv row's span; None for a case without one, or a truth written before the span columns."""
    if not scenario.get("span_first"):
        return None
    datasets = tuple(tuple(d.split("/", 1)) for d in scenario["span_datasets"].split(SPAN_DATASETS_SEPARATOR))
    return Span(scenario["span_first"], scenario["span_last"], datasets)


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
