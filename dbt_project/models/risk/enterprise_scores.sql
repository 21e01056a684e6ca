-- One row per enterprise and year with at least one flag: a combined score
-- and the rules behind it. Monthly flags count in their calendar year.
--
-- The combined score treats rule scores as independent signals
-- (100 * (1 - prod(1 - score/100))), so two medium findings outrank one, and
-- no number of findings passes 100. The rank orders enterprises by the
-- amount at stake that rules estimate (shifted value, non-deductible
-- interest, profit below the median margin, fees above the share, profit
-- remitted), then by the combined score.
with

flags as (
    select *, left(period, 4)::int as year from {{ ref('flags') }}
),

combined as (
    select
        enterprise_id,
        max(tax_code) as tax_code,
        year,
        100 * (1 - exp(sum(ln(greatest(1 - score / 100.0, 1e-9))))) as combined_score,
        count(*) as flags,
        array_agg(distinct rule_code order by rule_code) as rules,
        max(case severity when 'high' then 3 when 'medium' then 2 else 1 end) as severity_rank,
        sum(amount_at_stake_vnd) as amount_at_stake_vnd
    from flags
    group by enterprise_id, year
)

select
    enterprise_id::text as enterprise_id,
    tax_code::text as tax_code,
    year::int as year,
    round(combined_score::numeric, 1)::numeric(5, 1) as combined_score,
    (case severity_rank when 3 then 'high' when 2 then 'medium' else 'low' end)::text as max_severity,
    flags::int as flags,
    rules::text[] as rules,
    array_to_string(rules, ', ')::text as rules_text,
    amount_at_stake_vnd::numeric(22, 0) as amount_at_stake_vnd,
    (rank() over (partition by year order by coalesce(amount_at_stake_vnd, 0) desc, combined_score desc))::int as rank_in_year
from combined
