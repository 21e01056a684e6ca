-- One row per party name (macros/network.sql, normalise_party) that is the
-- name of exactly one enterprise of the warehouse, Vietnamese or English:
-- a party of the network written that way is that enterprise
-- (marts.enterprise_relationships, int_trade_partners_combined).
--
-- Why a model of its own: both of those read it, and it needs only
-- dim_enterprise, so the build makes it while the records are still being
-- linked, not on the network's path after them.
select
    party::text as party,
    min(enterprise_id)::text as enterprise_id
from (
    select enterprise_id, {{ normalise_party('name_vi') }} as party from {{ ref('dim_enterprise') }}
    union
    select enterprise_id, {{ normalise_party('name_en') }} as party from {{ ref('dim_enterprise') }}
) as n
where party is not null
group by party
having count(distinct enterprise_id) = 1
