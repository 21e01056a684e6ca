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
-- A gap in the data is never read as evidence (version 1.1): a rise is an
-- increase between two observed months of the enterprise, consecutive or
-- with only months of labour data rejected or missing between them
-- (marts.dataset_coverage). Such a month neither breaks a streak nor makes
-- one: the rise across it counts once, however many months it spans, and
-- the summary names it. The first month an enterprise is observed has
-- nothing to rise from, and an enterprise absent from a complete month
-- breaks the streak: the next observation starts a new one. The streak
-- needs min_rising_months (3) observed rises; it runs from the month after
-- the observation it rose from to its last rise, and the flag's month is
-- counted on those dates (so a gap month delivered later, rising too,
-- does not move it). Tax payments "stop" only at a month whose payments
-- data is complete.
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

-- a rise: arrears higher than at the enterprise's previous observation, the
-- month before or across a bridged gap; anything else (the first
-- observation, a month after an absence from complete data, arrears not
-- higher) is the base a new streak may rise from
marked as (
    select
        b.*,
        b.previous_month is not null
            and (b.previous_month = b.month_index - 1 or b.is_bridged)
            and b.arrears_vnd > 0 and b.arrears_vnd > b.previous_vnd as is_rise
    from bridged as b
),

rising as (
    select m.*, sum((not m.is_rise)::int) over (partition by m.enterprise_id order by m.month_index) as run_id
    from marked as m
),

-- a streak of observed rises: from the month after the observation it rose
-- from (run_start) to its last rise; rising_months counts the rises, each
-- between two observed months, never the months a gap spans
runs as (
    select enterprise_id, run_id, min(previous_month) + 1 as run_start, max(month_index) as run_end,
           count(*) as rising_months, count(*) as months_observed,
           max(arrears_vnd) as peak_arrears_vnd
    from rising
    where is_rise
    group by enterprise_id, run_id
    having count(*) >= {{ threshold('ABS01', 'min_rising_months') }}
),

-- the labour months of a streak's span without data (NULL when none): named
-- in the summary and the evidence, a rise across them counted once
runs_with_gaps as (
    select
        r.*,
        (select jsonb_agg({{ month_from_index('g.month_index') }} order by g.month_index)
         from labour_gaps as g where g.month_index between r.run_start and r.run_end) as labour_gaps
    from runs as r
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
    from runs_with_gaps as r
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
        'Nợ bảo hiểm xã hội tăng ' || max(j.rising_months)
            || case when j.labour_gaps is null then ' tháng liên tiếp ('
                    else ' lần liên tiếp giữa các tháng có dữ liệu (' end
            || {{ month_from_index('min(j.run_start)') }}
            || '–' || {{ month_from_index('max(j.run_end)') }} || ', cao nhất ' || {{ vn_number('max(j.peak_arrears_vnd)') }}
            || ' VND) kèm dấu hiệu chủ doanh nghiệp bỏ trốn: ' || string_agg(distinct j.sign, '; ') || '.'
            -- a month without labour data inside the streak is neither a rise nor a fall: said, not hidden
            || coalesce(' Trong khoảng này, ' || jsonb_array_length(j.labour_gaps)
                        || ' tháng thiếu dữ liệu lao động (không rõ nợ tăng hay giảm, không tính là tháng tăng): '
                        || (select string_agg(m, ', ' order by m)
                            from jsonb_array_elements_text(j.labour_gaps) as m)
                        || '.', '') as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence('social-insurance arrears rising {ABS01.min_rising_months} consecutive months plus a stoppage owner_absconded, a capital outflow or tax payments stopping') }},
            'min_rising_months', {{ threshold('ABS01', 'min_rising_months') }},
            'rising_months', max(j.rising_months),
            'first_rising_month', {{ month_from_index('min(j.run_start)') }},
            'last_rising_month', {{ month_from_index('max(j.run_end)') }},
            'peak_arrears_vnd', max(j.peak_arrears_vnd),
            'months_observed', max(j.months_observed),
            'labour_months_without_data', coalesce(j.labour_gaps, '[]'::jsonb),
            'signs', jsonb_agg(distinct j.sign)
        ) as evidence
    from judged as j
    left join enterprises as e on e.enterprise_id = j.enterprise_id
    group by j.enterprise_id, e.tax_code, j.run_id, j.labour_gaps
)

{{ risk_flag_columns('ABS01', '1.1') }}
