-- One row per name group (int_unlinked_names_grouped) and candidate
-- enterprise, with the best score over the enterprise's identities, its rank
-- in the group and the decision. Candidates are the blocked pairs of
-- int_name_pairs_compared (same area, same zone or same first name word),
-- never a cross join of all groups and all enterprises; the similarities
-- come from there too, so only the weighing is redone.
--
-- Incremental by name group: a group's ranks and decision depend only on its
-- pairs, the identities they point to (enterprise, legal form, suffix,
-- address) and the ER thresholds, which `inputs_fingerprint` hashes. A build
-- re-weighs only the groups whose fingerprint changed (a month brings a few
-- dozen new groups; a new identity changes every group it is blocked with),
-- and the pre-hook drops groups left without pairs, so the table equals a
-- full refresh. Summing the hashing of 5.6 million pairs costs a quarter of
-- re-weighing them, and needs no sort (5,000 enterprises). Changing the
-- weighing's SQL raises the weighing's version in the fingerprint ('weighing
-- v2' below): every group is then re-weighed by the next ordinary build, and
-- enterprise_links re-links the groups whose decision changed.
--
-- Version 2: a unique exact name links without the margin. The margin keeps
-- a record between two look-alikes for a person; but a name equal, legal
-- form and ordinal included, to one enterprise's and to no other's already
-- tells them apart, and a runner-up close in score only by its address (a
-- shared address alone never links) or a name one ordinal away ("Đức
-- Giang" beside "Đức Giang II") is no second candidate. Held-out seed 2035:
-- 11 name groups, every one written with its enterprise's exact name and no
-- address known (score 0.80 against a runner-up at 0.70-0.75), waited for a
-- person, and an idle-land case (LAND01) went unflagged with its lease.
--
-- A person's decision (linkage.decisions, `fdi link`) on a group the rules
-- left to them is in force over the weighing: the candidate chosen is
-- `linked_by_person`, every other `set_aside_by_person` (all of them when the
-- person found none). The latest decision of a group is part of its
-- fingerprint, so the next build re-weighs the group and enterprise_links
-- re-links its records; a group no one decided keeps the fingerprint it had.
{{ config(
    materialized='incremental',
    unique_key='name_group_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=[{'columns': ['name_group_id']}],
    pre_hook="""
        {%- if is_incremental() %}
        {{ delete_where_key_has_gone('name_group_id', ref('int_name_pairs_compared')) }}
        {%- else %}
        select 'built in full: nothing to delete'
        {%- endif %}
    """,
) }}

with

groups as (
    select * from {{ ref('int_unlinked_names_grouped') }}
    where name_normalised is not null or name_en_normalised is not null
),

identities as (
    select * from {{ ref('int_enterprise_names_collected') }}
),

-- what the weighing reads of each identity, hashed (one identity key can be
-- shown by several enterprises, or in several legal forms)
identity_hashes as (
    select
        identity_key,
        hashtextextended(identity_key || ':' || string_agg(
            format('%s|%s|%s|%s', enterprise_id, legal_form, name_suffix, address_normalised), ','
            order by enterprise_id, legal_form, name_suffix, address_normalised), 0) as identity_hash
    from {{ ref('int_enterprise_names_collected') }}
    group by identity_key
),

-- the decision in force of each group a person decided: the latest
decided as (
    {{ link_decisions_in_force() }}
),

-- each group's inputs: its pairs (a pair's similarities are fixed once
-- compared), their identities and the thresholds; a sum, so no sort
weighing_inputs as (
    select
        p.name_group_id,
        md5(concat_ws('|', 'weighing v2', sum(h.identity_hash)::text, count(*)::text
            {%- for parameter in ['distinguishing_mismatch_factor', 'address_unknown_score', 'name_weight',
                                  'accept_min_score', 'accept_min_name_score', 'min_margin', 'review_min_score'] %},
            {{ threshold('ER', parameter) }}::text
            {%- endfor %})) as inputs_fingerprint
    from {{ ref('int_name_pairs_compared') }} as p
    join identity_hashes as h on h.identity_key = p.identity_key
    group by p.name_group_id
),

-- and the person's decision in force, where there is one
fingerprints as (
    select
        w.name_group_id,
        case when d.decision_id is null then w.inputs_fingerprint
             else md5(w.inputs_fingerprint || '|decision ' || d.decision_id::text) end as inputs_fingerprint
    from weighing_inputs as w
    left join decided as d on d.name_group_id = w.name_group_id
),

to_score as (
    select * from fingerprints
    {% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as built
        where built.name_group_id = fingerprints.name_group_id
          and built.inputs_fingerprint = fingerprints.inputs_fingerprint
    )
    {% endif %}
),

-- each compared identity's enterprise and what the weighing needs of it
compared_pairs as (
    select
        p.name_group_id, i.enterprise_id, i.legal_form, i.name_suffix, i.address_normalised,
        p.name_similarity, p.address_similarity
    {%- if is_incremental() %}
    from to_score as t
    join {{ ref('int_name_pairs_compared') }} as p on p.name_group_id = t.name_group_id
    {%- else %}
    -- in full, every pair: a scan the planner splits across workers
    from {{ ref('int_name_pairs_compared') }} as p
    {%- endif %}
    join identities as i on i.identity_key = p.identity_key
),

compared as (
    select
        b.name_group_id,
        b.enterprise_id,
        coalesce(b.name_similarity, 0)
        -- a different legal form or ordinal is a different enterprise of the same stem
        * case when g.legal_form <> b.legal_form then {{ threshold('ER', 'distinguishing_mismatch_factor') }} else 1 end
        * case when g.name_suffix <> b.name_suffix then {{ threshold('ER', 'distinguishing_mismatch_factor') }} else 1 end
        as name_score,
        case
            when g.address_normalised is null then null
            when b.address_normalised is null then {{ threshold('ER', 'address_unknown_score') }}
            else b.address_similarity
        end as address_score
    from compared_pairs as b
    join groups as g on g.name_group_id = b.name_group_id
),

scored as (
    select
        *,
        -- the record's own evidence decides: with an address, name and
        -- address both count; without one, the name alone
        case
            when address_score is null then name_score
            else {{ threshold('ER', 'name_weight') }} * name_score
                 + (1 - {{ threshold('ER', 'name_weight') }}) * address_score
        end as score
    from compared
),

best_per_enterprise as (
    select distinct on (name_group_id, enterprise_id) *
    from scored
    order by name_group_id, enterprise_id, score desc, name_score desc
),

ranked as (
    select
        *,
        row_number() over (partition by name_group_id order by score desc, name_score desc, enterprise_id) as candidate_rank,
        coalesce(nth_value(score, 2) over (
            partition by name_group_id order by score desc, name_score desc, enterprise_id
            rows between unbounded preceding and unbounded following), 0) as runner_up_score,
        -- another enterprise whose name is as exact: then the margin decides (two enterprises of one name)
        count(*) filter (where name_score >= 1) over (partition by name_group_id) as exact_names
    from best_per_enterprise
)

select
    ranked.name_group_id,
    ranked.enterprise_id,
    round(name_score::numeric, 4) as name_score,
    round(address_score::numeric, 4) as address_score,
    round(score::numeric, 4) as score,
    candidate_rank,
    round(runner_up_score::numeric, 4) as runner_up_score,
    case
        when d.name_group_id is not null and d.enterprise_id = ranked.enterprise_id then 'linked_by_person'
        when d.name_group_id is not null then 'set_aside_by_person'
        when candidate_rank = 1
         and score >= {{ threshold('ER', 'accept_min_score') }}
         and name_score >= {{ threshold('ER', 'accept_min_name_score') }}
         and (score - runner_up_score >= {{ threshold('ER', 'min_margin') }}
              or (name_score >= 1 and exact_names = 1))
        then 'linked'
        when score >= {{ threshold('ER', 'review_min_score') }} then 'review'
        else 'rejected'
    end as decision,
    t.inputs_fingerprint
from ranked
join to_score as t on t.name_group_id = ranked.name_group_id
left join decided as d on d.name_group_id = ranked.name_group_id
-- Kept: each group's best candidate (why a group stayed unmatched) and every
-- candidate a reviewer would be shown. The rest, millions of unrelated
-- enterprises of the same area, decide nothing: ranks and runner-up scores
-- above were computed over all of them.
where candidate_rank = 1 or score >= {{ threshold('ER', 'review_min_score') }}
   or ranked.enterprise_id = d.enterprise_id
