-- One row per name group (int_unlinked_names_grouped) and enterprise
-- identity (int_enterprise_names_collected, by identity_key) that share a
-- block (same area, same zone or same first name word), with their raw
-- pg_trgm similarities. Blocks keep this far from a cross join of all
-- groups and all identities, yet it is still millions of pairs at 5,000
-- enterprises, and the similarities are most of the matching's cost.
--
-- Incremental, appending new pairs: a similarity depends only on the two identities,
-- and both keys hash every attribute that is compared or blocked on, so a
-- pair once compared never needs comparing again. A new month compares only
-- the pairs its new names or identities bring; the post-hook deletes pairs
-- whose group or identity has gone (a corrected delivery). Since blocking is
-- a function of the two keys, the table then holds exactly the pairs a full
-- refresh would. For the same reason a pair not compared yet has a group or
-- an identity with no pair here yet: only those are blocked again (blocking
-- every group against every identity to find the few new pairs took most of
-- a month's 22 s at 5,000 enterprises). Changing how similarity is computed
-- needs `fdi dbt build --full-refresh --select int_name_pairs_compared`.
-- The pair index is unique: a pair compared twice fails the build that wrote
-- it, without a monthly test reading millions of pairs (the nightly full pass
-- re-proves it).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['name_group_id', 'identity_key'], 'unique': True}, {'columns': ['identity_key']}],
    post_hook=[
        "{{ delete_where_key_has_gone('name_group_id', ref('int_unlinked_names_grouped')) }}",
        "{{ delete_where_key_has_gone('identity_key', ref('int_enterprise_names_collected')) }}",
    ],
) }}

with

groups as (
    select name_group_id, name_normalised, name_en_normalised, address_normalised, area_key,
           industrial_zone_code, name_block
    from {{ ref('int_unlinked_names_grouped') }}
    where name_normalised is not null or name_en_normalised is not null
),

identities as (
    select distinct identity_key, name_normalised, address_normalised, area_key, industrial_zone_code, name_block
    from {{ ref('int_enterprise_names_collected') }}
),

-- the groups and identities with no pair compared yet: all of them in a full build
new_groups as (
    select g.* from groups as g
    {% if is_incremental() %}
    where not exists (select 1 from {{ this }} as seen where seen.name_group_id = g.name_group_id)
    {% endif %}
),

new_identities as (
    select i.* from identities as i
    {% if is_incremental() %}
    where not exists (select 1 from {{ this }} as seen where seen.identity_key = i.identity_key)
    {% endif %}
),

-- keys only, so the union's de-duplication sorts two short columns; each
-- block twice over, new groups against every identity and every group
-- against new identities (in a full build both are everything)
{%- set sides = [('new_groups', 'identities'), ('groups', 'new_identities')] if is_incremental()
                 else [('groups', 'identities')] %}
blocked as (
    {%- for g_side, i_side in sides %}
    select g.name_group_id, i.identity_key
    from {{ g_side }} as g join {{ i_side }} as i on i.area_key = g.area_key
    union
    select g.name_group_id, i.identity_key
    from {{ g_side }} as g join {{ i_side }} as i on i.industrial_zone_code = g.industrial_zone_code
    union
    select g.name_group_id, i.identity_key
    from {{ g_side }} as g join {{ i_side }} as i on i.name_block = g.name_block
    union
    select g.name_group_id, i.identity_key
    from {{ g_side }} as g join {{ i_side }} as i on i.name_block = split_part(g.name_en_normalised, ' ', 1)
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}
),

new_pairs as (
    select b.name_group_id, b.identity_key
    from blocked as b
    {% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as seen
        where seen.name_group_id = b.name_group_id and seen.identity_key = b.identity_key
    )
    {% endif %}
)

select
    p.name_group_id,
    p.identity_key,
    -- the delivered name or its English form, whichever is closer
    greatest(
        similarity(g.name_normalised, i.name_normalised),
        similarity(g.name_en_normalised, i.name_normalised)
    ) as name_similarity,
    -- NULL when either side has no address
    similarity(g.address_normalised, i.address_normalised) as address_similarity
from new_pairs as p
join groups as g on g.name_group_id = p.name_group_id
join identities as i on i.identity_key = p.identity_key
