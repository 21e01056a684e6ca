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

-- what matching derives from each name and address, computed once per
-- distinct string (int_names_normalised, int_addresses_normalised); the legal
-- form and suffix are the Vietnamese name's, else the English one's
normalised as (
    select
        n.name_normalised,
        case when r.name is not null then n.legal_form else e.legal_form end as legal_form,
        case when r.name is not null then n.name_suffix else coalesce(e.name_suffix, '') end as name_suffix,
        e.name_normalised as name_en_normalised,
        a.address_normalised,
        a.area_key,
        r.industrial_zone_code,
        {{ name_group_id_normalised('n.name_normalised', 'e.name_normalised', 'a.address_normalised', 'a.area_key',
                                    'r.industrial_zone_code') }} as name_group_id,
        r.name,
        r.address,
        r.records
    from records as r
    left join {{ ref('int_names_normalised') }} as n on n.name_key = md5(r.name)
    left join {{ ref('int_names_normalised') }} as e on e.name_key = md5(r.name_en)
    join {{ ref('int_addresses_normalised') }} as a on a.place_key = {{ place_key('r.address', 'r.admin_area') }}
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
