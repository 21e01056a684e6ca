-- LAND01 leased land left idle. Grain: one row per enterprise and month
-- (period YYYY-MM): the first land snapshot at which an active lease of the
-- enterprise has had less than 30 % of its area in use for 24 months.
--
-- Method (docs/rule_land01.md): land not put to use 24 months behind the
-- investment schedule may be recovered by the State (Land Law 45/2013/QH13
-- Art. 64.1(i)). Leases often name the lessee without a tax code, so the
-- lease is tied to its enterprise through entity resolution
-- (marts.enterprise_links); unmatched leases cannot be flagged.
--
-- The duration is measured on the snapshots' dates, never by counting
-- rows: idle since the first idle snapshot with no snapshot showing use (or
-- the lease gone) in between, 24 months elapsed (both months counted, as the
-- land law's "24 months"). So a lease observed every six months, or with a
-- rejected or missing month in between, is flagged like one observed
-- monthly; a gap in the data is neither use nor idleness, and the evidence
-- states which land periods in the span were not complete
-- (marts.dataset_coverage), the summary too since version 1.1. Since 1.1
-- the flag's period is the 24th month on the dates from the first idle
-- snapshot, whether or not a snapshot was delivered for it: a month of the
-- run rejected or missing and delivered later does not move it (nor the
-- flag's id, which keeps its reviews). Before, it was the first snapshot
-- at or after that month, which such a delivery moved. Since 1.2 a run
-- whose first idle snapshot follows land periods without data (since the
-- last land snapshot before it, and since the lease began) says so:
-- the land may have been idle from any of them, so its idle months are a
-- least (seed 2086: the snapshots of 2020 to 2022-01 rejected or never
-- delivered, plots idle since 2020 first seen idle in 2022-07).
with

lease_rows as (
    select
        l.lease_id, l.parcel_no, l.industrial_zone_code, l.snapshot_period, l.status, l.area_m2,
        l.in_use_area_m2, l.lease_start, k.enterprise_id,
        -- one key for the lookup in `observations` below (a period is always YYYY-MM, so the two
        -- parts never run into each other)
        l.lease_id || '|' || l.snapshot_period as lease_snapshot
    from {{ ref('stg_land__leases') }} as l
    join {{ ref('enterprise_links') }} as k
      on k.agency = 'land' and k.dataset = 'leases'
     and k.delivery_id = l.delivery_id and k.row_number = l.row_number
    where k.enterprise_id is not null
),

-- materialized: inlined, the planner (misjudging the linked leases as a
-- handful) re-read the snapshots once per lease: 37 s at 5,000 enterprises
land_snapshots as materialized (
    select distinct snapshot_period from {{ ref('stg_land__leases') }}
),

lease_span as (
    select lease_id, min(snapshot_period) as first_seen, max(snapshot_period) as last_seen
    from lease_rows
    group by 1
),

-- every land snapshot between a lease's first and last appearance: a
-- snapshot without the lease shows it gone, which ends an idle run
observations as (
    select
        s.lease_id,
        p.snapshot_period,
        {{ month_index('p.snapshot_period') }} as month_index,
        coalesce(r.status = 'active' and r.area_m2 > 0
                 and r.in_use_area_m2 < {{ threshold('LAND01', 'max_in_use_share') }} * r.area_m2, false) as is_idle,
        r.enterprise_id, r.parcel_no, r.industrial_zone_code, r.area_m2, r.in_use_area_m2, r.lease_start
    from lease_span as s
    join land_snapshots as p on p.snapshot_period between s.first_seen and s.last_seen
    -- on one key, not two: misjudging the leases as a handful, the planner merged on the lease
    -- alone and filtered the period, re-reading each lease's rows once per snapshot (2.3 million
    -- rows for 97,000 at 5,000 enterprises: half of the rule's time)
    left join lease_rows as r on r.lease_snapshot = s.lease_id || '|' || p.snapshot_period
),

islands as (
    select
        o.*,
        row_number() over (partition by o.lease_id order by o.snapshot_period)
            - row_number() over (partition by o.lease_id, o.is_idle order by o.snapshot_period) as run_id
    from observations as o
),

idle as (
    select i.*, min(i.month_index) over (partition by i.lease_id, i.run_id) as run_start
    from islands as i
    where i.is_idle
),

runs as (
    select
        lease_id, run_id,
        max(enterprise_id) as enterprise_id, max(parcel_no) as parcel_no, max(industrial_zone_code) as industrial_zone_code,
        min(run_start) as run_start, max(month_index) as run_end,
        max(month_index) - min(run_start) + 1 as idle_months,
        count(*) as snapshots_observed,
        -- the 24th month on the dates from the first idle snapshot: the flag's period, stable as
        -- data arrives (also when a month of the run without a snapshot is delivered later)
        min(run_start) + {{ threshold('LAND01', 'min_idle_months') }} - 1 as flagged_at,
        max(area_m2) as area_m2,
        max(in_use_area_m2 / area_m2) as max_in_use_share,
        min(lease_start) as lease_start
    from idle
    group by lease_id, run_id
    having max(month_index) - min(run_start) + 1 >= {{ threshold('LAND01', 'min_idle_months') }}
),

-- the land periods that were not complete
land_gaps as (
    select period, {{ month_index('period') }} as month_index, period || ' ' || status as gap
    from {{ ref('dataset_coverage') }}
    where agency = 'land' and dataset = 'leases' and status <> 'complete'
),

-- those of the run's span: stated, not read; and those before it in which
-- the run may have begun (since 1.2): after the last land snapshot before
-- the run (showing the lease in use, or without it), and from the month
-- the lease began
runs_with_coverage as (
    select
        r.*,
        coalesce((
            select jsonb_agg(g.gap order by g.period) from land_gaps as g
            where g.month_index between r.run_start and r.run_end
        ), '[]'::jsonb) as coverage_gaps,
        coalesce((
            select jsonb_agg(g.gap order by g.period) from land_gaps as g
            where g.month_index < r.run_start
              and g.month_index > coalesce(
                  (select max({{ month_index('p.snapshot_period') }}) from land_snapshots as p
                   where {{ month_index('p.snapshot_period') }} < r.run_start), -1)
              and g.month_index >= coalesce({{ month_index("to_char(r.lease_start, 'YYYY-MM')") }}, -1)
        ), '[]'::jsonb) as gaps_before
    from runs as r
),

findings as (
    select
        r.enterprise_id,
        e.tax_code,
        {{ month_from_index('r.flagged_at') }} as period,
        {{ risk_score('max(r.idle_months)', threshold('LAND01', 'min_idle_months'), threshold('LAND01', 'full_score_idle_months')) }} as score,
        null::numeric as amount_at_stake_vnd,
        'Thửa đất thuê ' || string_agg(r.lease_id, ', ' order by r.lease_id) || ' (' || {{ vn_number('sum(r.area_m2)') }}
            || ' m²) chỉ sử dụng tối đa ' || {{ vn_pct('max(r.max_in_use_share)') }} || ' diện tích trong '
            || max(r.idle_months) || ' tháng liên tiếp (ngưỡng ' || {{ vn_pct(threshold('LAND01', 'max_in_use_share')) }} || ').'
            -- a land period without data inside the span is neither use nor idleness: said, not hidden
            || coalesce((
                select ' Trong khoảng này, ' || count(distinct left(g.gap, 7))
                       || ' tháng thiếu dữ liệu đất đai (không rõ có sử dụng hay không; thời gian tính theo ngày của các kỳ có dữ liệu): '
                       || string_agg(distinct left(g.gap, 7), ', ' order by left(g.gap, 7)) || '.'
                from jsonb_array_elements(jsonb_agg(r.coverage_gaps)) as l (gaps)
                cross join lateral jsonb_array_elements_text(l.gaps) as g (gap)
                having count(*) > 0), '')
            -- and before it, when the run may have begun earlier: its months are a least
            || coalesce((
                select ' Trước chuỗi tháng này, ' || count(distinct left(g.gap, 7))
                       || ' tháng thiếu dữ liệu đất đai (' || min(left(g.gap, 7))
                       || case when min(left(g.gap, 7)) < max(left(g.gap, 7)) then ' đến ' || max(left(g.gap, 7)) else '' end
                       || '): đất có thể đã bỏ không lâu hơn; số tháng trên là mức tối thiểu.'
                from jsonb_array_elements(jsonb_agg(r.gaps_before)) as l (gaps)
                cross join lateral jsonb_array_elements_text(l.gaps) as g (gap)
                having count(*) > 0), '') as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence('less than {LAND01.max_in_use_share%} % of the leased area in use for {LAND01.min_idle_months} months elapsed between snapshots, none showing use (Land Law 2013 Art. 64.1(i))') }},
            'max_in_use_share', {{ threshold('LAND01', 'max_in_use_share') }},
            'min_idle_months', {{ threshold('LAND01', 'min_idle_months') }},
            'leases', jsonb_agg(jsonb_build_object(
                'lease_id', r.lease_id, 'parcel_no', r.parcel_no, 'industrial_zone_code', r.industrial_zone_code,
                'area_m2', r.area_m2, 'max_in_use_share', round(r.max_in_use_share::numeric, 4),
                'idle_months', r.idle_months, 'first_idle_month', {{ month_from_index('r.run_start') }},
                'last_idle_month', {{ month_from_index('r.run_end') }}, 'snapshots_observed', r.snapshots_observed,
                'coverage_gaps', r.coverage_gaps)
                -- only when there are some: the evidence of every other flag, and so its reviews, unchanged
                || case when jsonb_array_length(r.gaps_before) > 0
                        then jsonb_build_object('months_without_data_before', r.gaps_before) else '{}'::jsonb end
                order by r.lease_id)
        ) as evidence
    from runs_with_coverage as r
    left join {{ ref('dim_enterprise') }} as e on e.enterprise_id = r.enterprise_id
    group by r.enterprise_id, e.tax_code, {{ month_from_index('r.flagged_at') }}
)

{{ risk_flag_columns('LAND01', '1.2') }}
