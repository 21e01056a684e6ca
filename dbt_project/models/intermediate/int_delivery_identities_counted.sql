-- One row per delivery in force and identity as delivered in it (tax code,
-- name, English name, address, area, zone), with the number of its records:
-- what the enterprise and name models aggregate, at a fraction of the
-- records (customs repeats one trader's name on every line of the month).
--
-- Incremental by delivery like int_source_records_unioned: a build adds the
-- deliveries it has not seen and the pre-hook deletes those no longer in
-- force, so the models reading it aggregate thousands of rows a month, not
-- every record of the history, and it equals a full refresh.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_records_out_of_force() }}",
    indexes=[{'columns': ['delivery_id']}],
) }}

with

new_deliveries as (
    {{ deliveries_not_yet_in(this) }}
)

select
    r.delivery_id,
    r.agency,
    r.dataset,
    r.period,
    r.tax_code,
    r.name,
    r.name_en,
    r.address,
    r.admin_area,
    r.industrial_zone_code,
    count(*)::bigint as records
from new_deliveries as d
join {{ ref('int_source_records_unioned') }} as r on r.delivery_id = d.delivery_id
group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
