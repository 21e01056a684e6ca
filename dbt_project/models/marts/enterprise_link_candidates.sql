-- One row per name group the rules could not link (two or more enterprises
-- are close, or the best is not close enough) and per candidate enterprise,
-- for a person to decide, with the person's decision in force once there is
-- one (linkage.decisions, `fdi link`): the queue is the groups still
-- `pending`. Groups the rules linked are not listed. A decision for an
-- enterprise that is no longer one of the group's candidates (its pairs
-- changed since) links nothing, so its group is `pending` again, the earlier
-- decision shown beside it.
with

candidates as (
    select * from {{ ref('int_name_candidates_scored') }}
),

groups as (
    select * from {{ ref('int_unlinked_names_grouped') }}
),

-- a group a person decided keeps its place here, so the decision can be read
-- next to the candidates and decided again
left_to_a_person as (
    select name_group_id from candidates group by name_group_id
    having not bool_or(decision = 'linked')
       and bool_or(decision in ('review', 'linked_by_person', 'set_aside_by_person'))
),

decided as (
    {{ link_decisions_in_force() }}
),

records as (
    select name_group_id, string_agg(distinct agency || '.' || dataset, ', ') as datasets
    from {{ ref('enterprise_links') }}
    where match_method = 'unmatched' or name_group_id in (select name_group_id from decided)
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
    c.score::numeric(5, 4) as score,
    (case when d.name_group_id is null then 'pending'
          when d.enterprise_id is null then 'none'
          when bool_or(c.decision = 'linked_by_person') over (partition by c.name_group_id) then 'linked'
          else 'pending' end)::text as decision,
    d.enterprise_id::text as decided_enterprise_id,
    d.reviewer::text as decided_by,
    d.decided_at::timestamptz as decided_at
from candidates as c
join left_to_a_person as u on u.name_group_id = c.name_group_id
join groups as g on g.name_group_id = c.name_group_id
left join records as r on r.name_group_id = c.name_group_id
left join decided as d on d.name_group_id = c.name_group_id
left join {{ ref('dim_enterprise') }} as e on e.enterprise_id = c.enterprise_id
where c.score >= {{ threshold('ER', 'review_min_score') }} or c.decision = 'linked_by_person'
