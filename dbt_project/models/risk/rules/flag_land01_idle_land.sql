-- LAND01 leased land left idle. Grain: one row per enterprise and month
-- (period YYYY-MM): the 24th consecutive month in which an active lease of
-- the enterprise had less than 30 % of its area in use.
--
-- Method (docs/rule_land01.md): land not put to use 24 months behind the
-- investment schedule may be recovered by the State (Land Law 45/2013/QH13
-- Art. 64.1(i)). Leases often name the lessee without a tax code, so the
-- lease is tied to its enterprise through entity resolution
-- (marts.enterprise_links); unmatched leases cannot be flagged.
with

leases as (
    select
        l.lease_id, l.parcel_no, l.industrial_zone_code, l.snapshot_period, l.area_m2, l.in_use_area_m2,
        l.lease_start, k.enterprise_id
    from {{ ref('stg_land__leases') }} as l
    join {{ ref('enterprise_links') }} as k
      on k.agency = 'land' and k.dataset = 'leases'
     and k.delivery_id = l.delivery_id and k.row_number = l.row_number
    where l.status = 'active' and l.area_m2 > 0 and k.enterprise_id is not null
),

idle as (
    select
        i.*,
        {{ month_index('i.snapshot_period') }} as month_index,
        {{ month_index('i.snapshot_period') }}
            - row_number() over (partition by i.lease_id order by i.snapshot_period) as run_id
    from leases as i
    where i.in_use_area_m2 < {{ risk_threshold('LAND01', 'max_in_use_share') }} * i.area_m2
),

runs as (
    select
        enterprise_id, lease_id, parcel_no, industrial_zone_code, run_id,
        min(month_index) as run_start, max(month_index) as run_end, count(*) as idle_months,
        max(area_m2) as area_m2,
        max(in_use_area_m2 / area_m2) as max_in_use_share
    from idle
    group by enterprise_id, lease_id, parcel_no, industrial_zone_code, run_id
    having count(*) >= {{ risk_threshold('LAND01', 'min_idle_months') }}
),

findings as (
    select
        r.enterprise_id,
        e.tax_code,
        {{ month_from_index("r.run_start + " ~ risk_threshold('LAND01', 'min_idle_months') ~ " - 1") }} as period,
        {{ risk_score('max(r.idle_months)', risk_threshold('LAND01', 'min_idle_months'), risk_threshold('LAND01', 'full_score_idle_months')) }} as score,
        null::numeric as amount_at_stake_vnd,
        'Thửa đất thuê ' || string_agg(r.lease_id, ', ' order by r.lease_id) || ' (' || {{ vn_number('sum(r.area_m2)') }}
            || ' m²) chỉ sử dụng tối đa ' || {{ vn_pct('max(r.max_in_use_share)') }} || ' diện tích trong '
            || max(r.idle_months) || ' tháng liên tiếp (ngưỡng ' || {{ vn_pct(risk_threshold('LAND01', 'max_in_use_share')) }} || ').' as summary,
        jsonb_build_object(
            'threshold', 'less than 30 % of the leased area in use for 24 consecutive months (Land Law 2013 Art. 64.1(i))',
            'max_in_use_share', {{ risk_threshold('LAND01', 'max_in_use_share') }},
            'min_idle_months', {{ risk_threshold('LAND01', 'min_idle_months') }},
            'leases', jsonb_agg(jsonb_build_object(
                'lease_id', r.lease_id, 'parcel_no', r.parcel_no, 'industrial_zone_code', r.industrial_zone_code,
                'area_m2', r.area_m2, 'max_in_use_share', round(r.max_in_use_share::numeric, 4),
                'idle_months', r.idle_months, 'first_idle_month', {{ month_from_index('r.run_start') }},
                'last_idle_month', {{ month_from_index('r.run_end') }}) order by r.lease_id)
        ) as evidence
    from runs as r
    left join {{ ref('dim_enterprise') }} as e on e.enterprise_id = r.enterprise_id
    group by r.enterprise_id, e.tax_code, {{ month_from_index("r.run_start + " ~ risk_threshold('LAND01', 'min_idle_months') ~ " - 1") }}
)

{{ risk_flag_columns('LAND01', '1.0') }}
