-- REG01 project registered active after its term expired. Grain: one row per
-- enterprise and month (period YYYY-MM): the first month in which one of its
-- projects was past its expiry date yet still `active` in the register.
--
-- Method (docs/rule_reg01.md): a project ends when its term expires (Law on
-- Investment 61/2020/QH14 Art. 48.2); a register snapshot that shows it
-- active with expires_on before the snapshot month is a stale registration
-- (an enterprise operating without a valid certificate). The period is the
-- month after expiry, or the first snapshot month when it expired earlier.
-- Since 1.1 the score is the months on the dates from the first stale
-- snapshot to the last (both included), not the number of snapshots: a
-- register delivered in January and July showed a project stale all year
-- in 2 snapshots where a monthly one shows 12 (a missing month is no
-- evidence either way; docs/risk.md, "Gaps").
with

snapshots as (
    select
        project_code, tax_code, snapshot_period, status, expires_on, enterprise_name, irc_number
    from {{ ref('stg_registry__projects') }}
    where tax_code is not null and expires_on is not null
),

window_start as (
    select min(snapshot_period) as first_period from snapshots
),

stale as (
    select
        s.project_code,
        s.tax_code,
        min(s.expires_on) as expires_on,
        min(s.snapshot_period) as first_seen_stale,
        max(s.snapshot_period) as last_seen_stale,
        count(*) as stale_snapshots,
        -- the months on the dates the stale registration spans, however many snapshots were delivered in them
        max({{ month_index('s.snapshot_period') }}) - min({{ month_index('s.snapshot_period') }}) + 1 as stale_months
    from snapshots as s
    where s.status = 'active'
      and s.expires_on + make_interval(months => {{ threshold('REG01', 'grace_months') }}::int)
          < to_date(s.snapshot_period, 'YYYY-MM')
    group by s.project_code, s.tax_code
),

projects as (
    select
        st.*,
        greatest(
            to_char(date_trunc('month', st.expires_on) + interval '1 month'
                    + make_interval(months => {{ threshold('REG01', 'grace_months') }}::int), 'YYYY-MM'),
            w.first_period) as period
    from stale as st
    cross join window_start as w
),

findings as (
    select
        {{ enterprise_id_from_tax_code('tax_code') }} as enterprise_id,
        tax_code,
        period,
        -- the longer a lapsed project stays registered active, the worse
        {{ risk_score('max(stale_months)', 0, threshold('REG01', 'full_score_months')) }} as score,
        null::numeric as amount_at_stake_vnd,
        'Dự án ' || string_agg(project_code, ', ' order by project_code) || ' hết hạn ngày '
            || to_char(min(expires_on), 'DD/MM/YYYY') || ' nhưng vẫn ở trạng thái hoạt động trong sổ đăng ký đến kỳ '
            || max(last_seen_stale) || ' (' || max(stale_months) || ' tháng, ' || max(stale_snapshots) || ' kỳ sổ đăng ký).' as summary,
        jsonb_build_object(
            'threshold', 'status active with expires_on before the snapshot month (Law on Investment 2020 Art. 48.2)',
            'projects', jsonb_agg(jsonb_build_object(
                'project_code', project_code, 'expires_on', expires_on, 'first_snapshot_stale', first_seen_stale,
                'last_snapshot_stale', last_seen_stale, 'stale_snapshots', stale_snapshots,
                'stale_months', stale_months) order by project_code)
        ) as evidence
    from projects
    group by tax_code, period
)

{{ risk_flag_columns('REG01', '1.1') }}
