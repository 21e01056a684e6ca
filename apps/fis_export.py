"""`fdi export-fis`: one report period of `fis.project_reports` to the outbox of the national FDI information system.

Decision 3055/QĐ-UBND, task 7.5: the warehouse pre-fills the periodic investment
implementation reports (Form A.III.1, Circular 03/2021/TT-BKHĐT). An export of a
period writes, under `<outbox>/fis/<period>/`:

* `project_reports_<period>_r<N>.csv` and `.json`: the rows of revision N;
* `manifest_r<N>.json`: schema version, period, revision, rows, sha256 of each
  file, the content hash and what changed since revision N-1;
* `manifest.json`: a copy of the latest revision's manifest.

A period whose inputs are incomplete (fis.project_reports.missing_inputs: an
input month rejected, missing or not yet due, or a project's enterprise with
records of an input held back in quarantine) is refused unless
`allow_incomplete`; its manifest then says `"complete": false` and lists
`missing_inputs`. A change of completeness alone is a new revision.

Revision history lives in the outbox (the files that were sent), so it
survives any rebuild of the database; the ledger table `fis.export_revisions`
(created by the bootstrap, written here only) mirrors it for SQL users and is
refilled from the manifests when the database is new; `fis.project_reports`
reads its latest revision per period when dbt builds it. Revision numbers only
grow, and an outbox receives the next revision of a period only if it holds the
latest one the ledger knows (its manifest, with the same content hash): an
export to a new or lost outbox, or to another outbox than the one that received
the period's latest revision, is refused naming the outbox that received it, and
writes nothing. An export whose rows and completeness equal the latest
revision's writes nothing.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from psycopg import sql

from sources.checks import neutralise_formula
from warehouse.bootstrap import EXPORTER

# Version of the feed's layout (columns and manifest). Bump when a column is
# added, renamed or changes meaning, so the receiving system can tell.
FIS_SCHEMA_VERSION = "1.0"
DATASET = "fis.project_reports"
PERIOD = re.compile(r"^\d{4}(-Q[1-4])?$")

# The feed's columns, in order: warehouse.md (fis) plus the allocation marks
# and the enterprise name of Form A.III.1. `revision` is written per export (the file's own number).
COLUMNS = (
    "project_code", "tax_code", "enterprise_name", "report_period", "period_kind",
    "capital_realized_usd", "capital_realized_cum_usd", "revenue_vnd", "profit_before_tax_vnd",
    "exports_usd", "imports_usd", "employees_total", "employees_foreign", "taxes_paid_vnd",
    "leased_area_m2", "allocation_share", "is_allocated", "sources",
)
TEXT_COLUMNS = ("project_code", "tax_code", "enterprise_name", "report_period", "period_kind", "sources")


class ExportError(Exception):
    """An export that cannot be made; the message says why in one sentence."""


@dataclass
class ExportResult:
    period: str
    status: str  # written | unchanged
    revision: int
    folder: Path
    rows: int
    files: list[Path] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # project_code -> columns
    missing_inputs: list[str] = field(default_factory=list)  # empty: the period is complete

    def summary(self) -> str:
        if self.status == "unchanged":
            return (f"{self.period}: unchanged since revision {self.revision} ({self.rows} rows); "
                    f"nothing written")
        lines = [f"{self.period}: wrote revision {self.revision}, {self.rows} rows, to {self.folder}"]
        if self.missing_inputs:
            lines.append(f"  INCOMPLETE (\"complete\": false in the manifest); missing: {'; '.join(self.missing_inputs)}")
        if self.revision > 1:
            columns = sorted({c for cols in self.changed.values() for c in cols})
            lines.append(f"  changed since revision {self.revision - 1}: {len(self.changed)} project(s)"
                         + (f" in {', '.join(columns)}" if columns else ""))
            for code, cols in sorted(self.changed.items()):
                lines.append(f"    {code}: {', '.join(cols)}")
            if self.added:
                lines.append(f"  added: {', '.join(self.added)}")
            if self.removed:
                lines.append(f"  removed: {', '.join(self.removed)}")
        lines += [f"  {path.name}" for path in self.files]
        return "\n".join(lines)


# -- values ----------------------------------------------------------------------
def _plain(value):
    """A database value as JSON-safe data: exact decimals as int or float, dates as ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _cell(column: str, value) -> str:
    """A CSV cell: NULL is empty; text is neutralised against spreadsheet formulas (README, defect 6)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if column in TEXT_COLUMNS:
        return neutralise_formula(str(value))
    return str(value)


def content_hash(rows: list[dict]) -> str:
    """sha256 of the rows' figures, revision excluded: equal hashes mean nothing changed."""
    canonical = json.dumps([{c: row[c] for c in COLUMNS} for row in rows], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- outbox history -----------------------------------------------------------------
def period_folder(outbox: Path, period: str) -> Path:
    return Path(outbox) / "fis" / period


def revision_manifests(folder: Path) -> list[dict]:
    """Every revision's manifest found in the period folder, oldest first."""
    manifests = []
    for path in folder.glob("manifest_r*.json"):
        manifests.append(_read_manifest(path))
    return sorted(manifests, key=lambda m: m["revision"])


# What every revision's manifest holds that the ledger and the next revision read.
MANIFEST_KEYS = ("report_period", "revision", "exported_at", "rows", "content_sha256", "files")


def _read_manifest(path: Path) -> dict:
    """One manifest of the outbox, or an ExportError naming it: the outbox is the record of what was sent,
    so a damaged one is for a person to look at, never to skip or overwrite."""
    todo = ("restore it from the copy sent to the national system, or move the period's folder away and export "
            "to another --out")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path} cannot be read as a manifest ({exc}): {todo}") from None
    missing = [k for k in MANIFEST_KEYS if not isinstance(doc, dict) or k not in doc]
    if missing:
        raise ExportError(f"{path} is not a whole manifest (no {', '.join(missing)}): {todo}")
    return doc


def _data_file(folder: Path, manifest: dict, suffix: str) -> Path:
    name = next(f["name"] for f in manifest["files"] if f["name"].endswith(suffix))
    return folder / name


def _diff(previous: list[dict], current: list[dict]) -> tuple[list[str], list[str], dict[str, list[str]]]:
    before = {r["project_code"]: r for r in previous}
    after = {r["project_code"]: r for r in current}
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = {}
    for code in sorted(set(before) & set(after)):
        cols = [c for c in COLUMNS if before[code].get(c) != after[code].get(c)]
        if cols:
            changed[code] = cols
    return added, removed, changed


# -- ledger --------------------------------------------------------------------------
def sync_ledger(conn, outbox: Path) -> None:
    """Refill fis.export_revisions from the outbox manifests (a new database forgets nothing that was sent).

    Written as fdi_exporter, the ledger's owner (warehouse/roles.yaml): dbt only reads it."""
    root = Path(outbox).absolute() / "fis"
    if not root.exists():
        return
    if not root.is_dir():
        raise ExportError(f"{root} is a file, not a folder: move it away or export with another --out")
    with conn.transaction():
        conn.execute(sql.SQL("set local role {}").format(sql.Identifier(EXPORTER)))
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            for m in revision_manifests(folder):
                changes = m.get("changes") or {}
                conn.execute(
                    """insert into fis.export_revisions (report_period, revision, exported_at, row_count,
                                                         content_sha256, changed_projects, changed_columns,
                                                         manifest_path)
                       values (%s, %s, %s, %s, %s, %s, %s, %s)
                       on conflict (report_period, revision) do nothing""",
                    (m["report_period"], m["revision"], m["exported_at"], m["rows"], m["content_sha256"],
                     changes.get("changed_projects", []), changes.get("changed_columns", []),
                     str(folder / f"manifest_r{m['revision']}.json")))


def _ledger_latest(conn, period: str) -> tuple[int, str, str | None] | None:
    """(revision, content_sha256, manifest_path) of the period's latest revision in the ledger, or None."""
    return conn.execute("""select revision, content_sha256, manifest_path from fis.export_revisions
                           where report_period = %s order by revision desc limit 1""", (period,)).fetchone()


def _require_outbox_holds(outbox: Path, period: str, history: list[dict], ledger: tuple | None) -> None:
    """Refuse an export to an outbox that does not hold the period's latest revision the ledger knows.

    Such an outbox is new, lost, or not the one that received that revision. We refuse rather than
    restore the revision's files here: the outbox is the record of what was sent and what gets uploaded,
    so a second outbox with a copy of revision N invites sending N twice and splits the period's history
    in two; and the ledger does not hold all of what was sent (the completeness, the projects added,
    removed or changed per column), so a restored manifest would be a reconstruction, not that record.
    Writing the next revision here instead would give it a previous revision whose files are elsewhere
    (or nowhere) and changes that cannot be listed. The sentence names the outbox that received it."""
    if ledger is None:
        return
    revision, digest, manifest_path = ledger
    if any(m["revision"] == revision and m["content_sha256"] == digest for m in history):
        return
    if any(m["revision"] == revision for m in history):  # two histories of one period
        holds = f"holds a different revision {revision} of it"
    else:
        holds = f"holds revisions up to {history[-1]['revision']} of it" if history else "holds none of it"
    if not manifest_path:  # a ledger row written by hand
        raise ExportError(f"revision {revision} of {period} (fis.export_revisions) is in an outbox the ledger "
                          f"does not name, not in {outbox}, which {holds}: export to the outbox that holds it")
    manifest = Path(manifest_path)
    sent_to = manifest.parents[2] if len(manifest.parents) > 2 else manifest.parent  # <outbox>/fis/<period>/
    if manifest.exists():
        raise ExportError(f"revision {revision} of {period} (fis.export_revisions) is in the outbox {sent_to}, "
                          f"not in {outbox}, which {holds}: export with --out {sent_to}")
    raise ExportError(f"revision {revision} of {period} (fis.export_revisions) was written to the outbox "
                      f"{sent_to}, which no longer holds it ({manifest} is gone), and {outbox} {holds}: restore "
                      f"{manifest.parent} from a backup and export with --out {sent_to}")


def _require_folders(outbox: Path, period: str) -> None:
    """The outbox and its fis/<period> folders may be missing, but not files."""
    for path in (Path(outbox), Path(outbox) / "fis", period_folder(outbox, period)):
        if path.exists() and not path.is_dir():
            raise ExportError(f"{path} is a file, not a folder: move it away or export with another --out")


# -- export ------------------------------------------------------------------------
def fetch_rows(conn, period: str) -> list[dict]:
    exists = conn.execute("select to_regclass('fis.project_reports') is not null").fetchone()[0]
    if not exists:
        raise ExportError("fis.project_reports does not exist yet: run `fdi run` (dbt build) first")
    cur = conn.execute(
        f"select {', '.join(COLUMNS)} from fis.project_reports where report_period = %s order by project_code",
        (period,))
    return [{c: _plain(v) for c, v in zip(COLUMNS, row)} for row in cur.fetchall()]


def missing_inputs(conn, period: str) -> list[str]:
    """The period's missing inputs (fis.project_reports.missing_inputs); empty when it is complete.

    An input missing for the period (a month rejected, missing or not yet due) is on every project's row and
    is listed once, as written; records of one enterprise held back in quarantine are on its projects' rows
    only (`... 2024-06: 1 record of this enterprise quarantined`) and are listed per project, after them
    (`project 8896812063: labour/employment 2024-06: 1 record of this enterprise quarantined`)."""
    rows = conn.execute("select project_code, missing_inputs from fis.project_reports "
                        "where report_period = %s and missing_inputs is not null order by project_code",
                        (period,)).fetchall()
    period_wide: list[str] = []
    per_project: list[str] = []
    for project, text in rows:
        for item in text.split("; "):
            if item.endswith(" quarantined"):
                per_project.append(f"project {project}: {item}")
            elif item not in period_wide:
                period_wide.append(item)
    return period_wide + per_project


def refusal(period: str, missing: list[str], projects: int) -> str:
    """Why an incomplete period is not exported, as what to chase: the inputs not in force for the whole period
    (a delivery to ask the agency for, each named), then the records held back in quarantine summed per dataset
    (how many records, of how many of the period's projects, in which months), not listed project by project:
    a period of an economy with defects has hundreds of them, and the engineer chases a dataset, not a row."""
    period_wide = [item for item in missing if not item.startswith("project ")]
    held: dict[str, dict] = {}
    for item in missing:
        if not item.startswith("project "):
            continue
        # "project P: agency/dataset YYYY-MM: N record(s) of this enterprise quarantined"
        project, source, count = item.removeprefix("project ").split(": ", 2)
        dataset, month = source.rsplit(" ", 1)
        entry = held.setdefault(dataset, {"records": 0, "projects": set(), "months": set()})
        entry["records"] += int(count.split(" ", 1)[0])
        entry["projects"].add(project)
        entry["months"].add(month)
    parts = [f"{period} is incomplete, its figures would be short."]
    if period_wide:
        parts.append("Not in force for the period (ask the agency to deliver it; `fdi coverage` gives each "
                     "rejection's reason): " + "; ".join(period_wide) + ".")
    if held:
        def months(found: set[str]) -> str:
            first, last = min(found), max(found)
            return first if first == last else f"{first} to {last}"

        parts.append(
            "Records of the projects' enterprises held back in quarantine (a corrected delivery releases them; "
            "`fdi summary`, audit.quarantine): " + "; ".join(
                f"{dataset} {months(e['months'])}, {e['records']} record{'s' * (e['records'] != 1)} of "
                f"{len(e['projects'])} of the {projects} projects" for dataset, e in sorted(held.items())) + ".")
    parts.append("Export it anyway with --allow-incomplete: the manifest then says \"complete\": false and lists "
                 f"all {len(missing)} missing input{'s' * (len(missing) != 1)} (fis.project_reports.missing_inputs).")
    return " ".join(parts)


def export_period(conn, period: str, outbox: Path, now: dt.datetime | None = None, *,
                  allow_incomplete: bool = False) -> ExportResult:
    """Export one report period; write a new revision only when its rows or its completeness changed.

    An incomplete period (a month of an input rejected, missing or not yet due; records of a project's
    enterprise quarantined) would reach the national system as final: it is refused unless
    `allow_incomplete`, and then marked `"complete": false`."""
    if not PERIOD.match(period):
        raise ExportError(f"report period {period!r} is not YYYY-Qn or YYYY (e.g. 2024-Q3, 2024)")
    rows = fetch_rows(conn, period)
    if not rows:
        raise ExportError(f"fis.project_reports has no rows for {period}: nothing to export")
    missing = missing_inputs(conn, period)
    if missing and not allow_incomplete:
        raise ExportError(refusal(period, missing, len(rows)))
    _require_folders(outbox, period)
    folder = period_folder(outbox, period)
    sync_ledger(conn, outbox)
    history = revision_manifests(folder) if folder.exists() else []
    # After the sync the ledger knows every revision of this outbox; its latest must be here too.
    _require_outbox_holds(Path(outbox), period, history, _ledger_latest(conn, period))
    digest = content_hash(rows)
    latest = history[-1] if history else None
    if latest and latest["content_sha256"] == digest and latest.get("missing_inputs", []) == missing:
        return ExportResult(period, "unchanged", latest["revision"], folder, len(rows))

    revision = (latest["revision"] if latest else 0) + 1  # the ledger's latest is this outbox's
    previous_rows = (json.loads(_data_file(folder, latest, ".json").read_text())["rows"] if latest else [])
    added, removed, changed = _diff(previous_rows, rows) if latest else ([], [], {})
    for row in rows:
        row["revision"] = revision

    folder.mkdir(parents=True, exist_ok=True)
    stem = f"project_reports_{period}_r{revision}"
    csv_path, json_path = folder / f"{stem}.csv", folder / f"{stem}.json"
    header = [*COLUMNS, "revision"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180, as the agreement's csv
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(c, row[c]) for c in header])
    csv_path.write_text(buffer.getvalue(), encoding="utf-8")
    exported_at = (now or dt.datetime.now(dt.UTC)).astimezone().isoformat(timespec="seconds")
    json_path.write_text(json.dumps(
        {"dataset": DATASET, "schema_version": FIS_SCHEMA_VERSION, "report_period": period, "revision": revision,
         "columns": header, "rows": rows}, ensure_ascii=False, indent=1), encoding="utf-8")

    changed_columns = sorted({c for cols in changed.values() for c in cols})
    manifest = {
        "dataset": DATASET,
        "schema_version": FIS_SCHEMA_VERSION,
        "report_period": period,
        "revision": revision,
        "previous_revision": latest["revision"] if latest else None,
        "exported_at": exported_at,
        "rows": len(rows),
        "complete": not missing,
        "missing_inputs": missing,
        "content_sha256": digest,
        "files": [{"name": p.name, "rows": len(rows), "sha256": sha256_file(p)} for p in (csv_path, json_path)],
        "changes": {"added_projects": added, "removed_projects": removed,
                    "changed_projects": sorted(changed), "changed_columns": changed_columns,
                    "by_project": changed},
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2)
    (folder / f"manifest_r{revision}.json").write_text(text, encoding="utf-8")
    (folder / "manifest.json").write_text(text, encoding="utf-8")

    sync_ledger(conn, outbox)  # fis.project_reports.revision reads it at the next build
    return ExportResult(period, "written", revision, folder, len(rows), [csv_path, json_path,
                                                                         folder / "manifest.json"],
                        added, removed, changed, missing)


def verify_manifest(folder: Path) -> list[str]:
    """Problems of the latest manifest's files (missing, or sha256 differs); empty when they verify."""
    manifest = _read_manifest(folder / "manifest.json")
    problems = []
    for f in manifest["files"]:
        path = folder / f["name"]
        if not path.exists():
            problems.append(f"{f['name']}: missing")
        elif sha256_file(path) != f["sha256"]:
            problems.append(f"{f['name']}: sha256 differs from the manifest")
    return problems
