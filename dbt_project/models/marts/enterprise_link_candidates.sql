-- One row per name group left unmatched because two or more enterprises are
-- close (or the best is not close enough) and per candidate enterprise, for
-- a person to decide. Groups already linked are not listed.
with

candidates as (
    select * from {{ ref('int_name_candidates_scored') }}
),

groups as (
    select * from {{ ref('int_unlinked_names_grouped') }}
),

undecided as (
    select name_group_id from candidates group by name_group_id
    having bool_or(decision = 'review') and not bool_or(decision = 'linked')
),

records as (
    select name_group_id, string_agg(distinct agency || '.' || dataset, ', ') as datasets
    from {{ ref('enterprise_links') }}
    where match_method = 'unmatched'
    group by name_group_id
)

select
    c.name_group_id::text as name_group_id,
    g.example_name::text as delivered_name,
    g.example_address::text as delivered_address,
    g.area_key::text as area_key,
    r.datasets::text as datasets,
    g.records::bigint as records,
    c.candidate_rank::int as candidate_rank,
    c.enterprise_id::text as candidate_enterprise_id,
    e.name_vi::text as candidate_name_vi,
    c.name_score::numeric(5, 4) as name_score,
    c.address_score::numeric(5, 4) as address_score,
    c.score::numeric(5, 4) as score
from candidates as c
join undecided as u on u.name_group_id = c.name_group_id
join groups as g on g.name_group_id = c.name_group_id
left join records as r on r.name_group_id = c.name_group_id
left join {{ ref('dim_enterprise') }} as e on e.enterprise_id = c.enterprise_id
where c.decision = 'review'
