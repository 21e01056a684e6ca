-- One row per loaded record (delivery in force) of every dataset that names
-- an enterprise: how it was tied to one enterprise (int_records_linked).
-- The workbench reads an enterprise's records by enterprise_id on every flag
-- and enterprise page; without an index that is a scan of every record.
{{ config(post_hook="create index if not exists enterprise_links__enterprise on {{ this }} (enterprise_id, agency)") }}
select
    enterprise_id::text as enterprise_id,
    agency::text as agency,
    dataset::text as dataset,
    source_key::text as source_key,
    match_method::text as match_method,
    match_score::numeric(5, 4) as match_score,
    period::text as period,
    delivery_id::text as delivery_id,
    row_number::bigint as row_number,
    name_group_id::text as name_group_id
from {{ ref('int_records_linked') }}
