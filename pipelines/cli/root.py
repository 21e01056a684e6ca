"""The root of the `fdi` command: the group, its error handling, the plugged-in commands, and the one helper
every command uses to reach the warehouse. The command modules beside it register on `main`."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points

import click

from warehouse.settings import Settings

ENV_HELP = """
\b
Configuration (environment):
  FDI_HOME                 project home: embedded database, Dagster storage,
                           secrets, outbox (default ./.fdi)
  FDI_DATABASE_URL         use this PostgreSQL >= 15 instead of the embedded one
  FDI_LANDING              landing folder watched by the sensor
                           (default $FDI_HOME/landing)
  FDI_DAGSTER_STORAGE_URL  keep Dagster runs in PostgreSQL instead of SQLite
  FDI_PSEUDONYM_KEY_FILE   key of the keyed hash for personal data
                           (default $FDI_HOME/secrets/pseudonym.key)
"""
PLUGIN_GROUP = "fdi.commands"


class FdiGroup(click.Group):
    """Turns the project's expected errors into one clear sentence, and adds the plugged-in commands."""

    _plugins_loaded = False

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for entry in entry_points(group=PLUGIN_GROUP):
            for command in entry.load():
                self.add_command(command)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugins()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._load_plugins()
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        from pipelines.run import LandingMissing
        from sources.faults import DeliveryFault
        from warehouse.bootstrap import BootstrapError
        from warehouse.server import WarehouseUnavailable

        try:
            return super().invoke(ctx)
        except (WarehouseUnavailable, BootstrapError, LandingMissing, DeliveryFault) as exc:
            click.secho(f"fdi: {exc}", fg="red", err=True)
            ctx.exit(2)


@click.group(cls=FdiGroup, help="Hải Phòng inter-agency FDI data warehouse (Decision 3055/QĐ-UBND).\n" + ENV_HELP)
@click.option("-v", "--verbose", is_flag=True,
              help="Log every quarantined row, rejection and load step (else errors only: the summary names each "
                   "rejection and its reason).")
def main(verbose: bool) -> None:
    import logging

    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("fdi").setLevel(logging.INFO if verbose else logging.ERROR)


def settings() -> Settings:
    return Settings.from_env()


@contextmanager
def connected(*expected: type[Exception]) -> Iterator:
    """Connect to the warehouse, run the body, and report an expected error of it in one sentence (exit 2).

    The one way every command talks to the warehouse: `with connected(RiskError) as pg: ...`.
    """
    import psycopg

    from warehouse.server import connect_info

    with psycopg.connect(connect_info(settings()).conninfo, autocommit=True) as pg:
        try:
            yield pg
        except expected as exc:
            raise click.UsageError(str(exc)) from None


def years_option(_ctx, _param, value: str) -> tuple[int, int]:
    """A click callback for `--years 2024` or `--years 2019-2024`."""
    try:
        first, _, last = value.partition("-")
        years = (int(first), int(last or first))
    except ValueError:
        raise click.BadParameter("give a year or a range, e.g. 2024 or 2019-2024") from None
    if years[0] > years[1] or years[0] < 2010:
        raise click.BadParameter("the range must run forward and start in 2010 or later")
    return years
