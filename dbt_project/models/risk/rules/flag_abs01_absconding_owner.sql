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
--
-- A gap in the data is never read as evidence: a month of labour data that
-- was rejected or is missing (marts.dataset_coverage) neither breaks a
-- rising streak nor extends it (the streak is measured on the months'
-- dates, and arrears must still be higher than at the last observation); an
-- enterprise absent from a complete month breaks it, as before. Tax payments
-- "stop" only at a month whose payments data is complete.
with

labour_gaps as (
    select {{ month_index('period') }} as month_index
    from {{ ref('dataset_coverage') }}
    where agency = 'labour' and dataset = 'employment' and status <> 'complete'
),

payments_complete as (
    select {{ month_index('period') }} as month_index
    from {{ ref('dataset_coverage') }}
    where agency = 'tax' and dataset = 'payments' and status = 'complete'
),

arrears as (
    select f.enterprise_id, f.period, {{ month_index('f.period') }} as month_index, sum(f.si_arrears_vnd) as arrears_vnd
    from {{ ref('fct_employment') }} as f
    where f.enterprise_id is not null
    group by f.enterprise_id, f.period
),

steps as (
    select
        a.*,
        lag(a.arrears_vnd) over (partition by a.enterprise_id order by a.month_index) as previous_vnd,
        lag(a.month_index) over (partition by a.enterprise_id order by a.month_index) as previous_month
    from arrears as a
),

-- a month between two observations is bridged when the labour data of it is missing or rejected
bridged as (
    select
        s.*,
        s.previous_month is not null and s.previous_month < s.month_index - 1
            and (select count(*) from labour_gaps as g where g.month_index > s.previous_month and g.month_index < s.month_index)
                = s.month_index - s.previous_month - 1 as is_bridged
    from steps as s
),

marked as (
    select
        b.*,
        b.arrears_vnd > 0
            and (b.previous_month is null or (b.previous_month < b.month_index - 1 and not b.is_bridged)
                 or b.arrears_vnd > b.previous_vnd) as is_rising,
        (b.previous_month is null or (b.previous_month < b.month_index - 1 and not b.is_bridged)
         or not (b.arrears_vnd > 0 and b.arrears_vnd > b.previous_vnd))::int as is_break
    from bridged as b
),

rising as (
    select m.*, sum(m.is_break) over (partition by m.enterprise_id order by m.month_index) as run_id
    from marked as m
),

runs as (
    select enterprise_id, run_id, min(month_index) as run_start, max(month_index) as run_end,
           max(month_index) - min(month_index) + 1 as rising_months, count(*) as months_observed,
           max(arrears_vnd) as peak_arrears_vnd
    from rising
    where is_rising
    group by enterprise_id, run_id
    having max(month_index) - min(month_index) + 1 >= {{ threshold('ABS01', 'min_rising_months') }}
),

enterprises as (
    select enterprise_id, tax_code from {{ ref('dim_enterprise') }}
),

stoppages as (
    select k.enterprise_id, {{ month_index("to_char(s.started_on, 'YYYY-MM')") }} as month_index,
           'stoppage'::text as sign_kind,
           'ngừng hoạt động do chủ doanh nghiệp bỏ trốn từ ' || to_char(s.started_on, 'DD/MM/YYYY') as sign
    from {{ ref('stg_labour__stoppages') }} as s
    join {{ ref('enterprise_links') }} as k
      on k.agency = 'labour' and k.dataset = 'stoppages' and k.delivery_id = s.delivery_id and k.row_number = s.row_number
    where s.cause = 'owner_absconded' and k.enterprise_id is not null
),

outflows as (
    select enterprise_id, {{ month_index('period') }} as month_index,
           flow_type::text as sign_kind,
           case flow_type when 'divestment' then 'thoái vốn ' else 'chuyển nhượng vốn ra nước ngoài ' end
               || {{ vn_number('amount_usd') }} || ' USD ngày ' || to_char(value_date, 'DD/MM/YYYY') as sign
    from {{ ref('fct_capital_flows') }}
    where direction = 'outflow' and flow_type in ('divestment', 'capital_transfer')
),

-- tax payments stopping: the month after the last payment, when the
-- payment data goes on for longer
payment_months as (
    select tax_code, {{ month_index('period') }} as month_index from {{ ref('stg_tax__payments') }}
),

-- the stop is seen at the first month after the last payment whose
-- payments data is complete: a rejected or missing month shows nothing
filings_stopped as (
    select e.enterprise_id, min(c.month_index) as month_index,
           'tax_stop'::text as sign_kind,
           'ngừng nộp thuế sau tháng ' || {{ month_from_index('p.last_month') }} as sign
    from (select tax_code, max(month_index) as last_month from payment_months group by tax_code) as p
    join enterprises as e on e.tax_code = p.tax_code
    join payments_complete as c on c.month_index > p.last_month
    group by e.enterprise_id, p.last_month
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
        s.sign_kind,
        s.sign,
        greatest(r.run_start + {{ threshold('ABS01', 'min_rising_months') }} - 1, s.month_index) as flag_month
    from runs as r
    join signs as s
      on s.enterprise_id = r.enterprise_id
     and s.month_index between r.run_start and r.run_end + {{ threshold('ABS01', 'window_months') }}
),

findings as (
    select
        j.enterprise_id,
        e.tax_code,
        {{ month_from_index('min(j.flag_month)') }} as period,
        {{ risk_score("count(distinct j.sign_kind)", 1, threshold('ABS01', 'full_score_signs')) }} as score,
        null::numeric as amount_at_stake_vnd,
        'Nợ bảo hiểm xã hội tăng ' || max(j.rising_months) || ' tháng liên tiếp (' || {{ month_from_index('min(j.run_start)') }}
            || '–' || {{ month_from_index('max(j.run_end)') }} || ', cao nhất ' || {{ vn_number('max(j.peak_arrears_vnd)') }}
            || ' VND) kèm dấu hiệu chủ doanh nghiệp bỏ trốn: ' || string_agg(distinct j.sign, '; ') || '.' as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence('social-insurance arrears rising {ABS01.min_rising_months} consecutive months plus a stoppage owner_absconded, a capital outflow or tax payments stopping') }},
            'min_rising_months', {{ threshold('ABS01', 'min_rising_months') }},
            'rising_months', max(j.rising_months),
            'first_rising_month', {{ month_from_index('min(j.run_start)') }},
            'last_rising_month', {{ month_from_index('max(j.run_end)') }},
            'peak_arrears_vnd', max(j.peak_arrears_vnd),
            'months_observed', max(j.months_observed),
            'labour_months_without_data', coalesce((
                select jsonb_agg({{ month_from_index('g.month_index') }} order by g.month_index)
                from labour_gaps as g where g.month_index between min(j.run_start) and max(j.run_end)), '[]'::jsonb),
            'signs', jsonb_agg(distinct j.sign)
        ) as evidence
    from judged as j
    left join enterprises as e on e.enterprise_id = j.enterprise_id
    group by j.enterprise_id, e.tax_code, j.run_id
)

{{ risk_flag_columns('ABS01', '1.0') }}
