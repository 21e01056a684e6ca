-- One row per distinct identity an enterprise showed with its tax code
-- (normalised name, address, area, zone): the reference that name-only
-- records are matched against. Both the Vietnamese and the English name
-- (registry enterprise_name_en, credit borrower_name) are identities.
with

-- grouped before normalising, from the identities counted per delivery
-- (customs repeats one name on every line). Materialized, or the planner
-- pushes `name_normalised is not null` below the grouping and normalises
-- every row instead of every distinct name (75 s instead of 1 s at 1,000
-- enterprises).
distinct_names as materialized (
    select tax_code, name as raw_name, address, admin_area, industrial_zone_code, sum(records) as records
    from {{ ref('int_delivery_identities_counted') }}
    where tax_code is not null and name is not null
    group by 1, 2, 3, 4, 5
    union all
    select tax_code, name_en, address, admin_area, industrial_zone_code, sum(records)
    from {{ ref('int_delivery_identities_counted') }}
    where tax_code is not null and name_en is not null
    group by 1, 2, 3, 4, 5
),

-- what matching derives from a name and from an address, computed once per
-- distinct string (int_names_normalised, int_addresses_normalised)
normalised as (
    select
        d.tax_code,
        n.name_normalised,
        n.legal_form,
        n.name_suffix,
        a.address_normalised,
        a.area_key,
        d.industrial_zone_code,
        d.records
    from distinct_names as d
    join {{ ref('int_names_normalised') }} as n on n.name_key = md5(d.raw_name)
    join {{ ref('int_addresses_normalised') }} as a on a.place_key = {{ place_key('d.address', 'd.admin_area') }}
)

select
    {{ enterprise_id_from_tax_code('tax_code') }} as enterprise_id,
    -- what name matching compares and blocks on, whoever shows it: the key of
    -- int_name_pairs_compared's cached similarities
    md5(concat_ws('|', name_normalised, coalesce(address_normalised, ''), coalesce(area_key, ''),
        coalesce(industrial_zone_code, ''))) as identity_key,
    tax_code,
    name_normalised,
    legal_form,
    name_suffix,
    address_normalised,
    area_key,
    industrial_zone_code,
    split_part(name_normalised, ' ', 1) as name_block,
    sum(records) as records
from normalised
where name_normalised is not null
group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
