"""When and how data moves: Dagster definitions, assets, checks, sensors, schedules and the `fdi` CLI."""
