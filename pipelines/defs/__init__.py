"""Dagster instances: assets, checks, jobs, schedules, sensors, resources and the policies applied to them."""
