-- One row per calendar day and currency (VND included, rate 1): the State
-- Bank rate in force that day (fx_daily_rates). A table with an index, not a
-- view: every converting staging view looks rates up by (currency, day), and
-- recomputing the calendar inside each of them misleads the planner.
{{ config(materialized='table', indexes=[{'columns': ['currency', 'rate_date'], 'unique': true}]) }}

{{ fx_daily_rates() }}
