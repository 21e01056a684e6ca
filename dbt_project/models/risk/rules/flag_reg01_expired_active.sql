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

{{ reg01_stale_projects() }},

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
