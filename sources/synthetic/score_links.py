"""Score entity resolution (marts.enterprise_links) against a generated economy's ground truth.

`<truth>/_truth/records.csv` names every source record's true enterprise
(sources/synthetic/truth.py); `lookalikes.csv` names pairs of different enterprises
planted to confuse the matcher. The report answers the targets of task 7.4:
precision and recall overall, per agency and per match method, recall on
records that carry no tax code, the worst errors, and links made across a
look-alike pair (which must be zero).

Truth is copied into a temporary table and scored in SQL, so a customs year
of millions of lines never passes through Python row by row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg

RECORD_COLUMNS = ("agency", "dataset", "period", "source_key", "enterprise_tax_code", "has_tax_code")


class TruthMissing(FileNotFoundError):
    pass


@dataclass(frozen=True)
class Score:
    """Counts of one slice of records; precision and recall derive from them."""
    label: str
    records: int        # loaded records with a known true enterprise
    linked: int         # of those, records linked to some enterprise
    correct: int        # linked to the true enterprise

    @property
    def precision(self) -> float | None:
        return self.correct / self.linked if self.linked else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.records if self.records else None


@dataclass(frozen=True)
class LinkError:
    agency: str
    dataset: str
    period: str
    source_key: str
    match_method: str
    match_score: float
    linked_tax_code: str | None
    true_tax_code: str


@dataclass
class LinkageReport:
    overall: Score
    by_agency: list[Score]
    by_method: list[Score]
    no_tax_code: Score
    lookalike_links: int
    worst_errors: list[LinkError] = field(default_factory=list)
    links_without_truth: int = 0
    unmatched: int = 0

    def meets_targets(self, precision: float = 0.995, recall: float = 0.97, no_code_recall: float = 0.90) -> bool:
        return ((self.overall.precision or 0) >= precision and (self.overall.recall or 0) >= recall
                and (self.no_tax_code.recall or 0) >= no_code_recall and self.lookalike_links == 0)


def _truth_file(truth: Path, name: str) -> Path:
    truth = Path(truth)
    for candidate in (truth / "_truth" / name, truth / name):
        if candidate.is_file():
            return candidate
    raise TruthMissing(f"No {name} under {truth} or {truth / '_truth'}; pass the folder `fdi generate --out` wrote.")


def _copy_csv(pg: psycopg.Connection, table: str, path: Path) -> None:
    with path.open("rb") as handle, pg.cursor() as cur:
        with cur.copy(f"copy {table} from stdin with (format csv, header true)") as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)


_SCORED = """
    create temporary table scored on commit drop as
    select l.agency, l.dataset, l.period, l.source_key, l.match_method, l.match_score::float8 as match_score,
           substr(l.enterprise_id, 3) as linked_tax_code, t.enterprise_tax_code as true_tax_code,
           t.has_tax_code = 1 as has_tax_code,
           l.enterprise_id is not null as linked,
           substr(l.enterprise_id, 3) = t.enterprise_tax_code as correct,
           t.enterprise_tax_code is not null as in_truth
    from marts.enterprise_links as l
    left join (
        select distinct on (agency, dataset, period, source_key) *
        from truth_records order by agency, dataset, period, source_key
    ) as t using (agency, dataset, period, source_key)
"""


def _scores(pg: psycopg.Connection, slice_sql: str, where: str = "true") -> list[Score]:
    rows = pg.execute(f"""
        select {slice_sql} as label, count(*), count(*) filter (where linked), count(*) filter (where correct)
        from scored where in_truth and {where} group by 1 order by 1""").fetchall()
    return [Score(str(label), n, linked, correct) for label, n, linked, correct in rows]


def score_links(conninfo: str, truth: Path, *, worst: int = 20) -> LinkageReport:
    """Score marts.enterprise_links of the warehouse at `conninfo` against `<truth>/_truth/`."""
    records = _truth_file(truth, "records.csv")
    lookalikes = _truth_file(truth, "lookalikes.csv")
    with psycopg.connect(conninfo) as pg, pg.transaction():
        pg.execute("""create temporary table truth_records (agency text, dataset text, period text, source_key text,
                      enterprise_tax_code text, has_tax_code int) on commit drop""")
        pg.execute("create temporary table truth_lookalikes (tax_code_a text, tax_code_b text, kind text) on commit drop")
        _copy_csv(pg, "truth_records", records)
        _copy_csv(pg, "truth_lookalikes", lookalikes)
        pg.execute("analyze truth_records")
        pg.execute(_SCORED)
        overall = _scores(pg, "'all'")
        by_agency = _scores(pg, "agency")
        by_method = [s for s in _scores(pg, "match_method")]
        # registry.investors carry no tax code but follow their project's link;
        # the no-code target is about records matched on their own name
        no_code = _scores(pg, "'no tax code'", "not has_tax_code and (agency, dataset) <> ('registry', 'investors')")
        lookalike_links = pg.execute("""
            select count(*) from scored as s join truth_lookalikes as p
              on (p.tax_code_a, p.tax_code_b) in ((s.linked_tax_code, s.true_tax_code), (s.true_tax_code, s.linked_tax_code))
            where s.linked and not s.correct""").fetchone()[0]
        errors = pg.execute("""
            select agency, dataset, period, source_key, match_method, match_score, linked_tax_code, true_tax_code
            from scored where in_truth and linked and not correct
            order by match_score desc, agency, dataset, period, source_key limit %s""", (worst,)).fetchall()
        if len(errors) < worst:  # then the unmatched records, the other kind of error
            errors += pg.execute("""
                select agency, dataset, period, source_key, match_method, match_score, linked_tax_code, true_tax_code
                from scored where in_truth and not linked
                order by agency, dataset, period, source_key limit %s""", (worst - len(errors),)).fetchall()
        without_truth = pg.execute("select count(*) from scored where not in_truth").fetchone()[0]
        unmatched = pg.execute("select count(*) from scored where not linked").fetchone()[0]
    empty = Score("all", 0, 0, 0)
    return LinkageReport(
        overall=overall[0] if overall else empty,
        by_agency=by_agency,
        by_method=by_method,
        no_tax_code=no_code[0] if no_code else Score("no tax code", 0, 0, 0),
        lookalike_links=lookalike_links,
        worst_errors=[LinkError(*row) for row in errors],
        links_without_truth=without_truth,
        unmatched=unmatched,
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def format_report(report: LinkageReport) -> str:
    """The report as the plain-text table `fdi linkage-report` prints."""
    lines = [f"{'slice':<24}{'records':>10}{'linked':>10}{'correct':>10}{'precision':>11}{'recall':>9}"]

    def row(score: Score, label: str | None = None) -> None:
        lines.append(f"{label or score.label:<24}{score.records:>10}{score.linked:>10}{score.correct:>10}"
                     f"{_pct(score.precision):>11}{_pct(score.recall):>9}")

    row(report.overall, "overall")
    row(report.no_tax_code, "without tax code (*)")
    lines.append("by agency")
    for score in report.by_agency:
        row(score, f"  {score.label}")
    lines.append("by match method")
    for score in report.by_method:
        row(score, f"  {score.label}")
    lines.append("(*) records carrying no tax code, registry investors excepted (they follow their project)")
    lines.append("")
    lines.append(f"links across look-alike pairs: {report.lookalike_links}")
    lines.append(f"unmatched records: {report.unmatched}; links with no truth record: {report.links_without_truth}")
    verdict = "met" if report.meets_targets() else "NOT met"
    lines.append(f"targets (precision >= 99.5%, recall >= 97%, no-code recall >= 90%, 0 look-alike links): {verdict}")
    if report.worst_errors:
        lines.append("")
        lines.append("worst errors (wrong links by score, then unmatched)")
        lines.append(f"  {'agency.dataset':<24}{'period':<9}{'source_key':<34}{'method':<19}{'score':>6}  linked -> true")
        for e in report.worst_errors:
            lines.append(f"  {e.agency + '.' + e.dataset:<24}{e.period:<9}{e.source_key[:33]:<34}{e.match_method:<19}"
                         f"{e.match_score:>6.3f}  {e.linked_tax_code or '-'} -> {e.true_tax_code}")
    return "\n".join(lines)
