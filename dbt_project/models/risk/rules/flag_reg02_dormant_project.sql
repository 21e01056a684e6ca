-- REG02 active project of an enterprise with no activity anywhere. Grain: one
-- row per enterprise and month (period YYYY-MM): the twelfth consecutive month
-- without tax, customs, labour or fx activity while it holds an active project.
--
-- Method (docs/rule_reg02.md): an investor that does not carry out its project
-- for 12 consecutive months is a ground to terminate it (Law on Investment
-- 61/2020/QH14 Art. 48.2(d)). Activity in a month = a tax payment or a CIT
-- return filed, a customs line, a social-insurance (labour) record tied to
-- the enterprise by entity resolution, or an fx capital-account transaction.
-- Months are counted within the months the warehouse holds data for.
with

activity as (
    select tax_code, period from {{ ref('stg_tax__payments') }}
    union select tax_code, to_char(filed_on, 'YYYY-MM') from {{ ref('fct_tax_returns') }}
    union select tax_code, period from {{ ref('fct_customs_lines') }}
    union select e.tax_code, f.period
          from {{ ref('fct_employment') }} as f
          join {{ ref('dim_enterprise') }} as e on e.enterprise_id = f.enterprise_id
    union select tax_code, period from {{ ref('fct_capital_flows') }}
),

data_months as (
    select {{ month_index('min(period)') }} as first_month, {{ month_index('max(period)') }} as last_month
    from {{ ref('stg_tax__payments') }}
),

-- enterprises with a project active in the register, from its issue date
projects as (
    select tax_code, min(issued_on) as issued_on, string_agg(project_code, ', ' order by project_code) as projects
    from {{ ref('dim_project') }}
    where status = 'active' and tax_code is not null
    group by tax_code
),

months as (
    select p.tax_code, p.projects, m.month_index
    from projects as p
    cross join data_months as d
    cross join lateral generate_series(
        greatest(d.first_month, {{ month_index("to_char(p.issued_on, 'YYYY-MM')") }}), d.last_month) as m (month_index)
),

silent as (
    select
        m.*,
        m.month_index - row_number() over (partition by m.tax_code order by m.month_index) as run_id
    from months as m
    where not exists (
        select 1 from activity as a
        where a.tax_code = m.tax_code and {{ month_index('a.period') }} = m.month_index)
),

runs as (
    select tax_code, projects, run_id, min(month_index) as run_start, max(month_index) as run_end, count(*) as silent_months
    from silent
    group by tax_code, projects, run_id
    having count(*) >= {{ risk_threshold('REG02', 'min_silent_months') }}
),

findings as (
    select
        {{ enterprise_id_from_tax_code('tax_code') }} as enterprise_id,
        tax_code,
        {{ month_from_index("run_start + " ~ risk_threshold('REG02', 'min_silent_months') ~ " - 1") }} as period,
        {{ risk_score('silent_months', risk_threshold('REG02', 'min_silent_months'), risk_threshold('REG02', 'full_score_silent_months')) }} as score,
        null::numeric as amount_at_stake_vnd,
        'Dự án ' || projects || ' vẫn hoạt động trong sổ đăng ký nhưng doanh nghiệp không có nộp thuế, hải quan, lao động hay giao dịch vốn trong '
            || silent_months || ' tháng liên tiếp (từ ' || {{ month_from_index('run_start') }} || ' đến ' || {{ month_from_index('run_end') }} || ').' as summary,
        jsonb_build_object(
            'threshold', 'no tax, customs, labour or fx activity for 12 consecutive months with an active project (Law on Investment 2020 Art. 48.2(d))',
            'min_silent_months', {{ risk_threshold('REG02', 'min_silent_months') }},
            'silent_months', silent_months,
            'first_silent_month', {{ month_from_index('run_start') }},
            'last_silent_month', {{ month_from_index('run_end') }},
            'active_projects', projects
        ) as evidence
    from runs
)

{{ risk_flag_columns('REG02', '1.0') }}
