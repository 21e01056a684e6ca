-- One row per enterprise: every 10-digit tax code any agency delivered
-- (a branch's 13-digit code counts for its parent). An enterprise known only
-- by name is not invented here: such records stay unmatched for review.
with

-- the records counted per delivery and identity: a fraction of the records
records as (
    select * from {{ ref('int_delivery_identities_counted') }}
    where tax_code is not null
)

select
    {{ enterprise_id_from_tax_code('tax_code') }} as enterprise_id,
    tax_code,
    min(period) as first_seen_period,
    max(period) as last_seen_period,
    array_agg(distinct agency order by agency) as agencies,
    sum(records)::bigint as records
from records
group by tax_code
