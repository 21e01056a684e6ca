-- One row per enterprise and year with at least one flag: how strong the
-- evidence is, how much is at stake, and the enterprise's place in the
-- year's review queue. Monthly flags count in their calendar year.
--
-- Method (docs/enterprise_scores.md):
--   * evidence: each rule counts once, with its strongest flag of the year
--     (a monthly rule firing in six months is one finding, not six); the
--     rules' scores combine as independent signals, 100 x (1 - prod(1 -
--     score/100)), so two rules that corroborate each other (a price anomaly
--     and a loss streak) outrank either alone, and nothing passes 100;
--   * amount: the sum of the amounts at stake the rules estimate, placed on
--     the year's scale by its percent rank among the flagged enterprises;
--   * priority = evidence x (amount_floor + (1 - amount_floor) x amount
--     percentile): the amount can halve a finding's priority, never more, so
--     a strong finding without an estimate (capital not contributed, an
--     absconded owner) still ranks above a weak one with a large amount.
-- rank_in_year orders by priority, then amount, then evidence (ties broken
-- by tax code, so the queue is the same in every rebuild).
with

flags as (
    select *, left(period, 4)::int as year from {{ ref('flags') }}
),

per_rule as (
    select
        enterprise_id, max(tax_code) as tax_code, year, rule_code,
        max(score) as score,
        count(*) as flags,
        max(case severity when 'high' then 3 when 'medium' then 2 else 1 end) as severity_rank,
        sum(amount_at_stake_vnd) as amount_at_stake_vnd
    from flags
    group by enterprise_id, year, rule_code
),

combined as (
    select
        enterprise_id,
        max(tax_code) as tax_code,
        year,
        100 * (1 - exp(sum(ln(greatest(1 - score / 100.0, 1e-9))))) as combined_score,
        sum(flags) as flags,
        count(*) as corroborating_rules,
        array_agg(rule_code order by rule_code) as rules,
        max(severity_rank) as severity_rank,
        sum(amount_at_stake_vnd) as amount_at_stake_vnd
    from per_rule
    group by enterprise_id, year
),

prioritised as (
    select
        c.*,
        percent_rank() over (partition by year order by coalesce(amount_at_stake_vnd, 0)) as amount_percentile
    from combined as c
),

scored as (
    select
        p.*,
        p.combined_score * ({{ threshold('ALL', 'rank_amount_floor') }}
                            + (1 - {{ threshold('ALL', 'rank_amount_floor') }}) * p.amount_percentile) as priority_score
    from prioritised as p
)

select
    enterprise_id::text as enterprise_id,
    tax_code::text as tax_code,
    year::int as year,
    round(combined_score::numeric, 1)::numeric(5, 1) as combined_score,
    (case severity_rank when 3 then 'high' when 2 then 'medium' else 'low' end)::text as max_severity,
    flags::int as flags,
    corroborating_rules::int as corroborating_rules,
    rules::text[] as rules,
    array_to_string(rules, ', ')::text as rules_text,
    amount_at_stake_vnd::numeric(22, 0) as amount_at_stake_vnd,
    round(amount_percentile::numeric, 3)::numeric(4, 3) as amount_percentile,
    round(priority_score::numeric, 1)::numeric(5, 1) as priority_score,
    (row_number() over (partition by year order by priority_score desc, coalesce(amount_at_stake_vnd, 0) desc,
                                                   combined_score desc, tax_code))::int as rank_in_year
from scored
