-- One row per distinct name+address identity among records that carry no
-- tax code. Matching works on these groups, not on records: a lessee named
-- the same way in 36 monthly snapshots is matched once.
with

-- each identity as delivered once: monthly snapshots repeat a lessee's or
-- employer's name every month, and normalising is the costly part.
-- Materialized, so the normalising below runs on these rows only.
records as materialized (
    select name, name_en, address, admin_area, industrial_zone_code, sum(records) as records
    from {{ ref('int_delivery_identities_counted') }}
    where tax_code is null
    group by 1, 2, 3, 4, 5
),

normalised as (
    select
        {{ normalise_name('name') }} as name_normalised,
        {{ legal_form('coalesce(name, name_en)') }} as legal_form,
        {{ name_suffix('coalesce(name, name_en)') }} as name_suffix,
        {{ normalise_name('name_en') }} as name_en_normalised,
        {{ normalise_address('address') }} as address_normalised,
        {{ area_key('admin_area', 'address') }} as area_key,
        industrial_zone_code,
        {{ name_group_id('name', 'name_en', 'address', 'admin_area', 'industrial_zone_code') }} as name_group_id,
        name,
        address,
        records
    from records
)

select
    name_group_id,
    name_normalised,
    name_en_normalised,
    -- the same name always gives the same legal form and suffix
    min(legal_form) as legal_form,
    min(name_suffix) as name_suffix,
    address_normalised,
    area_key,
    industrial_zone_code,
    split_part(name_normalised, ' ', 1) as name_block,
    min(name) as example_name,
    min(address) as example_address,
    sum(records)::bigint as records
from normalised
group by name_group_id, name_normalised, name_en_normalised, address_normalised, area_key, industrial_zone_code
