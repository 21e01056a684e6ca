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
--
-- A gap in the data is never read as silence: a month shows silence only
-- when all four activity datasets (tax payments, customs, labour, fx) are
-- complete for it (marts.dataset_coverage). A month without full data is
-- neither silence nor activity (version 1.2): it does not break a run, but
-- it is not counted either. The threshold and the score count the observed
-- silent months only, so a run that reaches 12 months only by counting such
-- months is not flagged (not yet: it is when the month arrives and shows
-- silence, or the run goes on); the summary and the evidence name them.
-- The flag's period is the twelfth month counted on the dates from the
-- run's first silent month, so a month without data delivered later and
-- silent too does not move it (nor the flag's id, which keeps its reviews).
with

observed_months as (
    select {{ month_index('period') }} as month_index
    from {{ ref('dataset_coverage') }}
    where status = 'complete'
      and (agency, dataset) in (('tax', 'payments'), ('customs', 'declarations'), ('labour', 'employment'),
                                ('fx', 'capital_flows'))
    group by period
    having count(*) = 4
),

-- one row per enterprise and month with any activity (a join, not a
-- correlated probe per enterprise-month: at 5,000 enterprises that took minutes);
-- grouped once by hash: `union` sorted each input's rows on disk (a million
-- at 5,000 enterprises over two years) to drop the duplicates
activity as (
    select a.tax_code, {{ month_index('a.period') }} as month_index
    from (
        select tax_code, period from {{ ref('stg_tax__payments') }}
        union all select tax_code, to_char(filed_on, 'YYYY-MM') from {{ ref('fct_tax_returns') }}
        union all select tax_code, period from {{ ref('int_customs_partner_months') }}
        union all select e.tax_code, f.period
              from {{ ref('fct_employment') }} as f
              join {{ ref('dim_enterprise') }} as e on e.enterprise_id = f.enterprise_id
        union all select tax_code, period from {{ ref('fct_capital_flows') }}
    ) as a
    group by a.tax_code, a.period
),

-- materialized: inlined into the lateral generate_series below, the planner
-- re-ran this scan of the payments once per project (2,616 times, 195 s at
-- 5,000 enterprises)
data_months as materialized (
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

judged as (
    select
        m.*,
        a.tax_code is not null as is_active,
        o.month_index is not null as is_observed
    from months as m
    left join activity as a on a.tax_code = m.tax_code and a.month_index = m.month_index
    left join observed_months as o on o.month_index = m.month_index
),

islands as (
    select
        j.*,
        row_number() over (partition by j.tax_code order by j.month_index)
            - row_number() over (partition by j.tax_code, j.is_active order by j.month_index) as run_id
    from judged as j
    where j.is_active or j.is_observed
),

silent as (
    select i.*, min(i.month_index) over (partition by i.tax_code, i.run_id) as run_start
    from islands as i
    where not i.is_active
),

runs as (
    select
        tax_code, projects, run_id, min(run_start) as run_start, max(month_index) as run_end,
        -- observed silent months: a month without full data between them is not counted
        count(*) as silent_months,
        count(*) as months_observed,
        -- the twelfth month on the dates from the first silent month: the flag's period,
        -- the same when a month without full data in the run is delivered later
        min(run_start) + {{ threshold('REG02', 'min_silent_months') }} - 1 as flagged_at
    from silent
    group by tax_code, projects, run_id
    having count(*) >= {{ threshold('REG02', 'min_silent_months') }}
),

runs_with_coverage as (
    select
        r.*,
        coalesce((
            select jsonb_agg({{ month_from_index('g') }} order by g)
            from generate_series(r.run_start, r.run_end) as g
            where not exists (select 1 from observed_months as o where o.month_index = g)
        ), '[]'::jsonb) as months_without_full_data
    from runs as r
),

findings as (
    select
        {{ enterprise_id_from_tax_code('tax_code') }} as enterprise_id,
        tax_code,
        {{ month_from_index('flagged_at') }} as period,
        {{ risk_score('silent_months', threshold('REG02', 'min_silent_months'), threshold('REG02', 'full_score_silent_months')) }} as score,
        null::numeric as amount_at_stake_vnd,
        'Dự án ' || projects || ' vẫn hoạt động trong sổ đăng ký nhưng doanh nghiệp không có nộp thuế, hải quan, lao động hay giao dịch vốn trong '
            || silent_months
            || case when jsonb_array_length(months_without_full_data) > 0 then ' tháng có đủ dữ liệu' else ' tháng liên tiếp' end
            || ' (từ ' || {{ month_from_index('run_start') }} || ' đến ' || {{ month_from_index('run_end') }} || ').'
            -- a month without full data inside the span is neither silence nor activity: said, not counted
            || case when jsonb_array_length(months_without_full_data) > 0
                    then ' Trong khoảng này, ' || jsonb_array_length(months_without_full_data)
                         || ' tháng thiếu dữ liệu (không rõ có hoạt động hay không, không được tính): '
                         || (select string_agg(m, ', ' order by m) from jsonb_array_elements_text(months_without_full_data) as m)
                         || '.'
                    else '' end as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence('no tax, customs, labour or fx activity for {REG02.min_silent_months} consecutive months with an active project (Law on Investment 2020 Art. 48.2(d))') }},
            'min_silent_months', {{ threshold('REG02', 'min_silent_months') }},
            'silent_months', silent_months,
            'first_silent_month', {{ month_from_index('run_start') }},
            'last_silent_month', {{ month_from_index('run_end') }},
            'active_projects', projects,
            'months_observed', months_observed,
            'months_without_full_data', months_without_full_data
        ) as evidence
    from runs_with_coverage
)

{{ risk_flag_columns('REG02', '1.2') }}
