-- One row per distinct name, Vietnamese or English, that any delivered
-- record shows (int_delivery_identities_counted), with what matching derives
-- from it alone: the normalised name, the legal form and the suffix
-- (macros/names.sql). int_enterprise_names_collected and
-- int_unlinked_names_grouped read them here instead of folding every name of
-- history with a dozen regular expressions each build (about 6 s of a
-- month's 7 s in int_enterprise_names_collected at 5,000 enterprises).
--
-- Incremental, appending the names not seen yet: the derived columns are a
-- function of the name alone, so a name once normalised never needs it again.
-- The post-hook deletes names no record shows any more (a corrected
-- delivery), so the table equals a full refresh. A change of the macros
-- changes every row's `inputs_fingerprint` (names_version, macros/names.sql):
-- the pre-hook empties the table and the build normalises every name again.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['name_key'], 'unique': True}],
    pre_hook="{{ delete_all_if_inputs_changed('select ' ~ names_version() ~ ' as inputs_fingerprint') }}",
    post_hook="""
        delete from {{ this }} as c
        where not exists (
            select 1 from ({{ identity_names() }}) as n where md5(n.name) = c.name_key)
    """,
) }}

with

names as (
    select distinct name from ({{ identity_names() }}) as n
)

select
    md5(n.name)::text as name_key,
    n.name::text as name,
    {{ normalise_name('n.name') }}::text as name_normalised,
    {{ legal_form('n.name') }}::text as legal_form,
    {{ name_suffix('n.name') }}::text as name_suffix,
    {{ names_version() }}::text as inputs_fingerprint
from names as n
{% if is_incremental() %}
where not exists (select 1 from {{ this }} as seen where seen.name_key = md5(n.name))
{% endif %}
