"""`fdi coverage`: the grid of datasets × periods from marts.dataset_coverage, and the gaps to chase."""
from __future__ import annotations

from collections import defaultdict

import click

from pipelines.cli.root import connected, main

# A year whose legal deadline has not come (the CIT returns and disclosures, due by the end of March) is no gap:
# no agency can have delivered it. It is listed apart, with what waits on it, and never counted as one to chase.
NOT_YET_DUE = "not yet due"
MARKS = {"complete": "✓", "empty": "·", "rejected": "✗", "missing": "?", NOT_YET_DUE: "…"}
LEGEND = "✓ complete  · complete, empty  ✗ rejected  ? missing  … not yet due"


def _coverage_rows(pg, agency: str | None, year: int | None) -> list[tuple]:
    if not pg.execute("select to_regclass('marts.dataset_coverage') is not null").fetchone()[0]:
        raise click.UsageError("marts.dataset_coverage does not exist yet: run `fdi run` (dbt build) first")
    return pg.execute(
        """select agency, dataset, grain, period, status, rows_in_force, reason
           from marts.dataset_coverage
           where (%(agency)s::text is null or agency = %(agency)s) and (%(year)s::int is null or left(period, 4)::int = %(year)s)
           order by agency, dataset, period""", {"agency": agency, "year": year}).fetchall()


def _mark(status: str, rows: int | None) -> str:
    return MARKS["empty" if status == "complete" and rows == 0 else status]


def grid_lines(rows: list[tuple]) -> list[str]:
    """One block per year: a line per dataset, a column per month (annual datasets in the `year` column)."""
    cells: dict[str, dict[tuple[str, str], dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for agency, dataset, grain, period, status, n, _ in rows:
        column = period[5:] if grain == "month" else "year"
        cells[period[:4]][(agency, dataset)][column] = _mark(status, n)
    columns = [f"{m:02d}" for m in range(1, 13)] + ["year"]
    width = max((len(f"{a}/{d}") for block in cells.values() for a, d in block), default=10) + 2
    lines = []
    for year in sorted(cells):
        lines.append(f"{year:<{width}}" + " ".join(f"{c:>2}" for c in columns))
        for (agency, dataset), marks in sorted(cells[year].items()):
            lines.append(f"{agency + '/' + dataset:<{width}}" + " ".join(f"{marks.get(c, ''):>2}" for c in columns))
        lines.append("")
    return lines


def waiting_judgements(pg, status: str | None = None) -> dict[tuple[str, str, str], dict[str, int]]:
    """Per missing period, the findings each rule holds back until it arrives (risk.judgements_waiting); with
    `status`, only what waits on periods of that status (`quarantined`: rows held back in a delivery in force)."""
    if not pg.execute("select to_regclass('risk.judgements_waiting') is not null").fetchone()[0]:
        return {}
    waiting: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for agency, dataset, period, rule, n in pg.execute(
            """select agency, dataset, waits_on_period, rule_code, count(distinct (enterprise_id, period))
               from risk.judgements_waiting where %(status)s::text is null or waits_on_status = %(status)s
               group by 1, 2, 3, 4 order by 1, 2, 3, 4""", {"status": status}):
        waiting[(agency, dataset, period)][rule] = n
    return waiting


def _findings(rules: dict[str, int]) -> str:
    total = sum(rules.values())
    return (f"{total} possible finding{' waits' if total == 1 else 's wait'} on it ("
            + ", ".join(f"{rule} {n}" for rule, n in rules.items()) + ")")


def quarantine_hold_lines(held: dict[tuple[str, str, str], dict[str, int]], agency: str | None = None,
                          year: int | None = None) -> list[str]:
    """Periods complete in the grid whose rows held in quarantine hold findings back (a disclosure line that
    may name the party REL01 would call undisclosed): the agency's corrected rows are as worth chasing as a gap."""
    return [f"  ! {a}/{d} {period}: rows of the delivery in force held in quarantine; {_findings(rules)}"
            for (a, d, period), rules in sorted(held.items())
            if (agency is None or a == agency) and (year is None or period[:4] == str(year))]


def gap_lines(rows: list[tuple], waiting: dict[tuple[str, str, str], dict[str, int]] | None = None) -> list[str]:
    """Every rejected or missing period, with the rejection's sentence: what to ask the agencies for, and how
    many findings wait on it (a delivery that decides cases is the one to chase first)."""
    return _period_lines(rows, waiting, {"rejected", "missing"})


def not_due_lines(rows: list[tuple], waiting: dict[tuple[str, str, str], dict[str, int]] | None = None) -> list[str]:
    """Every year not yet due, with when it is and the findings that wait on it: nothing to chase yet."""
    return _period_lines(rows, waiting, {NOT_YET_DUE})


def _period_lines(rows: list[tuple], waiting: dict[tuple[str, str, str], dict[str, int]] | None,
                  statuses: set[str]) -> list[str]:
    out = []
    for agency, dataset, _, period, status, _, reason in rows:
        if status in statuses:
            rules = (waiting or {}).get((agency, dataset, period), {})
            held = f"; {_findings(rules)}" if rules else ""
            said = {"rejected": reason, "missing": "nothing delivered"}.get(status, f"{status} ({reason})")
            out.append(f"  {MARKS[status]} {agency}/{dataset} {period}: " + (said.rstrip(".") + held if held else said))
    return out


# A rejected delivery `r` of a period whose delivery in force is `f` was a correction of it (extracted after
# it, or when unknown): `f` stays in force because `r` failed. Otherwise `f` is a later delivery that replaced r.
REJECTED_CORRECTION = "(r.extracted_at is null or r.extracted_at > f.extracted_at)"


def rejected_correction_lines(pg, agency: str | None = None, year: int | None = None) -> list[str]:
    """Periods complete in the grid whose later delivery (a correction) was rejected: the agency has said the
    figures in force are wrong, so they are to chase as much as a gap is, though the grid shows ✓."""
    rows = pg.execute(
        f"""select r.agency, r.dataset, r.period, r.reason, f.delivery_id
           from audit.deliveries as r
           join audit.deliveries as f
             on (f.agency, f.dataset, f.period) = (r.agency, r.dataset, r.period) and f.status = 'loaded'
           where r.status = 'rejected' and {REJECTED_CORRECTION}
             and (%(agency)s::text is null or r.agency = %(agency)s)
             and (%(year)s::int is null or left(r.period, 4) = %(year)s::text)
             -- the latest rejected correction of each period
             and not exists (select 1 from audit.deliveries as later
                             where (later.agency, later.dataset, later.period) = (r.agency, r.dataset, r.period)
                               and later.status = 'rejected' and later.received_at > r.received_at)
           order by 1, 2, 3""", {"agency": agency, "year": year}).fetchall()
    return [f"  ! {a}/{d} {period}: a correction was rejected ({reason}); delivery {in_force} stays in force"
            for a, d, period, reason, in_force in rows]


def print_gaps(pg) -> None:
    """The end of `fdi summary`: the gaps, or that there are none."""
    if not pg.execute("select to_regclass('marts.dataset_coverage') is not null").fetchone()[0]:
        return
    rows, waiting = _coverage_rows(pg, None, None), waiting_judgements(pg)
    gaps = gap_lines(rows, waiting)
    click.echo(f"\nCoverage gaps ({len(gaps)}; `fdi coverage` shows the grid)" if gaps
               else "\nCoverage: every period due of every dataset is complete")
    for line in gaps + rejected_correction_lines(pg) + quarantine_hold_lines(waiting_judgements(pg, "quarantined")):
        click.echo(line)
    _echo_not_due(not_due_lines(rows, waiting))


def _echo_not_due(lines: list[str]) -> None:
    if lines:
        click.echo(f"Not yet due, nothing to chase (the law's deadline has not come by the data's clock): {len(lines)}")
        for line in lines:
            click.echo(line)


@main.command(help="Print the coverage grid of the agreement's datasets × periods (marts.dataset_coverage): "
                   f"{LEGEND}; then list every gap to chase, with the rejection's reason and the possible findings "
                   "that wait on it (risk.judgements_waiting: cases a rule neither flags nor clears until the period "
                   "arrives), every period whose correction was rejected while its earlier delivery stays in "
                   "force, every period complete in the grid whose rows held in quarantine hold findings back, and "
                   "every year not yet due (the CIT returns and related-party disclosures are due by the end of "
                   "March after their year: not a gap, but its findings wait too).")
@click.option("--agency", type=click.Choice(["registry", "tax", "customs", "land", "labour", "credit", "fx"]),
              default=None, help="Only this agency's datasets.")
@click.option("--year", type=click.IntRange(2000, 2100), default=None, help="Only this year's periods.")
def coverage(agency: str | None, year: int | None) -> None:
    with connected() as pg:
        rows = _coverage_rows(pg, agency, year)
        corrections = rejected_correction_lines(pg, agency, year)
        waiting = waiting_judgements(pg)
        held = quarantine_hold_lines(waiting_judgements(pg, "quarantined"), agency, year)
    if not rows:
        click.echo("No coverage rows: no delivery has been loaded for this selection.")
        return
    click.echo(f"Coverage  ({LEGEND})\n")
    for line in grid_lines(rows):
        click.echo(line)
    gaps = gap_lines(rows, waiting)
    click.echo(f"Gaps: {len(gaps)}" if gaps else "No gaps: every period due is complete.")
    for line in gaps:
        click.echo(line)
    if corrections:
        click.echo(f"Corrections rejected, the earlier delivery in force (✓ above): {len(corrections)}")
        for line in corrections:
            click.echo(line)
    if held:
        click.echo(f"Rows held in quarantine that findings wait on (✓ above; the rows are in audit.quarantine): {len(held)}")
        for line in held:
            click.echo(line)
    _echo_not_due(not_due_lines(rows, waiting))
