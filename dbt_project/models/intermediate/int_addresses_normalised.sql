-- One row per distinct written address and administrative area that any
-- delivered record shows together (int_delivery_identities_counted; either
-- may be missing), with what matching derives from them alone: the
-- normalised address and the blocking area (macros/names.sql). The readers
-- of int_names_normalised read these here too, for the same reason.
--
-- Incremental like int_names_normalised: appends the pairs not seen yet;
-- the post-hook deletes those no record shows any more, so the table equals
-- a full refresh, and a change of the macros empties it first
-- (addresses_version, macros/names.sql). `place_key` hashes the pair's row
-- text, which tells a missing part from an empty one.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['place_key'], 'unique': True}],
    pre_hook="{{ delete_all_if_inputs_changed('select ' ~ addresses_version() ~ ' as inputs_fingerprint') }}",
    post_hook="""
        delete from {{ this }} as c
        where not exists (
            select 1 from {{ ref('int_delivery_identities_counted') }} as i
            where {{ place_key('i.address', 'i.admin_area') }} = c.place_key)
    """,
) }}

with

places as (
    select distinct address, admin_area from {{ ref('int_delivery_identities_counted') }}
)

select
    {{ place_key('p.address', 'p.admin_area') }}::text as place_key,
    p.address::text as address,
    p.admin_area::text as admin_area,
    {{ normalise_address('p.address') }}::text as address_normalised,
    {{ area_key('p.admin_area', 'p.address') }}::text as area_key,
    {{ addresses_version() }}::text as inputs_fingerprint
from places as p
{% if is_incremental() %}
where not exists (select 1 from {{ this }} as seen where seen.place_key = {{ place_key('p.address', 'p.admin_area') }})
{% endif %}
