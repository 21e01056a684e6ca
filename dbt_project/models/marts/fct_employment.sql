-- One row per employer (social-insurance unit) and month, with the
-- enterprise entity resolution tied it to (NULL when unmatched).
with

employment as (
    {{ linked_records('labour', 'employment') }}
)

select
    e.si_unit_code::text as si_unit_code,
    e.period::text as period,
    e.enterprise_id::text as enterprise_id,
    e.match_method::text as match_method,
    e.employer_name::text as employer_name,
    e.employees_total::int as employees_total,
    e.employees_foreign::int as employees_foreign,
    e.employees_trained::int as employees_trained,
    e.avg_monthly_wage_vnd::bigint as avg_monthly_wage_vnd,
    e.avg_monthly_wage_usd::numeric(20, 2) as avg_monthly_wage_usd,
    e.si_contribution_due_vnd::bigint as si_contribution_due_vnd,
    e.si_contribution_paid_vnd::bigint as si_contribution_paid_vnd,
    e.si_arrears_vnd::bigint as si_arrears_vnd
from employment as e
