-- ABS01 owner absconding. Grain: one row per enterprise and month (period
-- YYYY-MM): the month in which rising social-insurance arrears and a
-- corroborating sign of a departing owner are first both seen.
--
-- Method (docs/rule_abs01.md): foreign owners who leave typically stop paying
-- social insurance for months first (arrears: Law on Social Insurance
-- 58/2014/QH13 Art. 122), then move money out and stop filing. Flagged when
-- the enterprise's arrears rose in at least 3 consecutive months AND, from
-- the start of that run to 3 months after its end, at least one of: a work
-- stoppage with cause owner_absconded, an fx divestment or capital_transfer
-- outflow, or its monthly tax payments stopping. Labour records are tied to
-- the enterprise by entity resolution (marts.fct_employment).
with

arrears as (
    select f.enterprise_id, f.period, {{ month_index('f.period') }} as month_index, sum(f.si_arrears_vnd) as arrears_vnd
    from {{ ref('fct_employment') }} as f
    where f.enterprise_id is not null
    group by f.enterprise_id, f.period
),

rising as (
    select
        a.*,
        a.month_index - row_number() over (partition by a.enterprise_id order by a.month_index) as run_id
    from (
        select a.*, lag(a.arrears_vnd) over (partition by a.enterprise_id order by a.month_index) as previous_vnd,
               lag(a.month_index) over (partition by a.enterprise_id order by a.month_index) as previous_month
        from arrears as a
    ) as a
    where a.arrears_vnd > 0
      and (a.previous_month is null or a.previous_month < a.month_index - 1 or a.arrears_vnd > a.previous_vnd)
),

runs as (
    select enterprise_id, run_id, min(month_index) as run_start, max(month_index) as run_end,
           count(*) as rising_months, max(arrears_vnd) as peak_arrears_vnd
    from rising
    group by enterprise_id, run_id
    having count(*) >= {{ risk_threshold('ABS01', 'min_rising_months') }}
),

enterprises as (
    select enterprise_id, tax_code from {{ ref('dim_enterprise') }}
),

stoppages as (
    select k.enterprise_id, {{ month_index("to_char(s.started_on, 'YYYY-MM')") }} as month_index,
           'stoppage owner_absconded ' || s.started_on as sign
    from {{ ref('stg_labour__stoppages') }} as s
    join {{ ref('enterprise_links') }} as k
      on k.agency = 'labour' and k.dataset = 'stoppages' and k.delivery_id = s.delivery_id and k.row_number = s.row_number
    where s.cause = 'owner_absconded' and k.enterprise_id is not null
),

outflows as (
    select enterprise_id, {{ month_index('period') }} as month_index,
           flow_type || ' ' || round(amount_usd) || ' USD ' || value_date as sign
    from {{ ref('fct_capital_flows') }}
    where direction = 'outflow' and flow_type in ('divestment', 'capital_transfer')
),

-- tax payments stopping: the month after the last payment, when the
-- payment data goes on for longer
payment_months as (
    select tax_code, {{ month_index('period') }} as month_index from {{ ref('stg_tax__payments') }}
),

filings_stopped as (
    select e.enterprise_id, max(p.month_index) + 1 as month_index,
           'tax payments stop after ' || {{ month_from_index('max(p.month_index)') }} as sign
    from payment_months as p
    join enterprises as e on e.tax_code = p.tax_code
    group by e.enterprise_id
    having max(p.month_index) < (select max(month_index) from payment_months)
),

signs as (
    select * from stoppages
    union all select * from outflows
    union all select * from filings_stopped
),

judged as (
    select
        r.*,
        s.month_index as sign_month,
        s.sign,
        greatest(r.run_start + {{ risk_threshold('ABS01', 'min_rising_months') }} - 1, s.month_index) as flag_month
    from runs as r
    join signs as s
      on s.enterprise_id = r.enterprise_id
     and s.month_index between r.run_start and r.run_end + {{ risk_threshold('ABS01', 'window_months') }}
),

findings as (
    select
        j.enterprise_id,
        e.tax_code,
        {{ month_from_index('min(j.flag_month)') }} as period,
        {{ risk_score("count(distinct split_part(j.sign, ' ', 1))", 1, risk_threshold('ABS01', 'full_score_signs')) }} as score,
        null::numeric as amount_at_stake_vnd,
        'Nợ bảo hiểm xã hội tăng ' || max(j.rising_months) || ' tháng liên tiếp (' || {{ month_from_index('min(j.run_start)') }}
            || '–' || {{ month_from_index('max(j.run_end)') }} || ', cao nhất ' || {{ vn_number('max(j.peak_arrears_vnd)') }}
            || ' VND) kèm dấu hiệu chủ doanh nghiệp bỏ trốn: ' || string_agg(distinct j.sign, '; ') || '.' as summary,
        jsonb_build_object(
            'threshold', 'social-insurance arrears rising 3 consecutive months plus a stoppage owner_absconded, a capital outflow or tax payments stopping',
            'min_rising_months', {{ risk_threshold('ABS01', 'min_rising_months') }},
            'rising_months', max(j.rising_months),
            'first_rising_month', {{ month_from_index('min(j.run_start)') }},
            'last_rising_month', {{ month_from_index('max(j.run_end)') }},
            'peak_arrears_vnd', max(j.peak_arrears_vnd),
            'signs', jsonb_agg(distinct j.sign)
        ) as evidence
    from judged as j
    left join enterprises as e on e.enterprise_id = j.enterprise_id
    group by j.enterprise_id, e.tax_code, j.run_id
)

{{ risk_flag_columns('ABS01', '1.0') }}
