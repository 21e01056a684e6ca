"""The applications' commands (`fdi export-fis`, `fdi kpi`, `fdi flags`, `fdi review`, `fdi links`, `fdi link`,
`fdi network`), plugged into `fdi`
through the entry-point group `fdi.commands`."""
from __future__ import annotations

from pathlib import Path

import click

from pipelines.cli.root import connected, settings


@click.command("export-fis", help="Export one report period of fis.project_reports (Form A.III.1) to the outbox "
                                  "of the national FDI information system: CSV, JSON and a manifest (schema "
                                  "version, revision, rows, sha256) under <out>/fis/<period>/. A re-export whose "
                                  "numbers changed gets the next revision and lists what changed; an unchanged one "
                                  "writes nothing. A period whose inputs are incomplete (fis.project_reports."
                                  "missing_inputs) is refused unless --allow-incomplete; its manifest then says "
                                  "\"complete\": false and lists the missing inputs.")
@click.option("--period", required=True, help="Report period: YYYY-Qn (quarterly) or YYYY (annual), e.g. 2024-Q3.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Outbox folder (default $FDI_HOME/outbox).")
@click.option("--allow-incomplete", is_flag=True,
              help="Export a period whose inputs are incomplete, marked \"complete\": false in the manifest.")
def export_fis(period: str, out: Path | None, allow_incomplete: bool) -> None:
    from apps.fis_export import ExportError, export_period

    with connected(ExportError) as pg:
        result = export_period(pg, period, out or settings().outbox, allow_incomplete=allow_incomplete)
    click.echo(result.summary())


@click.command(help="Print the action programme's indicators against their targets (kpi.programme_targets; "
                    "Decision 3055/QĐ-UBND, programme Part I.3), and under them the rejected or missing periods "
                    "of a row's input data (input_gaps).")
@click.option("--periods", type=click.Choice(["all", "data", "programme"]), default="data", show_default=True,
              help="all: every year 2021-2030; data: years with data and the programme periods; "
                   "programme: the programme periods only.")
def kpi(periods: str) -> None:
    from apps.kpi import KpiUnavailable, fetch, format_table

    with connected(KpiUnavailable) as pg:
        rows = fetch(pg, periods)
    click.echo(format_table(rows))


@click.command(help="Record a decision on a risk flag in risk.flag_reviews (append-only), as the fdi_monitor role.")
@click.argument("flag_id")
@click.option("--status", type=click.Choice(["open", "in_review", "confirmed", "dismissed"]), required=True)
@click.option("--reviewer", required=True, help="Name of the person deciding.")
@click.option("--note", default=None, help="Why (kept with the decision).")
def review(flag_id: str, status: str, reviewer: str, note: str | None) -> None:
    from apps.review import RiskError, record_review

    with connected(RiskError) as pg:
        decision = record_review(pg, flag_id, status, reviewer, note)
    click.echo(f"flag {decision.flag_id}: {decision.status} by {decision.reviewer} (review {decision.review_id})")


def _flag_rule(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--rule: a rule code in use (models/risk/rules), any case; an unknown one is an error, not "no flags"."""
    from apps.review import rule_codes

    if value is None:
        return None
    code, codes = value.strip().upper(), rule_codes()
    if codes and code not in codes:  # no catalogue (dbt project not installed): nothing to check against
        raise click.BadParameter(f"{value!r} is not a rule code; use one of {', '.join(codes)}.")
    return code


def _flag_period(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--period: YYYY or YYYY-MM with a month 01-12; a malformed one is an error, not "no flags"."""
    from apps.review import PERIOD

    if value is None:
        return None
    if not PERIOD.fullmatch(value.strip()):
        raise click.BadParameter(f"{value!r} is not a period; use YYYY (a year) or YYYY-MM (a month 01-12), "
                                 "e.g. 2024 or 2024-07.")
    return value.strip()


@click.group(invoke_without_command=True,
             help="List risk flags by review status (default: open) in the review queue's order, the workbench's: "
                  "latest year first, then the enterprise's rank in its year (risk.enterprise_scores), then the "
                  "flag's score, then its amount at stake; one line each with the enterprise's name; "
                  "`fdi flags show FLAG_ID` prints one flag with its evidence as a table.")
@click.option("--rule", default=None, callback=_flag_rule,
              help="Rule code, e.g. TP01 (any case); one of the rules in use (models/risk/rules).")
@click.option("--severity", type=click.Choice(["low", "medium", "high"]), default=None)
@click.option("--zone", default=None, help="Industrial zone code of the enterprise, e.g. KCN-VSIP (any case).")
@click.option("--period", default=None, callback=_flag_period,
              help="YYYY (a year and its months) or YYYY-MM (a month 01-12).")
@click.option("--status", type=click.Choice(["open", "in_review", "awaiting_second", "confirmed", "dismissed"]),
              default="open", show_default=True,
              help="awaiting_second: a high flag confirmed by one login, waiting for a second (four-eyes).")
@click.pass_context
def flags(ctx: click.Context, rule: str | None, severity: str | None, zone: str | None, period: str | None,
          status: str) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from apps.review import RiskError, format_flags, open_flags

    with connected(RiskError) as pg:
        rows = open_flags(pg, rule=rule, severity=severity, zone=zone, period=period, status=status)
    click.echo(format_flags(rows))


@flags.command("show", help="Print one flag: enterprise, summary, and its evidence as a table. A flag no rule raises "
                             "any more (risk.flag_withdrawals) is printed as it was last raised, with the latest "
                             "decision on it.")
@click.argument("flag_id")
def flags_show(flag_id: str) -> None:
    from apps.review import RiskError, flag_detail, format_flag

    with connected(RiskError) as pg:
        detail = flag_detail(pg, flag_id)
    click.echo(format_flag(detail))


@click.command(help="Print an enterprise's neighbourhood in the enterprise network (marts.enterprise_relationships: "
                    "parties, relationships, sources, years) and draw it as an SVG picture for a case file.")
@click.argument("tax_code")
@click.option("--svg", "svg_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the picture (default $FDI_HOME/outbox/network/<tax_code>.svg).")
def network(tax_code: str, svg_path: Path | None) -> None:
    from apps.network import NetworkError, fetch, format_text, write_svg

    with connected(NetworkError) as pg:
        hood = fetch(pg, tax_code)
    click.echo(format_text(hood))
    path = write_svg(hood, svg_path or settings().outbox / "network" / f"{hood.tax_code}.svg")
    click.echo(f"picture: {path}")


@click.command(help="List entity resolution's review queue (marts.enterprise_link_candidates): the name groups of "
                    "records without a tax code that the rules could not link to one enterprise, largest first, "
                    "each with what was delivered and its candidate enterprises, best first. Decide one with "
                    "`fdi link`.")
@click.option("--decision", type=click.Choice(["pending", "linked", "none", "all"]), default="pending",
              show_default=True, help="pending: waiting for a person; linked, none: decided; all: every group.")
def links(decision: str) -> None:
    from apps.linkage import LinkageError, format_groups, pending_groups

    with connected(LinkageError) as pg:
        groups = pending_groups(pg, decision)
    click.echo(format_groups(groups))


@click.command(help="Record a decision on a name group of entity resolution's review queue (`fdi links`) in "
                    "linkage.decisions (append-only), as the fdi_engineer role: the candidate enterprise its "
                    "records name (--enterprise), or none of them (--none). The latest decision of a group is in "
                    "force; the next build (`fdi run`, or the Dagster job) links the group's records to the "
                    "enterprise, and every figure built on them follows.")
@click.argument("name_group_id")
@click.option("--enterprise", default=None, help="The candidate chosen: its enterprise id (EN...) or tax code.")
@click.option("--none", "none_", is_flag=True, help="The records name none of the candidates: they stay unmatched.")
@click.option("--reviewer", required=True, help="Name of the person deciding.")
@click.option("--note", default=None, help="Why (kept with the decision).")
def link(name_group_id: str, enterprise: str | None, none_: bool, reviewer: str, note: str | None) -> None:
    from apps.linkage import LinkageError, record_link_decision

    if bool(enterprise) == none_:
        raise click.UsageError("give either --enterprise EN... (the candidate chosen) or --none.")
    with connected(LinkageError) as pg:
        decision = record_link_decision(pg, name_group_id, enterprise, reviewer, note)
    outcome = (f"{decision.enterprise_id}; the next build links its records to it" if decision.enterprise_id
               else "none of the candidates; its records stay unmatched")
    click.echo(f"name group {decision.name_group_id}: {outcome} (decision {decision.decision_id} by "
               f"{decision.reviewer})")


commands = [export_fis, kpi, review, flags, links, link, network]
