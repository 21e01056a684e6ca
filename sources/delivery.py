"""One delivery folder: its manifest, the file checks, and the stream of checked rows.

README "Delivery layout": `<landing>/<agency>/<dataset>/<period>/manifest.json`
plus the data files it lists. Faults that break the delivery as a whole raise
`DeliveryFault` with one sentence naming the file; the caller loads nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from sources import formats
from sources.checks import CheckContext, CheckedBatch, check_batch
from sources.contract import SCHEMA_VERSION, Dataset
from sources.contract import dataset as contract_dataset
from sources.faults import ASK_AGAIN, DeliveryFault

_UUIDISH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{5,127}$")


@dataclass(frozen=True)
class ManifestFile:
    name: str
    sha256: str
    rows: int


@dataclass(frozen=True)
class Manifest:
    agency: str
    dataset: str
    period: str
    schema_version: str
    delivery_id: str
    extracted_at: dt.datetime
    files: tuple[ManifestFile, ...]
    raw: dict

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


def folder_identity(folder: Path) -> tuple[str, str, str]:
    """(agency, dataset, period) from `<landing>/<agency>/<dataset>/<period>`."""
    return folder.parent.parent.name, folder.parent.name, folder.name


def landing_of(folder: Path) -> Path:
    """The landing folder a `<landing>/<agency>/<dataset>/<period>` delivery folder lies in."""
    return Path(folder).parent.parent.parent


def _inside(path: Path, root: Path) -> bool:
    """`path`, every symbolic link followed, lies in `root` (also resolved)."""
    return Path(path).resolve().is_relative_to(Path(root).resolve())


def check_containment(folder: Path) -> None:
    """The loader reads only the landing folder: a period folder (or the agency or
    dataset folder above it) that is a symbolic link leading elsewhere is refused."""
    if not _inside(folder, landing_of(folder)):
        raise DeliveryFault(f"{folder} is a symbolic link leading outside the landing folder "
                            f"(to {Path(folder).resolve()}); the loader reads only the landing folder.")


def _check_file_name(path: Path, folder: Path, name: str) -> None:
    pure = PurePosixPath(name)
    if (not name or pure.is_absolute() or "\\" in name or PureWindowsPath(name).is_absolute()
            or ".." in pure.parts or pure.name != name):
        raise DeliveryFault(f"{path}: the manifest names the file {name!r}, which is not a plain file name in the "
                            "delivery folder; the loader reads only the delivery folder.")
    target = folder / name
    if target.is_symlink() and not _inside(target, landing_of(folder)):
        raise DeliveryFault(f"{name} is a symbolic link leading outside the landing folder (to {target.resolve()}); "
                            "the loader reads only the landing folder.")


def read_manifest(folder: Path) -> Manifest:
    path = folder / "manifest.json"
    check_containment(folder)
    if not path.exists():
        raise DeliveryFault(f"{folder}: manifest.json is missing; the agency must deliver one with the data files.")
    _check_file_name(path, folder, "manifest.json")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeliveryFault(f"{path}: manifest.json is not valid UTF-8 JSON ({exc}).") from exc
    missing = [k for k in ("agency", "dataset", "period", "schema_version", "delivery_id", "extracted_at", "files")
               if k not in doc]
    if missing:
        raise DeliveryFault(f"{path}: manifest.json lacks {', '.join(missing)}.")
    agency, ds_name, period = folder_identity(folder)
    if (doc["agency"], doc["dataset"], doc["period"]) != (agency, ds_name, period):
        raise DeliveryFault(
            f"{path}: manifest says {doc['agency']}/{doc['dataset']}/{doc['period']} "
            f"but lies in the folder {agency}/{ds_name}/{period}."
        )
    if str(doc["schema_version"]).split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise DeliveryFault(f"{path}: schema_version {doc['schema_version']} is not compatible with {SCHEMA_VERSION}.")
    if not _UUIDISH.match(str(doc["delivery_id"])):
        raise DeliveryFault(f"{path}: delivery_id {doc['delivery_id']!r} is not a usable identifier.")
    try:
        extracted = dt.datetime.fromisoformat(str(doc["extracted_at"]))
    except ValueError as exc:
        raise DeliveryFault(f"{path}: extracted_at {doc['extracted_at']!r} is not an ISO timestamp.") from exc
    if extracted.tzinfo is None:
        raise DeliveryFault(f"{path}: extracted_at {doc['extracted_at']!r} has no UTC offset (Vietnam is +07:00).")
    try:
        files = tuple(ManifestFile(str(f["name"]), str(f["sha256"]).lower(), int(f["rows"])) for f in doc["files"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DeliveryFault(f"{path}: each file entry needs name, sha256 and rows ({exc}).") from exc
    if not files:
        raise DeliveryFault(f"{path}: the manifest lists no files.")
    seen: set[str] = set()
    for entry in files:
        _check_file_name(path, folder, entry.name)
        if entry.name in seen:
            raise DeliveryFault(f"{path}: the manifest lists {entry.name} twice; a delivery lists each file once.")
        seen.add(entry.name)
    _check_not_ahead(path, period, extracted)
    _check_extracted_not_in_future(path, extracted)
    return Manifest(agency, ds_name, period, str(doc["schema_version"]), str(doc["delivery_id"]),
                    extracted, files, doc)


def _check_not_ahead(path: Path, period: str, extracted: dt.datetime) -> None:
    """README "Known defects" 5, dates in the future: a period that begins after
    the extract was taken cannot hold facts yet (2031-01 extracted in 2022)."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", period)
    if not match:
        return  # the period's own shape is checked against the dataset's grain
    year, month = int(match.group(1)), int(match.group(2) or 1)
    if not 1 <= month <= 12:
        return
    if dt.date(year, month, 1) > extracted.date():
        raise DeliveryFault(f"{path}: period {period} begins after the extract was taken "
                            f"({extracted.date().isoformat()}); a delivery cannot report the future.")


# A day's grace for the agencies' clocks and time zones; beyond it the timestamp is a typo.
EXTRACT_CLOCK_GRACE = dt.timedelta(days=1)


def _check_extracted_not_in_future(path: Path, extracted: dt.datetime, now: dt.datetime | None = None) -> None:
    """Later extracts win (README "Later extracts win"): a delivery stamped in the future (2099 for 2025) would
    win over every real correction of its period, each superseded on arrival. Refused whole, so the agency
    sends the period again with its true timestamp."""
    now = now or dt.datetime.now(dt.UTC)
    if extracted > now + EXTRACT_CLOCK_GRACE:
        raise DeliveryFault(f"{path}: extracted_at {extracted.isoformat()} is later than this server's clock "
                            f"({now.astimezone(extracted.tzinfo).isoformat(timespec='seconds')}); an extract cannot "
                            "be taken in the future, and a later extract wins over every correction: ask the agency "
                            "to deliver the period again with the time it was really extracted.")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Delivery:
    """A delivery folder checked against its manifest and its dataset's contract."""

    folder: Path
    dataset: Dataset
    manifest: Manifest
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0

    @classmethod
    def open(cls, folder: Path) -> Delivery:
        folder = Path(folder)
        agency, ds_name, period = folder_identity(folder)
        try:
            ds = contract_dataset(agency, ds_name)
        except KeyError as exc:
            raise DeliveryFault(f"{folder}: no dataset {agency}/{ds_name} in the agreement.") from exc
        if not re.match(ds.period_pattern(), period):
            raise DeliveryFault(f"{folder}: period {period!r} is not a {ds.grain}ly period (YYYY{'-MM' if ds.grain == 'month' else ''}).")
        return cls(folder, ds, read_manifest(folder))

    @property
    def delivery_id(self) -> str:
        return self.manifest.delivery_id

    def verify_files(self) -> None:
        """Existence, emptiness and sha256 of every file, before any row is read; a file the manifest does not
        list is not loaded, and said so (it may be rows the agency meant to send)."""
        listed = {entry.name for entry in self.manifest.files} | {"manifest.json"}
        for path in sorted(self.folder.iterdir()):
            if path.is_file() and not path.name.startswith(".") and path.name not in listed:
                self.warnings.append(f"{path.name} lies in the delivery folder but the manifest does not list it: "
                                     "not loaded; ask the agency whether it belongs to the delivery.")
        for entry in self.manifest.files:
            path = self.folder / entry.name
            _check_file_name(self.folder / "manifest.json", self.folder, entry.name)
            if not path.is_file():
                raise DeliveryFault(f"{entry.name}: listed in the manifest but missing from {self.folder}; "
                                    f"{ASK_AGAIN}")
            # A period with nothing to report is delivered as an empty file: zero
            # bytes is exactly that for JSONL, which has no header line (README,
            # "Delivery layout"). CSV and XLSX need their header even when empty.
            if path.stat().st_size == 0 and (entry.rows > 0 or self.dataset.format != "jsonl"):
                promise = (f"the manifest promises {entry.rows} rows" if entry.rows > 0
                           else f"a {self.dataset.format} file needs its header row even with no data")
                raise DeliveryFault(f"{entry.name} is empty (0 bytes); {promise}: {ASK_AGAIN}")
            actual = sha256_of(path)
            if actual != entry.sha256:
                raise DeliveryFault(
                    f"{entry.name}: sha256 {actual[:12]}… does not match the manifest's {entry.sha256[:12]}…; "
                    f"the file changed after the manifest was written or arrived damaged: {ASK_AGAIN}"
                )

    def _columns(self, path: Path, header: list[str]) -> None:
        present = set(header)
        missing = [c for c in self.dataset.required_columns if c not in present]
        if missing:
            raise DeliveryFault(
                f"{path.name}: required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                f"missing (found: {', '.join(header) or 'no header'}): {ASK_AGAIN}"
            )
        unknown = [c for c in header if c not in set(self.dataset.column_names)]
        if unknown:
            self.warnings.append(f"{path.name}: unknown column{'s' if len(unknown) > 1 else ''} "
                                 f"{', '.join(unknown)} ignored (schema drift).")

    def _file_batches(self, path: Path):
        fmt = self.dataset.format
        if fmt == "xlsx":
            header, batches = formats.read_xlsx_header_and_rows(path, self.dataset.sheet or self.dataset.name)
        elif fmt == "jsonl":
            header, batches = formats.read_jsonl(path)
            if not header:
                return batches  # JSONL names its columns in each object: an empty file has none to miss
        else:
            header = formats.read_header(path, fmt)
            batches = formats.read_ahead(formats.read_csv(path, fmt, header))
        self._columns(path, header)
        return batches

    def batches(self) -> Iterator[CheckedBatch]:
        """Checked batches of every file in manifest order; row numbers run on across files.

        The row-count check of a file runs after its last batch, so a caller
        loading inside one transaction rolls everything back on a mismatch.
        """
        ctx = CheckContext(
            period=self.manifest.period,
            extracted_at=self.manifest.extracted_at.date(),
            vn_locale=self.dataset.format == "csv-vn",
        )
        next_row = 1
        for entry in self.manifest.files:
            path = self.folder / entry.name
            rows_in_file = 0
            for batch in self._file_batches(path):
                if batch.num_rows == 0:
                    continue
                checked = check_batch(batch, self.dataset, ctx, next_row)
                next_row += batch.num_rows
                rows_in_file += batch.num_rows
                self.rows_read += batch.num_rows
                yield checked
            if rows_in_file != entry.rows:
                raise DeliveryFault(
                    f"{entry.name}: {rows_in_file} data rows, but the manifest says {entry.rows}; "
                    f"the file is incomplete or the manifest is wrong: {ASK_AGAIN}"
                )


def find_deliveries(landing: Path) -> list[Path]:
    """Every `<agency>/<dataset>/<period>` folder under the landing folder that holds a manifest."""
    return sorted(p.parent for p in Path(landing).glob("*/*/*/manifest.json"))
