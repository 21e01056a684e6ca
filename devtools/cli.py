"""The development tools' commands (`fdi generate`, `fdi demo`, `fdi bench`, `fdi linkage-report`,
`fdi evaluate`), plugged into `fdi` through the entry-point group `fdi.commands`. They need the simulated
economy (`sources.synthetic`), which production code never imports."""
from __future__ import annotations

from pathlib import Path

import click

from pipelines.cli.coverage import LEGEND
from pipelines.cli.database import bootstrap_warehouse
from pipelines.cli.loading import print_summary
from pipelines.cli.root import connected, settings, years_option


@click.command(help="Write a whole, coherent Hải Phòng economy as agency deliveries, in the landing layout of the "
                    "agreement (<out>/<agency>/<dataset>/<period>/ with manifests), and its ground truth in "
                    "<out>/_truth/. The same seed gives the same bytes.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write into (the landing folder to pass to `fdi run`).")
@click.option("--enterprises", type=click.IntRange(1, 1_000_000), default=200, show_default=True,
              help="Number of enterprises, FDI and domestic.")
@click.option("--years", default="2023-2024", show_default=True, callback=years_option,
              help="Year or range of years to deliver, e.g. 2019-2024.")
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed; fixes every byte of the output.")
@click.option("--defects", type=click.FloatRange(0, 0.5), default=None,
              help="Share of rows and deliveries given a known defect (README 'Known defects'); default 0.02.")
@click.option("--loss-rate", type=click.FloatRange(0, 0.58), default=None,
              help="Share of enterprise-years with an honest operating loss (start-up, downturn, one-off; recorded "
                   "in _truth/honest_losses.csv; start-up years, and a new plant's years of building before its "
                   "first sale, come on top); default 0.55, near the 56 % of "
                   "Vietnam's FDI enterprises that reported a loss in FY2023. At most 0.58: past its start-up years "
                   "an honest loss run lasts at most two years.")
@click.option("--gaps", type=click.FloatRange(0, 0.5), default=0.0, show_default=True,
              help="Thin the deliveries as real agencies do: this share of monthly periods, and of the years of "
                   "the tax department's CIT returns and related-party disclosures, is withheld (moved to "
                   "<out>/_withheld/), and each snapshot dataset is delivered only in January and July with "
                   "probability one half; listed in _truth/gaps.csv. 0 leaves every period delivered.")
@click.option("--workers", type=click.IntRange(0, 64), default=0, show_default=True,
              help="Processes writing the deliveries at once (customs months first, then the other agencies' deliveries); "
                   "0: one per core. The output does not depend on it.")
@click.option("--edge-cases", is_flag=True,
              help="Also plant, for each rule where a margin means something, cases just past its threshold and "
                   "look-alikes just inside it (band `edge` in _truth/scenarios.csv; `fdi evaluate` reports them "
                   "apart). Off: the same bytes as without the option.")
def generate(out: Path, enterprises: int, years: tuple[int, int], seed: int, defects: float | None,
             loss_rate: float | None, gaps: float, workers: int, edge_cases: bool) -> None:
    from sources.synthetic.generator import DEFAULT_DEFECT_RATE, GenerateOptions
    from sources.synthetic.generator import generate as run_generate
    from sources.synthetic.losses import DEFAULT_LOSS_RATE

    options = GenerateOptions(out=out, enterprises=enterprises, years=years, seed=seed,
                              defects=DEFAULT_DEFECT_RATE if defects is None else defects,
                              loss_rate=DEFAULT_LOSS_RATE if loss_rate is None else loss_rate, gaps=gaps,
                              workers=workers, edge_cases=edge_cases)
    run_generate(options, progress=lambda msg: click.echo(f"· {msg}"))
    click.echo(f"deliveries in {out}, ground truth in {out / '_truth'}")


@click.command(help="Generate a small economy under FDI_HOME, run the whole pipeline on it, and print the summary.")
@click.option("--enterprises", type=click.IntRange(1, 10_000), default=120, show_default=True)
@click.option("--years", default="2024", show_default=True, callback=years_option)
# Seed 3 plants two broken deliveries among the 136 of the default economy (a legacy encoding, a row count
# short of its manifest), so the demo shows a rejection named as planted and a gap in the coverage; seed 42,
# the generator's default, plants none at this size.
@click.option("--seed", type=int, default=3, show_default=True,
              help="Random seed of the economy (the default plants two broken deliveries).")
@click.option("--verbose", is_flag=True,
              help="Stream the generator's steps, dbt's node-by-node log and the libraries' logs; without it, "
                   "one line per dataset and one for the dbt build (every failing node is still named).")
def demo(enterprises: int, years: tuple[int, int], seed: int, verbose: bool) -> None:
    from pipelines.run import run_pipeline
    from sources.synthetic.generator import GenerateOptions
    from sources.synthetic.generator import generate as run_generate

    landing = settings().home / "demo" / "landing"
    click.echo(f"· generating {enterprises} enterprises, {years[0]}-{years[1]}, into {landing}")
    run_generate(GenerateOptions(out=landing, enterprises=enterprises, years=years, seed=seed),
                 progress=(lambda msg: click.echo(f"· {msg}")) if verbose else (lambda _: None))
    bootstrap_warehouse()
    outcome = run_pipeline(landing, progress=lambda msg: click.echo(f"· {msg}"), verbose=verbose)
    print_summary(every_table=verbose)
    _print_planted_rejections(landing, outcome.rejected)
    click.echo(f"\nCoverage grid: fdi coverage    ({LEGEND})")
    click.echo(f"\nDagster UI on the same definitions: make ui    (landing folder: FDI_LANDING={landing})")
    login, password = _demo_login()
    click.echo(f"Reviewers' workbench: fdi serve, then open http://127.0.0.1:8080/ and log in as {login} "
               f"with the password {password} (a monitor; made anew by each demo)")
    if outcome.failed_checks or not outcome.dbt_success:
        raise SystemExit(1)


DEMO_LOGIN = "demo_monitor"


def _demo_login() -> tuple[str, str]:
    """A monitoring-staff login for the demo's workbench, with a fresh random password."""
    import secrets

    import psycopg
    from psycopg import sql

    from warehouse.bootstrap import create_login
    from warehouse.server import connect_info

    password = secrets.token_urlsafe(9)
    with psycopg.connect(connect_info(settings()).conninfo, autocommit=True) as pg:
        pg.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(DEMO_LOGIN)))
        create_login(pg, DEMO_LOGIN, password, "monitor")
    return DEMO_LOGIN, password


@click.command(help="Benchmark ingestion of customs declarations: generate at scale, then time parse, validate, "
                    "ingest (verify, check, COPY, audit), the blocking GX check, the whole GX suite and a bare COPY "
                    "of the same rows on the same server; report rows/s, peak memory per stage, and as shares of "
                    "bare COPY speed: ingest alone, and delivery-to-validated (ingest plus the blocking GX check). "
                    "With --dbt, benchmark the warehouse build instead: load a whole economy of every agency over "
                    "--years but its last month and that year's annual deliveries (they come after the year, so "
                    "December's build never has them), time the full `dbt build`, vacuum (as autovacuum does in "
                    "the month between two builds), deliver one new month and time the incremental build, then the "
                    "same build with nothing new (the floor under a month's build), and "
                    "report generate and load times, both builds, their ratio, the slowest ten nodes of each, the "
                    "longest chain of nodes of each (what sets a build's length on dbt's threads), the month's "
                    "node time split by what each node pays for (the floor every build pays, the month's own "
                    "work, a year or a whole table rebuilt for it, the tests), what the "
                    "incremental customs fact wrote, the database's size and the peak memory of each process "
                    "(this one, dbt, the generator's workers, the PostgreSQL server) per stage; with --repeat N, "
                    "N runs and their median ratios (one run's ratio swings by several points here).")
@click.option("--enterprises", type=click.IntRange(1, 1_000_000), default=5000, show_default=True)
@click.option("--months", type=click.IntRange(1, 12), default=1, show_default=True,
              help="Months of declarations to generate (2024); ingest_all loads them all.")
@click.option("--rows", type=click.IntRange(1000, 100_000_000), default=None,
              help="Instead, one synthetic month of exactly this many lines (the economy's trade, cycled).")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--repeat", type=click.IntRange(1, 20), default=None,
              help="Runs of each stage but the whole GX suite (parse, validate, ingest, GX check, bare COPY); the "
                   "median is reported. [default: 3] With --dbt: runs of the whole dbt bench, each on a fresh "
                   "database, with each run's builds and the median ratios. [default: 1]")
@click.option("--dbt", "dbt_build", is_flag=True,
              help="Benchmark `dbt build`: full, then incremental for one new month (figures in bench/dbt.json).")
@click.option("--years", default="2023-2024", show_default=True, callback=years_option,
              help="With --dbt: the economy's years; the last month is delivered after the full build, the last "
                   "year's annual deliveries never (they come after the year).")
@click.option("--keep", is_flag=True,
              help="With --dbt: keep the bench database (fdi_bench_dbt) as the last build left it, to read a "
                   "node's plan there; its URL is printed, and the next bench drops it.")
def bench(enterprises: int, months: int, rows: int | None, seed: int, repeat: int | None, dbt_build: bool,
          years: tuple[int, int], keep: bool) -> None:
    from devtools.bench import BenchFailed, format_dbt_report, format_report, run_bench, run_dbt_bench

    if keep and not dbt_build:
        raise click.UsageError("--keep keeps the database of `fdi bench --dbt`; the ingest bench keeps none")
    if dbt_build:
        try:
            report = run_dbt_bench(settings(), enterprises, years, seed, progress=lambda m: click.echo(f"· {m}"),
                                   keep_database=keep, runs=repeat or 1)
        except BenchFailed as exc:
            click.secho(f"fdi: {exc}", fg="red", err=True)
            raise SystemExit(2) from None
        click.echo(format_dbt_report(report))
        return
    report = run_bench(settings(), enterprises, months, rows, seed, progress=lambda m: click.echo(f"· {m}"),
                       repeat=repeat or 3)
    click.echo(format_report(report))


@click.command("linkage-report", help="Score marts.enterprise_links against a generated economy's ground truth "
                                      "(<truth>/_truth/records.csv and lookalikes.csv): precision and recall "
                                      "overall, per agency and per match method, recall on records without a tax "
                                      "code, links across look-alike pairs, and the worst errors. Exit 1 when a "
                                      "target is missed.")
@click.option("--truth", type=click.Path(path_type=Path), required=True,
              help="The folder `fdi generate --out` wrote (holding _truth/), or the _truth folder itself.")
@click.option("--worst", type=click.IntRange(0, 1000), default=20, show_default=True, help="Errors to list.")
def linkage_report(truth: Path, worst: int) -> None:
    from sources.synthetic.score_links import TruthMissing, format_report, score_links
    from warehouse.server import connect_info

    try:
        report = score_links(connect_info(settings()).conninfo, truth, worst=worst)
    except TruthMissing as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(format_report(report))
    if not report.meets_targets():
        raise SystemExit(1)


@click.command(help="Score each risk rule against a generated economy's _truth/scenarios.csv: precision, recall, "
                    "and the flagged-but-clean cases; a case the delivered data cannot show (after the last month "
                    "delivered, or without the years before it its rule needs: TP04 the year before, TP03 the two "
                    "before) is listed as not judgeable and kept out of recall. Then the flags raised on honest "
                    "loss-makers (_truth/honest_losses.csv) by rule; and the review queue of the last year "
                    "(risk.enterprise_scores): precision@k for k = 10, 25 and the top 1 % of enterprises, hits / k, "
                    "where a hit is an enterprise flagged by a rule it was planted for in the year, or by a rule "
                    "standing in for it while its own rule waits on a year not loaded (counted apart too, "
                    "\"stand-in\"; one planted only for another rule is counted apart, not a hit); a queue of "
                    "fewer than k says \"only n listed\" and "
                    "is not judged at k. Also the share of the amount at stake of true findings in the top k. "
                    "Exit 1 when a judged rule misses precision 0.85 or recall 0.90, TP04 flags an honest "
                    "loss-maker, more than 2 % of honest loss-makers are flagged, or, with at least k listed, "
                    "precision@10 < 0.9 or precision@25 < 0.8. An economy generated with --edge-cases also gets a "
                    "table of its cases near the thresholds, scored apart (a flag of a rule on an enterprise with an "
                    "edge case of that rule counts there only) and reported, never gated. A LAND01 or REG02 case "
                    "whose span's first month (_truth/scenarios.csv, with --edge-cases) was not loaded is counted "
                    "from the first one loaded, as the rule counts (a LAND01 plot stays idle: with none of its span "
                    "loaded, from the first land month loaded after it), and listed; a REG02, ABS01, REL01 (near its "
                    "materiality), TP01 or TP02 (a clear case's span: its year's customs months) case not flagged "
                    "whose span holds a month not loaded (a rejected delivery) is "
                    "listed as not judgeable with "
                    "that month, kept out of recall; so is a case reading a year of CIT returns or related-party "
                    "disclosures not loaded, and a NOM01 year whose front's group no investors snapshot loaded "
                    "could name (_truth/fronts.csv). For the rules that list what a missing delivery holds back (CAP01, "
                    "REG02, ABS01, TP03, TP04, NOM01, REL01, REG01, TP01, TP02, TP05, TP06, TP07), each such case says whether "
                    "risk.judgements_waiting "
                    "lists it (reported, not gated).")
@click.option("--truth", type=click.Path(path_type=Path), required=True,
              help="The folder `fdi generate --out` wrote (holding _truth/), or the _truth folder itself.")
def evaluate(truth: Path) -> None:
    from sources.synthetic.score_rules import (
        EDGE,
        TruthMissing,
        evaluate_honest_losses,
        evaluate_queue,
        format_evaluation,
        format_honest_losses,
        format_queue,
        has_edge_cases,
    )
    from sources.synthetic.score_rules import evaluate as score_rules

    with connected(TruthMissing) as pg:
        scores = score_rules(pg, truth)
        edge = score_rules(pg, truth, band=EDGE) if has_edge_cases(truth) else None
        honest = evaluate_honest_losses(pg, truth)
        queue = evaluate_queue(pg, truth, scores=scores)
    click.echo(format_evaluation(scores))
    if edge is not None:  # reported, not gated: the exit status stays that of the clear cases
        click.echo("")
        click.echo("Near the thresholds (--edge-cases: planted just past each threshold, look-alikes just inside; "
                   "reported, no target)")
        click.echo(format_evaluation(edge, band=EDGE))
    click.echo("")
    click.echo(format_honest_losses(honest))
    click.echo("")
    click.echo(format_queue(queue))
    if not (all(s.meets_targets() for s in scores) and (honest is None or honest.meets_targets())
            and (queue is None or queue.meets_targets())):
        raise SystemExit(1)


def _print_planted_rejections(landing: Path, rejected: list[str]) -> None:
    """Name the broken deliveries the generator planted (its _truth/defects.csv), so a reader of the demo
    can tell a planted fault, rejected as it should be, from a real problem."""
    from sources.synthetic.truth import read_csv

    planted = {f"{d['agency']}/{d['dataset']}/{d['period']}": d["defect"]
               for d in read_csv(landing / "_truth" / "defects.csv")
               if d["expected"] == "rejected" and not d["row_number"]}
    if not rejected:
        return
    click.echo("\nRejected deliveries, as planted by the generator (README 'Known defects', 6)")
    for name in rejected:
        click.echo(f"  {name}: " + (f"planted {planted[name]}" if name in planted else "NOT planted: look into it"))


commands = [generate, demo, bench, linkage_report, evaluate]
