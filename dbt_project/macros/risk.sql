{#- Macros of the risk schema (models/risk/). -#}

{#- The rule models whose findings make up risk.flags, in catalogue order. -#}
{% macro risk_rule_models() -%}
    {{ return([
        'flag_tp01_import_overpricing', 'flag_tp02_export_underpricing', 'flag_tp03_persistent_losses',
        'flag_tp04_low_margin', 'flag_tp05_interest_cap', 'flag_tp06_royalties_in_loss',
        'flag_tp07_repatriation_in_loss', 'flag_cap01_capital_not_contributed', 'flag_reg01_expired_active',
        'flag_reg02_dormant_project', 'flag_abs01_absconding_owner', 'flag_land01_idle_land',
        'flag_rel01_undisclosed_related_party', 'flag_nom01_hidden_foreign_control',
    ]) }}
{%- endmacro %}

{#- The findings of every rule model, `columns` of each, as one union all:
    risk.flags, and its pre-hooks' first detections and withdrawals. -#}
{% macro risk_rules_union(columns) -%}
    {% for m in risk_rule_models() %}
    select {{ columns }} from {{ ref(m) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
{%- endmacro %}

{#- The common tail of every rule model. `findings` is a CTE with one row per
    finding: enterprise_id, tax_code, period ('YYYY' or 'YYYY-MM'), score
    (0-100), amount_at_stake_vnd (NULL when the rule estimates none), summary
    (one Vietnamese sentence with the figures) and evidence (jsonb).
    flag_id is a hash of rule, enterprise and period only, so a rebuild, a
    correction or a new threshold never changes the id of the same finding. -#}
{% macro risk_flag_columns(rule_code, rule_version, findings='findings') -%}
select
    left(md5(concat_ws('|', '{{ rule_code }}'::text, f.enterprise_id::text, f.period::text)), 16)::text as flag_id,
    '{{ rule_code }}'::text as rule_code,
    '{{ rule_version }}'::text as rule_version,
    f.enterprise_id::text as enterprise_id,
    f.tax_code::text as tax_code,
    f.period::text as period,
    (case
        when f.score >= {{ threshold('ALL', 'severity_high_min_score') }} then 'high'
        when f.score >= {{ threshold('ALL', 'severity_medium_min_score') }} then 'medium'
        else 'low'
    end)::text as severity,
    round(f.score::numeric, 1)::numeric(5, 1) as score,
    round(f.amount_at_stake_vnd::numeric)::numeric(22, 0) as amount_at_stake_vnd,
    f.summary::text as summary,
    f.evidence::jsonb as evidence,
    md5(f.evidence::jsonb::text)::text as evidence_hash
from {{ findings }} as f
{%- endmacro %}

{#- A score from 0 to 100 growing with how far `value` went past `threshold`
    towards `full_at` (where it reaches 100), starting from `base`. -#}
{% macro risk_score(value, threshold, full_at, base=50) -%}
    least(100, greatest(0, {{ base }} + (100 - {{ base }})
        * (({{ value }}) - ({{ threshold }}))::numeric / nullif((({{ full_at }}) - ({{ threshold }}))::numeric, 0)))
{%- endmacro %}

{#- Vietnamese number formatting for summaries: 1.234.567 (VND) and 12,3 %. -#}
{% macro vn_number(expr) -%}
    replace(to_char(round(({{ expr }})::numeric), 'FM999G999G999G999G999G990'), ',', '.')
{%- endmacro %}

{% macro vn_pct(expr) -%}
    replace(to_char(round((100 * ({{ expr }}))::numeric, 1), 'FM99999990D0'), '.', ',') || ' %'
{%- endmacro %}

{#- Month arithmetic on 'YYYY-MM' periods. -#}
{% macro month_index(period) -%}
    (left({{ period }}, 4)::int * 12 + substr({{ period }}, 6, 2)::int - 1)
{%- endmacro %}

{% macro month_from_index(index) -%}
    ((({{ index }})::int / 12)::text || '-' || lpad(((({{ index }})::int % 12) + 1)::text, 2, '0'))
{%- endmacro %}

{#- The price pattern of TP01 (imports above the range) or TP02 (exports
    below it) on a row `d` of intermediate.int_customs_price_deviations:
    enough comparables and a material shift at the median, and enough
    related lines to be a pattern, or (`short_of_lines`) fewer than that,
    the good risk.judgements_waiting lists when customs months are missing.
    One condition for the rules and the list, so their thresholds never part. -#}
{% macro customs_price_pattern(rule_code, d='d', short_of_lines=false) -%}
{%- set flow, direction = {'TP01': ('IM', 'above'), 'TP02': ('EX', 'below')}[rule_code] -%}
{{ d }}.flow = '{{ flow }}' and {{ d }}.direction = '{{ direction }}'
    and {{ d }}.comparables >= {{ threshold(rule_code, 'min_comparables') }}
    and {{ d }}.related_lines {{ '<' if short_of_lines else '>=' }} {{ threshold(rule_code, 'min_related_lines') }}
    and {{ d }}.shifted_vnd >= {{ threshold(rule_code, 'min_shift_share') }} * {{ d }}.price_median * {{ d }}.quantity
{%- endmacro %}

{#- The findings of TP01 or TP02 (models/risk/docs/rule_tp01.md, rule_tp02.md)
    from `goods`, rows of intermediate.int_customs_price_deviations the rule
    kept: one finding per enterprise and fiscal year, with the good that moved
    the most value in the summary and every good in the evidence, and the
    year's customs months not in force stated in both (marts.dataset_coverage).
    Ends with the `findings` CTE that risk_flag_columns reads. -#}
{% macro customs_price_findings(rule_code, flow, goods='goods') -%}
{%- if flow not in ('IM', 'EX') -%}
    {{ exceptions.raise_compiler_error("customs_price_findings: flow IM|EX") }}
{%- endif -%}
{%- set above = flow == 'IM' -%}
{#- no good of the year material at its median's confidence bound -#}
{%- set uncertain = 'max(shift_share_at_ci) < ' ~ threshold(rule_code, 'min_shift_share') -%}
{%- set words = {
    'IM': {'trade': 'nhập khẩu từ', 'side': 'trên', 'market': 'hàng nhập khẩu độc lập', 'moved': 'giá trị',
           'bound': 'above the {' ~ rule_code ~ '.percentile_high%}th', 'flow': 'imports',
           'ci_bound': 'median_ci_high'},
    'EX': {'trade': 'xuất khẩu cho', 'side': 'dưới', 'market': 'hàng xuất khẩu độc lập', 'moved': 'thu nhập',
           'bound': 'below the {' ~ rule_code ~ '.percentile_low%}th', 'flow': 'exports',
           'ci_bound': 'median_ci_low'},
}[flow] -%}
-- customs months of the year without a delivery in force: the comparables' range
-- and the related-party lines are those of the months in force, so the evidence
-- and the summary say which months are missing (a missing month is no evidence)
customs_gaps as (
    {{ months_not_complete_by_year('customs', 'declarations') }}
),

found as (
    select
        enterprise_id,
        tax_code,
        fiscal_year as period,
        -- decided at the median (the goods kept, Art. 7.3). A year whose shift
        -- is material only at the drawn median, not at the median's confidence
        -- bound nearer the price (a rare good's few comparables), is scored on
        -- the shift at that bound: under 50, below every year the comparables
        -- prove. Years they prove keep their score, evidence and hash.
        {{ risk_score('case when ' ~ uncertain ~ ' then max(shift_share_at_ci) else max(shift_share) end',
                      threshold(rule_code, 'min_shift_share'), threshold(rule_code, 'full_score_shift_share')) }} as score,
        sum(shifted_vnd) as amount_at_stake_vnd,
        'Năm ' || fiscal_year || ', doanh nghiệp {{ words.trade }} bên liên kết ' || count(*)
            || ' mã hàng với đơn giá {{ words.side }} phân vị '
            || {{ threshold_sentence('{' ~ rule_code ~ ('.percentile_high%}' if above else '.percentile_low%}')) }}
            || ' của {{ words.market }} (mã HS '
            || (array_agg(hs_code order by shifted_vnd desc))[1] || ': '
            || {{ vn_number('(array_agg(related_price order by shifted_vnd desc))[1]') }} || ' VND/'
            || (array_agg(unit order by shifted_vnd desc))[1] || ', trung vị '
            || {{ vn_number('(array_agg(price_median order by shifted_vnd desc))[1]') }}
            || ' VND); {{ words.moved }} ước tính chuyển ra nước ngoài ' || {{ vn_number('sum(shifted_vnd)') }} || ' VND.'
            -- a median few comparables know: the shift material only at the drawn median is said
            || case when {{ uncertain }} then
                ' Chưa chắc chắn: trung vị chỉ dựa trên '
                || (array_agg(comparables order by shifted_vnd desc))[1] || ' giao dịch độc lập; ở cận {{ words.side }} khoảng tin cậy 95 % của trung vị ('
                || {{ vn_number('(array_agg(' ~ words.ci_bound ~ ' order by shifted_vnd desc))[1]') }} || ' VND) phần chênh lệch chỉ còn '
                || {{ vn_pct('(array_agg(shift_share_at_ci order by shifted_vnd desc))[1]') }} || ', dưới ngưỡng trọng yếu '
                || {{ threshold_sentence('{' ~ rule_code ~ '.min_shift_share%}') }} || ' %.'
                else '' end as summary,
        jsonb_build_object(
            'threshold', {{ threshold_sentence('related-party unit price ' ~ words.bound ~ ' percentile of unrelated ' ~ words.flow ~ ' (Decree 132/2020 Art. 7.3)') }},
            'shifted_value_vnd', round(sum(shifted_vnd)),
            'goods', jsonb_agg(jsonb_build_object(
                'hs_code', hs_code, 'unit', unit, 'related_partners', partners,
                'related_lines', related_lines, 'related_quantity', quantity,
                'related_value_vnd', value_vnd, 'related_unit_price_vnd', round(related_price::numeric, 2),
                'comparables', comparables,
                'comparable_min_vnd', round(price_min::numeric, 2), 'comparable_max_vnd', round(price_max::numeric, 2),
                'range_p35_vnd', round(price_p35::numeric, 2), 'median_vnd', round(price_median::numeric, 2),
                'range_p75_vnd', round(price_p75::numeric, 2),
                'shifted_value_vnd', round(shifted_vnd::numeric), 'shift_share', round(shift_share::numeric, 4))
                -- the median's confidence interval, where it leaves the good's shift unproven
                || case when shift_share_at_ci < {{ threshold(rule_code, 'min_shift_share') }} then jsonb_build_object(
                    'median_ci_low_vnd', round(median_ci_low::numeric, 2),
                    'median_ci_high_vnd', round(median_ci_high::numeric, 2),
                    'median_bound_shift_share', round(shift_share_at_ci::numeric, 4)) else '{}' end
                order by hs_code, unit)
        ) || case when {{ uncertain }} then jsonb_build_object('materiality_unproven', true) else '{}' end as evidence
    from {{ goods }}
    group by enterprise_id, tax_code, fiscal_year
),

findings as (
    select
        f.enterprise_id, f.tax_code, f.period, f.score, f.amount_at_stake_vnd,
        f.summary || {{ months_missing_sentence('hải quan', 'f.period', 'g.months',
                                                'khoảng giá và giá trị ước tính chỉ tính trên các tháng có dữ liệu') }}
            as summary,
        f.evidence || {{ evidence_when_present('customs_months_not_complete', 'g.months') }} as evidence
    from found as f
    left join customs_gaps as g on g.fiscal_year = f.period
)
{%- endmacro %}

{#- Record every flag id of risk.flags in risk.flag_first_seen (created by
    warehouse/reviews.sql, outside dbt), keeping the first detection time of
    ids already there. Run as a pre-hook of risk.flags, so a full refresh can
    never reset it. -#}
{% macro risk_record_first_seen() -%}
    insert into risk.flag_first_seen (flag_id, rule_code, first_detected_at)
    {{ risk_rules_union('flag_id, rule_code, now()') }}
    on conflict (flag_id) do nothing
{%- endmacro %}

{#- Record in risk.flag_withdrawals (created by warehouse/reviews.sql, outside
    dbt) every flag of risk.flags as it stands that no rule raises any more,
    as it was last raised. Run as a pre-hook of risk.flags, before the table is
    emptied or replaced, so the decisions on a flag that goes keep what they
    were about. Nothing on the first build, when there is no risk.flags yet. -#}
{% macro risk_record_withdrawals() -%}
    {%- set current = adapter.get_relation(this.database, this.schema, this.identifier) if execute else none -%}
    {%- if current is none -%}
    select 'no flags raised before: nothing withdrawn'
    {%- else -%}
    insert into risk.flag_withdrawals (
        flag_id, rule_code, rule_version, enterprise_id, tax_code, period, severity, score,
        amount_at_stake_vnd, summary, evidence, evidence_hash, first_detected_at)
    select
        f.flag_id, f.rule_code, f.rule_version, f.enterprise_id, f.tax_code, f.period, f.severity, f.score,
        f.amount_at_stake_vnd, f.summary, f.evidence, f.evidence_hash, f.first_detected_at
    from {{ current }} as f
    where not exists (
        select 1 from ({{ risk_rules_union('flag_id') }}) as raised
        where raised.flag_id = f.flag_id
    )
    {%- endif %}
{%- endmacro %}

{#- The fiscal years from `first_year` to `last_year` in which the enterprise
    `tax_code` has no CIT return in force (not filed, quarantined, or the
    year's delivery rejected or missing), as a jsonb array, NULL when there is
    none. Years before the enterprise's first return are not gaps: it did not
    file yet, or the data starts later. A rule whose figures span such a year
    states it in its evidence (issue 14: a gap is never evidence). -#}
{% macro tax_years_without_return(tax_code, first_year, last_year) -%}
    (select jsonb_agg(y order by y)
     from generate_series(
         greatest(({{ first_year }})::int,
                  (select min(x.fiscal_year) from {{ ref('fct_tax_returns') }} as x where x.tax_code = {{ tax_code }})),
         ({{ last_year }})::int) as y
     where not exists (select 1 from {{ ref('fct_tax_returns') }} as x
                       where x.tax_code = {{ tax_code }} and x.fiscal_year = y))
{%- endmacro %}

{#- An evidence entry present only when it has a value: a gap stated when
    there is one, while the evidence of a flag without gaps (and so its
    evidence hash, which keeps a reviewer's decision) is what it was.
    `jsonb_build_object` alone would add the key with null to every flag. -#}
{% macro evidence_when_present(key, value) -%}
    (case when {{ value }} is not null then jsonb_build_object('{{ key }}', {{ value }}) else '{}'::jsonb end)
{%- endmacro %}

{#- A dataset's months that are not `complete` in marts.dataset_coverage, one
    row per month (fiscal_year text YYYY, period YYYY-MM, status). A year's
    months are its twelve months, for every year of the coverage grid (the
    first year of any period it holds to the last): a month without a
    delivery in force is named with its reason, whether coverage has a row
    for it (`rejected`, `missing`) or not: `not yet due` after the latest
    month due (the data's clock: the latest monthly period, or December of
    the latest annual one), `before coverage starts` before the grid's first
    month, `missing` in between (a dataset outside the agreement that
    delivered nothing that month). So the current, incomplete year is never
    read as a full one (a missing month is no evidence, and no absence of it
    either). -#}
{% macro months_not_complete(agency, dataset) -%}
    select left(m.period, 4) as fiscal_year, m.period,
           coalesce(c.status, case when m.period > k.last_month_due then 'not yet due'
                                   when k.first_month is null or m.period < k.first_month then 'before coverage starts'
                                   else 'missing' end) as status
    from (
        select
            min(period) filter (where period ~ '^\d{4}-\d{2}$') as first_month,
            max(case when period ~ '^\d{4}$' then period || '-12' else period end) as last_month_due,
            min(left(period, 4)::int) as first_year,
            max(left(period, 4)::int) as last_year
        from {{ ref('dataset_coverage') }}
    ) as k
    cross join lateral generate_series(k.first_year, k.last_year) as y (fiscal_year)
    cross join lateral generate_series(1, 12) as n (month_of_year)
    cross join lateral (select y.fiscal_year::text || '-' || lpad(n.month_of_year::text, 2, '0') as period) as m
    left join {{ ref('dataset_coverage') }} as c
      on c.agency = '{{ agency }}' and c.dataset = '{{ dataset }}' and c.period = m.period
    where c.status is distinct from 'complete'
{%- endmacro %}

{#- The same per fiscal year (text, YYYY): `months` is a jsonb array of
    'YYYY-MM status' in month order, for a rule's evidence and summary to
    state; years with every month complete have no row. -#}
{% macro months_not_complete_by_year(agency, dataset) -%}
    select fiscal_year, jsonb_agg(period || ' ' || status order by period) as months
    from ({{ months_not_complete(agency, dataset) }}) as g
    group by 1
{%- endmacro %}

{#- The months of `months` (a jsonb array of 'YYYY-MM status') in words, each
    run of consecutive months of one status once, with its reason:
    '2025-02 (bị từ chối), 2025-04 đến 2025-12 (chưa đến hạn)'. -#}
{% macro months_in_words(months) -%}
    (select string_agg(case when month_runs.first_month = month_runs.last_month then month_runs.first_month
                            else month_runs.first_month || ' đến ' || month_runs.last_month end
                       || ' (' || case month_runs.status when 'rejected' then 'bị từ chối'
                                                         when 'missing' then 'chưa giao'
                                                         when 'not yet due' then 'chưa đến hạn'
                                                         when 'before coverage starts' then 'trước kỳ dữ liệu đầu tiên'
                                                         else month_runs.status end || ')',
                       ', ' order by month_runs.first_month)
     from (select min(gap_months.period) as first_month, max(gap_months.period) as last_month, gap_months.status
           from (select left(gap_entry, 7) as period, substr(gap_entry, 9) as status,
                        {{ month_index('left(gap_entry, 7)') }}
                        - row_number() over (partition by substr(gap_entry, 9) order by left(gap_entry, 7)) as run_key
                 from jsonb_array_elements_text({{ months }}) as gap_entry) as gap_months
           group by gap_months.status, gap_months.run_key) as month_runs)
{%- endmacro %}

{#- The summary's sentence for a year with months of a dataset not in force
    (`months`, a jsonb array from months_not_complete_by_year, or null):
    which data, how many months, which ones and why, and what that means for
    the figure; '' when nothing is missing. One wording for every rule that
    states such a gap, e.g. ' Số liệu hải quan năm 2025 thiếu 9 tháng:
    2025-04 đến 2025-12 (chưa đến hạn); khoảng giá ... có dữ liệu.' -#}
{% macro months_missing_sentence(data, year, months, consequence) -%}
    coalesce(' Số liệu {{ data }} năm ' || {{ year }} || ' thiếu ' || jsonb_array_length({{ months }})
             || ' tháng: ' || {{ months_in_words(months) }} || '; {{ consequence }}.', '')
{%- endmacro %}

{#- The year each enterprise began operating, one row per tax code
    (start_year NULL when the data do not show it). TP03 and TP04 take the
    start-up years as this year and the next `startup_years` (TP04), since
    a certificate issued late in a year starts operations the next.
      * Its returns show it (TP03 1.5, TP04 2.2): a return without revenue
        before its first with revenue, a plant being built, incorporated
        and filing, selling nothing yet: that first year with revenue.
      * Otherwise, from its earliest investment certificate: the latest
        start the data allow, the year building can begin plus the years a
        plant may take to build (TP04 `max_construction_years`), unless a
        return with revenue comes earlier. Building begins once the
        enterprise is registered, which follows the certificate (TP03 1.6,
        TP04 2.3): the year of the certificate's date plus
        `max_incorporation_days`, so a certificate of a year's last quarter
        may build from the next (seed 2052: certified on 22 December 2018,
        incorporated in 2019, built 2019-2020, sold from 2021). A new factory often sells nothing for a
        year or two after its certificate (docs/generator.md, "Honest
        losses"), and when those years fall before the data, its returns
        cannot say whether it was building or operating: a missing year is
        not read as a year of operations (docs/risk.md, "Gaps"). An
        enterprise certified long before the data starts as before.
      * Without a certificate: its first CIT return when the returns do not
        start with the data itself (a firm filing from the data's first
        year may be older), else unknown.
    A year without a return is no year without revenue. -#}
{% macro enterprise_start_years() -%}
    select f.tax_code,
           case
               when f.first_year_without_revenue < f.first_year_with_revenue then f.first_year_with_revenue
               else greatest(
                   least(case when f.seen_from_start then f.first_year end, c.first_year),
                   case when c.first_year is not null
                        then least(c.building_from_year + {{ threshold('TP04', 'max_construction_years') }}::int,
                                   f.first_year_with_revenue) end)
           end as start_year
    from (
        select tax_code, min(fiscal_year) as first_year,
               min(fiscal_year) > (select min(fiscal_year) from {{ ref('fct_tax_returns') }}) as seen_from_start,
               min(fiscal_year) filter (where revenue_vnd = 0) as first_year_without_revenue,
               min(fiscal_year) filter (where revenue_vnd > 0) as first_year_with_revenue
        from {{ ref('fct_tax_returns') }}
        group by 1
    ) as f
    left join (
        select tax_code, min(extract(year from issued_on))::int as first_year,
               extract(year from min(issued_on)
                   + make_interval(days => {{ threshold('TP04', 'max_incorporation_days') }}::int))::int as building_from_year
        from {{ ref('dim_project') }}
        where tax_code is not null
        group by 1
    ) as c on c.tax_code = f.tax_code
{%- endmacro %}

{#- Whether a fiscal year is one of an enterprise's start-up years: the year
    it started (macro enterprise_start_years) and the next `startup_years`
    (TP04's threshold, which TP03 and the judgements waiting share); an
    unknown start makes none. -#}
{% macro is_startup_year(fiscal_year, start_year) -%}
coalesce({{ fiscal_year }} <= {{ start_year }} + {{ threshold('TP04', 'startup_years') }}, false)
{%- endmacro %}

{#- CAP01's capital windows (models/risk/docs/rule_cap01.md), as CTEs ending
    with `judged` and `deadlines` (below): one row per project judged (issued within the fx data,
    its deadline passed, foreign capital due), with what its window from
    issue to deadline holds: contributions loaded (`contributed_usd`),
    quarantined ones that are the enterprise's (`quarantined_usd`, and
    `quarantined_unknown` of unknown amount), and the fx months without a
    delivery in force (`uncovered_months`, `uncovered_periods` as
    'YYYY-MM status'). Read by the rule, which judges the windows every
    month of which is in force, and by risk.judgements_waiting, which lists
    the shortfalls that wait on a missing month. -#}
{% macro cap01_capital_windows() -%}
flows as (
    select * from {{ ref('fct_capital_flows') }}
),

fx_window as (
    select to_date(min(period), 'YYYY-MM') as first_day,
           (to_date(max(period), 'YYYY-MM') + interval '1 month')::date as end_day
    from flows
),

register as (
    select * from {{ ref('stg_registry__projects') }}
    where tax_code is not null and capital_deadline is not null
),

-- the registration as it stood at the deadline (the latest snapshot up to
-- that month, else the first one seen)
projects as (
    select distinct on (r.project_code)
        r.project_code, r.tax_code, r.issued_on, r.capital_deadline, r.charter_capital_usd,
        r.foreign_ownership_pct, r.snapshot_period,
        r.charter_capital_usd * r.foreign_ownership_pct / 100 as foreign_capital_due_usd
    from register as r
    order by r.project_code,
             (r.snapshot_period <= to_char(r.capital_deadline, 'YYYY-MM')) desc,
             case when r.snapshot_period <= to_char(r.capital_deadline, 'YYYY-MM') then r.snapshot_period end desc,
             r.snapshot_period
),

-- Contributions the loader quarantined (e.g. a mistyped tax code or currency
-- code) that belong to the enterprise: the shortfall is then not established
-- by the data, and the case belongs to the data-quality review, not here. A
-- quarantined row belongs to the enterprise when it is on the enterprise's
-- capital account (seen in its loaded flows) or names a tax code whose first
-- 9 digits are the enterprise's: the 10th is the check digit, so such a code
-- is the enterprise's own or its own with a wrong check digit (a firm that
-- paid in one tranche has no loaded flow to show its account). A quarantined
-- row in USD counts with its amount; in any other currency, or with an
-- unreadable amount, the amount is unknown (NULL) and no shortfall can be
-- established at all.
accounts as (
    select distinct tax_code, account_no from flows where flow_type = 'capital_contribution'
),

registered as (
    select distinct tax_code from register
),

quarantined as (
    select
        coalesce(a.tax_code, r.tax_code) as tax_code,
        (q.original ->> 'value_date')::date as value_date,
        case when q.original ->> 'currency' = 'USD' and q.original ->> 'amount' ~ '^[0-9]+(\.[0-9]+)?$'
             then (q.original ->> 'amount')::numeric end as amount_usd
    from {{ ref('stg_audit__quarantine') }} as q
    -- only deliveries in force: a superseded delivery's quarantined row was replaced by its correction's rows
    join {{ ref('stg_audit__deliveries') }} as dq on dq.delivery_id = q.delivery_id and dq.status = 'loaded'
    left join accounts as a on a.account_no = q.original ->> 'account_no'
    left join registered as r
      on left(r.tax_code, 9) = {{ tax_code_stem_as_delivered("q.original ->> 'tax_code'") }}
    where q.agency = 'fx' and q.dataset = 'capital_flows'
      and q.original ->> 'flow_type' = 'capital_contribution'
      and q.original ->> 'value_date' ~ '^\d{4}-\d{2}-\d{2}$'
      and coalesce(a.tax_code, r.tax_code) is not null
),

-- fx months without a delivery in force (rejected or missing,
-- marts.dataset_coverage): a contribution paid in such a month is not in the
-- data, so a shortfall over a window holding one is not established
fx_gaps as (
    select period, status from {{ ref('dataset_coverage') }}
    where agency = 'fx' and dataset = 'capital_flows' and status <> 'complete'
),

-- the projects judged: issued within the fx data, deadline passed
due as (
    select p.*
    from projects as p
    cross join fx_window as w
    where p.issued_on >= w.first_day
      and p.capital_deadline < w.end_day
      and p.foreign_capital_due_usd > 0
),

-- what each window holds, joined on the tax code and summed per project:
-- a subquery per project scanned every flow for each (1.7 s at 5,000
-- enterprises over three years, growing with projects times flows)
window_contributions as (
    select d.project_code, sum(f.amount_usd) as contributed_usd
    from due as d
    join flows as f
      on f.tax_code = d.tax_code
     and f.flow_type = 'capital_contribution' and f.direction = 'inflow'
     and f.value_date between d.issued_on and d.capital_deadline
    group by d.project_code
),

window_quarantined as (
    select d.project_code, sum(q.amount_usd) as quarantined_usd, count(*) filter (where q.amount_usd is null) as quarantined_unknown
    from due as d
    join quarantined as q on q.tax_code = d.tax_code and q.value_date between d.issued_on and d.capital_deadline
    group by d.project_code
),

window_gaps as (
    select d.project_code, count(*) as uncovered_months,
           jsonb_agg(g.period || ' ' || g.status order by g.period) as uncovered_periods
    from due as d
    join fx_gaps as g on g.period between to_char(d.issued_on, 'YYYY-MM') and to_char(d.capital_deadline, 'YYYY-MM')
    group by d.project_code
),

judged as (
    select
        d.*,
        coalesce(g.uncovered_months, 0) as uncovered_months,
        g.uncovered_periods,
        coalesce(q.quarantined_usd, 0) as quarantined_usd,
        coalesce(q.quarantined_unknown, 0) as quarantined_unknown,
        coalesce(c.contributed_usd, 0) as contributed_usd
    from due as d
    left join window_gaps as g using (project_code)
    left join window_quarantined as q using (project_code)
    left join window_contributions as c using (project_code)
),

-- the findings' grain: an enterprise's projects with one deadline month
-- (`period`, the month after it), short when the contributions loaded and
-- quarantined fall below the share due and no quarantined one is of an
-- unknown amount; judged by the rule when no fx month of the windows is
-- missing, waiting (risk.judgements_waiting) when one is
deadlines as (
    select
        tax_code,
        to_char(capital_deadline + interval '1 month', 'YYYY-MM') as period,
        max(capital_deadline) as capital_deadline,
        sum(contributed_usd) as contributed_usd,
        sum(quarantined_usd) as quarantined_usd,
        sum(foreign_capital_due_usd) as foreign_capital_due_usd,
        sum(uncovered_months) as uncovered_months,
        sum(contributed_usd) + sum(quarantined_usd)
            < {{ threshold('CAP01', 'min_contributed_share') }} * sum(foreign_capital_due_usd)
            and sum(quarantined_unknown) = 0 as is_short,
        jsonb_agg(project_code order by project_code) as project_codes,
        jsonb_agg(jsonb_build_object(
            'project_code', project_code, 'issued_on', issued_on, 'capital_deadline', capital_deadline,
            'charter_capital_usd', charter_capital_usd, 'foreign_ownership_pct', foreign_ownership_pct,
            'register_snapshot', snapshot_period) order by project_code) as projects
    from judged
    group by tax_code, to_char(capital_deadline + interval '1 month', 'YYYY-MM')
)
{%- endmacro %}

{#- REG01's projects registered active after their term (models/risk/docs/
    rule_reg01.md), as CTEs ending with `projects`: `snapshots` (the register
    rows in force with a tax code and an expiry), `window_start` (the first
    snapshot month), `stale` (one row per project a snapshot shows active past
    its term, with the months on the dates from the first such snapshot to
    the last) and `projects` (those with the period of the finding). Read by
    the rule, and by risk.judgements_waiting, which lists the projects whose
    term ended in register months not delivered. -#}
{% macro reg01_stale_projects() -%}
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
      and {{ reg01_lapsed_by('s.expires_on', 's.snapshot_period') }}
    group by s.project_code, s.tax_code
),

projects as (
    select
        st.*,
        {{ reg01_period('st.expires_on', 'w.first_period') }} as period
    from stale as st
    cross join window_start as w
)
{%- endmacro %}

{#- Whether a project whose term expires on `expires_on` is past it, grace
    included, in the register month `period` ('YYYY-MM'): a snapshot of that
    month showing it active is a stale registration. -#}
{% macro reg01_lapsed_by(expires_on, period) -%}
    {{ expires_on }} + make_interval(months => {{ threshold('REG01', 'grace_months') }}::int)
          < to_date({{ period }}, 'YYYY-MM')
{%- endmacro %}

{#- The period of a REG01 finding on a project whose term expires on
    `expires_on`: the month after its term and grace, or the register's
    first snapshot month `first_period` when the term ended before it. It
    depends on no snapshot but the first, so a month delivered later never
    moves it. -#}
{% macro reg01_period(expires_on, first_period) -%}
    greatest(
            to_char(date_trunc('month', {{ expires_on }}) + interval '1 month'
                    + make_interval(months => {{ threshold('REG01', 'grace_months') }}::int), 'YYYY-MM'),
            {{ first_period }})
{%- endmacro %}

{#- The datasets whose records show REG02 an enterprise active (tax payments,
    customs, labour, fx): a month shows silence only when all of them are
    complete for it. As SQL pairs `(agency, dataset), ...` for an `in` list or
    a `values` list; with count=true, how many they are. -#}
{% macro reg02_activity_datasets(count=false) -%}
    {%- set datasets = [('tax', 'payments'), ('customs', 'declarations'), ('labour', 'employment'),
                        ('fx', 'capital_flows')] -%}
    {%- if count -%}
        {{ datasets | length }}
    {%- else -%}
        {%- for agency, dataset in datasets %}('{{ agency }}', '{{ dataset }}'){{ ', ' if not loop.last }}{% endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- REG02's runs of silent months (models/risk/docs/rule_reg02.md), as CTEs
    ending with `runs_with_coverage`: one row per enterprise with an active
    project and run of months without activity that may span at least
    `min_silent_months` on the dates, with its observed silent months
    (`silent_months`) and the months in its span without full data
    (`months_without_full_data`, 'YYYY-MM'), which are neither silence nor
    activity. The run may span more: the months without full data before
    and after it, up to the enterprise's active months around it
    (`may_start`, `may_end`, `months_it_may_span_without_full_data`). Read by
    the rule, which flags the runs whose observed silent months reach the
    threshold, and by risk.judgements_waiting, which lists those that may
    reach it only with the months without data. `observed_months` holds the
    months all four activity datasets are complete for. -#}
{% macro reg02_silent_runs() -%}
observed_months as (
    select {{ month_index('period') }} as month_index
    from {{ ref('dataset_coverage') }}
    where status = 'complete'
      and (agency, dataset) in ({{ reg02_activity_datasets() }})
    group by period
    having count(*) = {{ reg02_activity_datasets(count=true) }}
),

-- one row per enterprise and month with any activity (a join, not a
-- correlated probe per enterprise-month: at 5,000 enterprises that took minutes);
-- grouped once by hash: `union` sorted each input's rows on disk (a million
-- at 5,000 enterprises over two years) to drop the duplicates. A record of
-- the enterprise that an agency delivered for the month and the loader held
-- back in quarantine (a field failed a check) is activity too: the agency
-- reported the enterprise that month, so the month is not silent (read as
-- silence, a lone payment held back for a negative amount would make a
-- case; it can only end a run, never make one)
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
        union all select e.tax_code, q.period
              from {{ ref('int_quarantined_records_attributed') }} as q
              join {{ ref('dim_enterprise') }} as e on e.enterprise_id = q.enterprise_id
              where (q.agency, q.dataset) in ({{ reg02_activity_datasets() }})
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
    select p.tax_code, p.projects, m.month_index, w.first_month as window_start, d.last_month as window_end
    from projects as p
    cross join data_months as d
    cross join lateral (
        select greatest(d.first_month, {{ month_index("to_char(p.issued_on, 'YYYY-MM')") }}) as first_month) as w
    cross join lateral generate_series(w.first_month, d.last_month) as m (month_index)
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

-- the months known silent or active; each with the enterprise's known month
-- before and after it, between which lie only months without full data
islands as (
    select
        j.*,
        row_number() over (partition by j.tax_code order by j.month_index)
            - row_number() over (partition by j.tax_code, j.is_active order by j.month_index) as run_id,
        lag(j.month_index) over (partition by j.tax_code order by j.month_index) as known_before,
        lead(j.month_index) over (partition by j.tax_code order by j.month_index) as known_after
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
        min(run_start) + {{ threshold('REG02', 'min_silent_months') }} - 1 as flagged_at,
        -- the months the run may span: the months without full data before its
        -- first silent month and after its last, up to the enterprise's active
        -- months around it (or the window's ends), may be silent too. (Only
        -- the run's first row has its known month before outside the run, and
        -- only its last its known month after.)
        min(coalesce(known_before + 1, window_start)) as may_start,
        max(coalesce(known_after - 1, window_end)) as may_end
    from silent
    group by tax_code, projects, run_id
    -- the rule's runs (observed silent months >= the threshold) and those that
    -- reach it only with months without full data, inside the run or around
    -- it (risk.judgements_waiting; seed 2071: eight runs of 13 silent months
    -- whose last seven lacked full data were listed nowhere)
    having max(coalesce(known_after - 1, window_end)) - min(coalesce(known_before + 1, window_start)) + 1
        >= {{ threshold('REG02', 'min_silent_months') }}
),

runs_with_coverage as (
    select
        r.*,
        {{ reg02_months_without_full_data('r.run_start', 'r.run_end') }} as months_without_full_data,
        -- the same over the months the run may span: what a run not yet judged waits on
        {{ reg02_months_without_full_data('r.may_start', 'r.may_end') }} as months_it_may_span_without_full_data
    from runs as r
)
{%- endmacro %}

{#- The months from `first` to `last` (month indexes) that not all four
    activity datasets are complete for (`observed_months` of
    reg02_silent_runs), as a jsonb array of 'YYYY-MM', '[]' when none. -#}
{% macro reg02_months_without_full_data(first, last) -%}
    coalesce((
        select jsonb_agg({{ month_from_index('g') }} order by g)
        from generate_series({{ first }}, {{ last }}) as g
        where not exists (select 1 from observed_months as o where o.month_index = g)
    ), '[]'::jsonb)
{%- endmacro %}

{#- TP04's returns compared (models/risk/docs/rule_tp04.md), as CTEs: `started`
    (macro enterprise_start_years), `returns` (each return with revenue and a
    sector, its EBIT margin, its sector's safe harbour and whether it is a
    start-up year), `compared` (with the weighted margin of the comparison
    period and the figures of the enterprise's previous return, `prior_year`:
    the year before only when that year has one), `peers` (per VSIC division
    and year),
    `related` (the year's related-party disclosures) and `explained` (the
    years a more specific finding covers). Read by the rule, which judges a
    year with the year before's return, and by risk.judgements_waiting, which
    lists the years whose judgement waits on a missing delivery. -#}
{% macro tp04_margins() -%}
-- year the enterprise started (macro enterprise_start_years, shared with
-- TP03): its earliest investment certificate, or its first CIT return when
-- the returns do not start with the data itself; since 2.2 its first year
-- with revenue after returns without any, and a certificate's year moved
-- to the latest start the data allow within max_construction_years (2.3:
-- of building, which begins once the enterprise is registered). The
-- start-up years are the
-- (often partial) first year and the next two full ones, since a
-- certificate issued late in a year starts operations the next.
started as (
    {{ enterprise_start_years() }}
),

returns as (
    select
        t.enterprise_id, t.tax_code, t.fiscal_year, t.revenue_vnd,
        t.revenue_vnd - t.cost_of_goods_vnd - t.operating_expense_vnd as ebit_vnd,
        (t.revenue_vnd - t.cost_of_goods_vnd - t.operating_expense_vnd)::numeric / t.revenue_vnd as ebit_margin,
        left(e.vsic_code, 2) as vsic_division,
        -- the Decree 132 Art. 19.2(b) safe harbour of the sector
        case
            when left(e.vsic_code, 2) between '45' and '47' then {{ threshold('TP04', 'safe_harbour_distribution') }}
            when left(e.vsic_code, 2) between '10' and '33' then {{ threshold('TP04', 'safe_harbour_manufacturing') }}
            else {{ threshold('TP04', 'safe_harbour_processing') }}
        end as safe_harbour_margin,
        s.start_year,
        {{ is_startup_year('t.fiscal_year', 's.start_year') }} as is_startup_year
    from {{ ref('fct_tax_returns') }} as t
    join {{ ref('dim_enterprise') }} as e on e.tax_code = t.tax_code
    left join started as s on s.tax_code = t.tax_code
    where t.revenue_vnd > 0 and e.vsic_code is not null
),

-- the comparison period: the year and up to two before, weighted by revenue
-- (sum of EBIT over sum of revenue). A join on the tax code, grouped, not a
-- subquery per return: that scanned every return for each one (2.2 s at
-- 7,500 returns, growing with the square of the history).
weighted as (
    select r.tax_code, r.fiscal_year,
           sum(x.ebit_vnd)::numeric / nullif(sum(x.revenue_vnd), 0) as weighted_margin,
           count(*) as years_compared
    from (select distinct tax_code, fiscal_year from returns) as r
    join returns as x
      on x.tax_code = r.tax_code
     and x.fiscal_year between r.fiscal_year - {{ threshold('TP04', 'comparison_years') }} + 1 and r.fiscal_year
    group by r.tax_code, r.fiscal_year
),

-- with the year before's figures
compared as (
    select
        r.*, w.weighted_margin, w.years_compared,
        lag(r.ebit_margin) over (partition by r.tax_code order by r.fiscal_year) as prior_margin,
        lag(r.revenue_vnd) over (partition by r.tax_code order by r.fiscal_year) as prior_revenue_vnd,
        lag(r.fiscal_year) over (partition by r.tax_code order by r.fiscal_year) as prior_year,
        lag(r.is_startup_year) over (partition by r.tax_code order by r.fiscal_year) as prior_is_startup_year
    from returns as r
    join weighted as w on w.tax_code = r.tax_code and w.fiscal_year = r.fiscal_year
),

peers as (
    select
        vsic_division, fiscal_year,
        count(*) as peers,
        percentile_cont({{ threshold('TP04', 'percentile_low') }}::float) within group (order by ebit_margin) as margin_p35,
        percentile_cont({{ threshold('TP04', 'percentile_median') }}::float) within group (order by ebit_margin) as margin_median,
        percentile_cont({{ threshold('TP04', 'percentile_high') }}::float) within group (order by ebit_margin) as margin_p75,
        percentile_cont({{ threshold('TP04', 'percentile_low') }}::float) within group (order by weighted_margin) as weighted_margin_p35
    from compared
    where not is_startup_year
    group by vsic_division, fiscal_year
),

related as (
    select tax_code, fiscal_year::int as fiscal_year, sum(amount_vnd) as related_vnd,
           string_agg(distinct counterparty_name, '; ') as counterparties
    from {{ ref('stg_tax__related_party') }}
    group by 1, 2
),

-- a TP03 finding reports the whole loss run (evidence first_loss_year up to
-- its period), so each year of the run is explained by it
explained as (
    select enterprise_id, generate_series((evidence ->> 'first_loss_year')::int, period::int)::text as period
    from {{ ref('flag_tp03_persistent_losses') }}
    union select enterprise_id, period from {{ ref('flag_tp06_royalties_in_loss') }}
    union select enterprise_id, period from {{ ref('flag_tp07_repatriation_in_loss') }}
)
{%- endmacro %}

{#- TP03's runs of loss years (models/risk/docs/rule_tp03.md), as CTEs:
    `started` (macro enterprise_start_years), `returns` (with EBIT and
    whether it is a start-up year), `marked` (with the year before's return,
    `previous_year`, and `run_id`), `runs` (the loss years after the
    start-up years with `years_in_run`, `run_start`, `revenue_at_start` and
    `losses_in_run_vnd`), `capital_added` and `related` per year. Read by the
    rule, which flags a run of min_loss_years, and by
    risk.judgements_waiting, which lists the shorter runs a missing year of
    returns before them may lengthen. -#}
{% macro tp03_loss_runs() -%}
started as (
    {{ enterprise_start_years() }}
),

returns as (
    select
        t.enterprise_id, t.tax_code, t.fiscal_year, t.revenue_vnd, t.profit_before_tax_vnd,
        t.revenue_vnd - t.cost_of_goods_vnd - t.operating_expense_vnd as ebit_vnd,
        s.start_year,
        {{ is_startup_year('t.fiscal_year', 's.start_year') }} as is_startup_year
    from {{ ref('fct_tax_returns') }} as t
    left join started as s on s.tax_code = t.tax_code
    where t.revenue_vnd is not null
),

-- A run of losses is consecutive fiscal years each with a return in force
-- showing a loss. A year without a return in force (not filed, quarantined,
-- or the tax delivery of that year rejected or missing) is unknown, so it
-- ends the run as a year of profit would: "no year had a profit" cannot be
-- said across it. Since 1.3: read as "no break" (1.1, 1.2), it flagged honest
-- firms whose profitable year between two loss runs was quarantined (held-out
-- evaluation, seed 2027). A run across a gap is judged once that year's
-- return arrives.
marked as (
    select
        r.*,
        -- the years that end a run up to this one (a year with no loss, a
        -- start-up year (since 1.4), or a loss year after a year without a
        -- return): the same for every loss year of one run
        count(*) filter (
            where r.ebit_vnd >= 0 or r.is_startup_year or r.previous_year is distinct from r.fiscal_year - 1
        ) over (partition by r.tax_code order by r.fiscal_year) as run_id
    from (
        select returns.*, lag(fiscal_year) over (partition by tax_code order by fiscal_year) as previous_year
        from returns
    ) as r
),

runs as (
    select
        l.*,
        count(*) over (partition by l.tax_code, l.run_id order by l.fiscal_year) as years_in_run,
        first_value(l.fiscal_year) over (partition by l.tax_code, l.run_id order by l.fiscal_year) as run_start,
        first_value(l.revenue_vnd) over (partition by l.tax_code, l.run_id order by l.fiscal_year) as revenue_at_start,
        sum(l.ebit_vnd) over (partition by l.tax_code, l.run_id order by l.fiscal_year) as losses_in_run_vnd
    from marked as l
    where l.ebit_vnd < 0 and not l.is_startup_year
),

capital_added as (
    select tax_code, extract(year from value_date)::int as fiscal_year, sum(amount_usd) as amount_usd
    from {{ ref('fct_capital_flows') }}
    where flow_type = 'capital_contribution' and direction = 'inflow'
    group by 1, 2
),

-- the year's related-party transactions as disclosed with the CIT return
-- (the same measure as TP04's materiality); a year without disclosures shows
-- no dealings, so it makes no flag: a missing disclosure can hide a case,
-- never make one
related as (
    select tax_code, fiscal_year::int as fiscal_year, sum(amount_vnd) as related_vnd
    from {{ ref('stg_tax__related_party') }}
    group by 1, 2
)
{%- endmacro %}

{#- NOM01's signs of foreign control (models/risk/docs/rule_nom01.md), as CTEs
    ending with `per_year` (the kinds of sign per enterprise and year, with
    their details), among them `domestic` (the enterprises without foreign
    ownership in the register whose last word there was loaded;
    `first_seen_period` set for one first seen by its code after the last
    register snapshot loaded, which the register may show in the months not
    delivered). Read by
    the rule, which judges the enterprises without `first_seen_period`, and
    by risk.judgements_waiting, which lists the others that show enough
    signs, with the register months they wait on. -#}
{% macro nom01_signs() -%}
-- "no foreign ownership in the register" is an observation only when the
-- register's last word on the enterprise was loaded: when its latest
-- register row in force was held back in quarantine (a row naming its tax
-- code, with no loaded snapshot of its projects after it), its ownership is
-- not known, not 0 (seed 2047: a 52 % foreign project's row quarantined for
-- its share mistyped was flagged as hidden foreign control)
register_held_back as (
    select q.enterprise_id
    from {{ ref('int_quarantined_records_attributed') }} as q
    left join (
        select tax_code, max(snapshot_period) as last_loaded
        from {{ ref('stg_registry__projects') }}
        where tax_code is not null
        group by tax_code
    ) as p on {{ enterprise_id_from_tax_code('p.tax_code') }} = q.enterprise_id
    where q.agency = 'registry' and q.dataset = 'projects' and q.enterprise_id is not null
      and q.period >= coalesce(p.last_loaded, '')
),

-- nor when no register snapshot was loaded since the enterprise came to
-- carry its tax code (its first monthly record by code): a project gets the
-- code at incorporation, so one first seen by its code after the last
-- snapshot loaded may be registered in the months not delivered (seed 2048:
-- a start-up incorporated in October 2024, the register delivered in
-- January and July only)
register_not_seen_since as (
    select {{ enterprise_id_from_tax_code('i.tax_code') }} as enterprise_id, min(i.period) as first_seen_period
    from {{ ref('int_delivery_identities_counted') }} as i
    where i.tax_code is not null and length(i.period) = 7
    group by i.tax_code
    having min(i.period) > coalesce((
        select max(c.period) from {{ ref('dataset_coverage') }} as c
        where c.agency = 'registry' and c.dataset = 'projects' and c.status = 'complete'), '')
),

-- the enterprises without foreign ownership in the register, those not seen
-- in it since they carry their code marked (`first_seen_period`): the rule
-- judges the others, risk.judgements_waiting lists them
domestic as (
    select e.enterprise_id, e.tax_code, u.first_seen_period
    from {{ ref('dim_enterprise') }} as e
    left join register_not_seen_since as u on u.enterprise_id = e.enterprise_id
    where not coalesce(e.is_fdi, false) and coalesce(e.foreign_ownership_pct, 0) = 0
      and e.enterprise_id not in (select h.enterprise_id from register_held_back as h)
),

-- the years its loaded records show it in: a year whose every record of it
-- was held back in quarantine (has_loaded_records false) is a row of the
-- 360° view, but nothing of it was seen, so no year of signs
years as (
    select y.enterprise_id, y.year::int as year
    from {{ ref('fct_enterprise_year') }} as y
    join domestic as d on d.enterprise_id = y.enterprise_id
    where y.has_loaded_records
),

-- not materialized: each use reads the few rows of its kinds; materialised,
-- every column of every relationship was written out first (130 MB on disk
-- at 5,000 enterprises over three years)
relationships as not materialized (
    select * from {{ ref('enterprise_relationships') }}
),

-- a foreign group's parties: its members' foreign investors and parents, by normalised name
group_parties as (
    select distinct r.related_party as party, g.group_id, g.group_name
    from relationships as r
    join {{ ref('enterprise_groups') }} as g on g.enterprise_id = r.enterprise_id
    where r.agency = 'registry' and r.relationship in ('investor', 'ultimate_parent')
      and r.related_party is not null and coalesce(r.related_party_country, '') <> 'VN'
),

fdi as (
    select enterprise_id from {{ ref('dim_enterprise') }}
    where is_fdi or coalesce(foreign_ownership_pct, 0) > 0
),

-- relationship signs, each over the years it was seen
relationship_signs as (
    select r.enterprise_id, 'manager' as sign, r.agency, r.dataset, r.first_seen, r.last_seen,
           jsonb_build_object('relationship', r.relationship, 'nationality', r.related_party_country,
                              'records', r.evidence -> 'source_keys') as detail
    from relationships as r
    where r.relationship = 'foreign_manager'
    union all
    select r.enterprise_id, 'money', r.agency, r.dataset, r.first_seen, r.last_seen,
           jsonb_build_object('relationship', r.relationship, 'party', r.related_party_name, 'group', gp.group_name,
                              'agency', r.agency, 'records', r.evidence -> 'source_keys')
    from relationships as r
    join group_parties as gp on gp.party = r.related_party
    where r.relationship in ('lender', 'investor') and r.agency in ('credit', 'fx')
    union all
    select r.enterprise_id, 'premises', r.agency, r.dataset, r.first_seen, r.last_seen,
           jsonb_build_object('relationship', r.relationship, 'with_enterprise', r.related_enterprise_id,
                              'records', r.evidence -> 'source_keys')
    from relationships as r
    join fdi as f on f.enterprise_id = r.related_enterprise_id
    where r.relationship = 'shared_bank_account'
       or (r.relationship = 'shared_address' and r.agency = 'land')  -- a parcel, not a written address
),

trade as (
    select l.enterprise_id, left(l.period, 4)::int as year, l.partner_name, sum(l.lines)::bigint as lines,
           sum(l.customs_value_vnd) as value_vnd, min(l.first_record) as first_record
    from {{ ref('int_customs_partner_months') }} as l
    join domestic as d on d.enterprise_id = l.enterprise_id
    group by 1, 2, 3
),

-- each distinct partner name normalised once, not once per enterprise-year that shows it
-- (32,000 rows for 3,000 names at 5,000 enterprises: 0.6 s of the rule's 1.3 s)
trade_names as materialized (
    select partner_name, {{ normalise_party('partner_name') }} as party
    from (select distinct partner_name from trade) as d
),

trade_by_group as (
    select t.enterprise_id, t.year, gp.group_id, min(gp.group_name) as group_name,
           sum(t.lines) as lines, sum(t.value_vnd) as value_vnd, min(t.first_record) as first_record
    from trade as t
    join trade_names as n on n.partner_name = t.partner_name
    join group_parties as gp on gp.party = n.party
    group by 1, 2, 3
),

trade_signs as (
    select g.enterprise_id, g.year, 'trade' as sign, 'customs' as agency, 'declarations' as dataset,
           jsonb_build_object('group', g.group_name, 'lines', g.lines, 'value_vnd', g.value_vnd,
                              'first_record', g.first_record,
                              'share_of_trade', round(g.value_vnd::numeric / nullif(a.value_vnd, 0), 4)) as detail
    from trade_by_group as g
    join (select enterprise_id, year, sum(value_vnd) as value_vnd from trade group by 1, 2) as a
      on a.enterprise_id = g.enterprise_id and a.year = g.year
    where g.lines >= {{ threshold('NOM01', 'min_group_trade_lines') }}
      and g.value_vnd >= {{ threshold('NOM01', 'min_group_trade_share') }} * a.value_vnd
),

-- each sign with the agency dataset that shows it (risk.judgements_waiting
-- waits on its months when a year lacks it)
signs as (
    select y.enterprise_id, y.year, s.sign, s.agency, s.dataset, s.detail
    from years as y
    join relationship_signs as s
      on s.enterprise_id = y.enterprise_id
     and s.first_seen <= make_date(y.year, 12, 31) and s.last_seen >= make_date(y.year, 1, 1)
    union all
    select t.enterprise_id, t.year, t.sign, t.agency, t.dataset, t.detail
    from trade_signs as t
    join years as y on y.enterprise_id = t.enterprise_id and y.year = t.year
),

-- the signs in a total order, so the evidence (and its hash, which keeps a
-- reviewer's decision) does not depend on the plan: ordered by sign alone,
-- two signs of one kind came out in whichever order the plan read them
per_year as (
    select enterprise_id, year, count(distinct sign) as sign_kinds,
           bool_or(sign = 'trade') as has_trade,
           string_agg(distinct sign, ', ' order by sign) as sign_list,
           jsonb_agg(jsonb_build_object('sign', sign) || detail order by sign, detail) as details
    from signs
    group by 1, 2
)
{%- endmacro %}

{#- ABS01's streaks of rising arrears with the signs in their window
    (models/risk/docs/rule_abs01.md), as CTEs ending with `judged`: one row
    per streak of observed rises and sign of a departing owner from the
    streak's start to `window_months` after its end, with `rising_months`
    (observed rises), `labour_gaps` (the labour months of its span without
    data, 'YYYY-MM', a rise across them counted once), `labour_gaps_after`
    (those right after its last rise) and `flag_month`. Streaks are kept
    when they reach `min_rising_months` counting each of those months as a
    rise: the rule flags those whose observed rises reach it,
    risk.judgements_waiting lists the others. -#}
{% macro abs01_rising_streaks() -%}
labour_gaps as (
    select {{ month_index('period') }} as month_index
    from {{ ref('dataset_coverage') }}
    where agency = 'labour' and dataset = 'employment' and status <> 'complete'
),

-- for each labour month without data, how many such months run on from it:
-- the months right after a streak's last rise that might have risen too
labour_gaps_ahead as (
    select month_index,
           count(*) over (partition by run_key) - row_number() over (partition by run_key order by month_index) + 1
               as months_ahead
    from (select month_index, month_index - row_number() over (order by month_index) as run_key
          from labour_gaps) as g
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
    select r.*, coalesce(a.months_ahead, 0) as gap_months_after
    from (
        select enterprise_id, run_id, min(previous_month) + 1 as run_start, max(month_index) as run_end,
               count(*) as rising_months, count(*) as months_observed,
               max(arrears_vnd) as peak_arrears_vnd,
               sum(case when is_bridged then month_index - previous_month - 1 else 0 end) as gap_months_spanned
        from rising
        where is_rise
        group by enterprise_id, run_id
    ) as r
    left join labour_gaps_ahead as a on a.month_index = r.run_end + 1
    -- the rule's streaks (observed rises >= the threshold) and those that
    -- reach it only if the months without data a rise spans, or that follow
    -- its last rise, rose each (risk.judgements_waiting)
    where r.rising_months + r.gap_months_spanned + coalesce(a.months_ahead, 0)
          >= {{ threshold('ABS01', 'min_rising_months') }}
),

-- the labour months of a streak's span without data (NULL when none): named
-- in the summary and the evidence, a rise across them counted once; and
-- those right after its last rise (NULL when none), for judgements_waiting
runs_with_gaps as (
    select
        r.*,
        (select jsonb_agg({{ month_from_index('g.month_index') }} order by g.month_index)
         from labour_gaps as g where g.month_index between r.run_start and r.run_end) as labour_gaps,
        (select jsonb_agg({{ month_from_index('g.month_index') }} order by g.month_index)
         from labour_gaps as g where g.month_index between r.run_end + 1 and r.run_end + r.gap_months_after)
            as labour_gaps_after
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

-- a sign in the streak's window (run_start to window_months after its last
-- rise), or, for risk.judgements_waiting only, in the window of the streak
-- the labour months without data right after its last rise may extend
-- (sign_needs_months_after): the rule never reads those months as rises
judged as (
    select
        r.*,
        s.month_index as sign_month,
        s.sign_kind,
        s.sign,
        greatest(r.run_start + {{ threshold('ABS01', 'min_rising_months') }} - 1, s.month_index) as flag_month,
        s.month_index > r.run_end + {{ threshold('ABS01', 'window_months') }} as sign_needs_months_after
    from runs_with_gaps as r
    join signs as s
      on s.enterprise_id = r.enterprise_id
     and s.month_index between r.run_start
                           and r.run_end + r.gap_months_after + {{ threshold('ABS01', 'window_months') }}
)
{%- endmacro %}


{#- REL01's disclosure lines the loader held back (audit.quarantine: a
    negative amount, a tax code with a wrong check digit), of the related-
    party deliveries in force, per tax code stem and year, as a CTE
    `disclosures_held` (tax_code_stem, fiscal_year, lines). Such a line may
    name the party the rule would call undisclosed, so the enterprise-year is
    not judged (the rule) but listed as waiting on the agency's corrected
    delivery (risk.judgements_waiting). The stem is the code's first 9
    digits: the 10th is the check digit, so a code mistyped there is still
    the enterprise's (as CAP01 attributes quarantined contributions). The
    year is the delivery's: the line's own fiscal_year may be what failed. -#}
{% macro rel01_disclosures_held() -%}
disclosures_held as (
    select {{ tax_code_stem_as_delivered("q.original ->> 'tax_code'") }} as tax_code_stem,
           d.period::int as fiscal_year, count(*) as lines
    from {{ ref('stg_audit__quarantine') }} as q
    join {{ ref('stg_audit__deliveries') }} as d on d.delivery_id = q.delivery_id and d.status = 'loaded'
    where q.agency = 'tax' and q.dataset = 'related_party' and d.period ~ '^\d{4}$'
    group by 1, 2
)
{%- endmacro %}


{#- REL01's dealings with related parties the year's disclosure does not name
    (models/risk/docs/rule_rel01.md), as CTEs, for the enterprise-years of the
    caller's CTE `years` (enterprise_id, tax_code, fiscal_year as int):
    `related` (the parties the network shows as related to each enterprise),
    `disclosed` (the disclosures' parties by normalised name), `dealings`
    (customs trade, fx loan flows and credit balances per enterprise, year
    and written name), `undisclosed` (those with a related party no
    disclosure of the year names) and `per_year` (per enterprise-year: the
    undisclosed value, the greatest loan balance, the parties and the
    dealings as evidence, and the customs and fx parts of the value apart).
    Read by the rule, for the years with a CIT return in force, which judges
    a year whose disclosures were delivered, and by risk.judgements_waiting,
    which lists the enterprise-years a missing year of returns or of
    disclosures, disclosure lines held in quarantine or customs and fx months
    not in force hold back. -#}
{% macro rel01_undisclosed_dealings(years) -%}
own_parties as (
    select enterprise_id, related_party as party, relationship
    from {{ ref('enterprise_relationships') }}
    where agency = 'registry' and relationship in ('investor', 'ultimate_parent') and related_party is not null
),

-- a member's investors and parent are related to every member of its group; not materialized:
-- each use is planned from the network's own statistics (materialized, the planner guessed 200
-- related parties for 9,800 and compared them with every partner year in a nested loop)
related as not materialized (
    select enterprise_id, party, min(relationship) as relationship
    from (
        select enterprise_id, party, relationship from own_parties
        union all
        select g.enterprise_id, o.party, 'same_group' as relationship
        from {{ ref('enterprise_groups') }} as g
        join {{ ref('enterprise_groups') }} as s on s.group_id = g.group_id and s.enterprise_id <> g.enterprise_id
        join own_parties as o on o.enterprise_id = s.enterprise_id
    ) as r
    group by 1, 2
),

-- A disclosure often ends with the party's country as an ISO code in brackets
-- ("BEAUMONT CO., LTD. (FR)"): normalise_party cuts it (1.4 cut it here, for
-- the disclosures only; 1.5: every name the network and this rule compare).
disclosed as (
    select distinct tax_code, fiscal_year::int as fiscal_year, {{ normalise_party('counterparty_name') }} as party
    from {{ ref('stg_tax__related_party') }}
),

-- the enterprise-years that trade with a related party the year's disclosure does not name, found
-- in the partner years (one row per enterprise, year and party by normalised name); the written
-- names each dealing shows are then read from those enterprise-years' partner months only. Every
-- enterprise-year a customs dealing of `undisclosed` comes from is among them, so the findings are
-- the same. Why: grouping every partner month by its written name was most of this rule's time
-- (the rule's select 2.0 s before, 0.6 s after, at 5,000 enterprises over two years), and related
-- parties are most of an FDI enterprise's trade (its parent supplies it): only the disclosure
-- check makes the set small.
customs_related as (
    select t.enterprise_id, t.tax_code, t.fiscal_year, y.party
    from {{ ref('int_customs_partner_years') }} as y
    join related as r on r.enterprise_id = y.enterprise_id and r.party = y.party
    join {{ years }} as t on t.enterprise_id = y.enterprise_id and t.fiscal_year = y.fiscal_year::int
),

-- the parties of each enterprise-year no disclosure of that year names: grouped beside the
-- disclosures, not anti-joined to them, so that no misjudged row count can make it a nested
-- loop (guessing one related partner-year for 4,000, the planner checked each against every
-- disclosure: 1.2 s)
customs_years as (
    select distinct e.enterprise_id, u.fiscal_year
    from (
        select fiscal_year, array_agg(enterprise_id) as enterprise_ids
        from (
            select enterprise_id, tax_code, fiscal_year, party from customs_related
            union all
            select null, tax_code, fiscal_year, party from disclosed
        ) as p
        group by tax_code, fiscal_year, party
        having count(*) = count(enterprise_id)  -- no disclosure row among them
    ) as u
    cross join lateral unnest(u.enterprise_ids) as e (enterprise_id)
),

dealings as (
    select m.enterprise_id, left(m.period, 4)::int as fiscal_year, m.partner_name as party_name, 'customs' as agency,
           sum(m.lines)::bigint as records, sum(m.customs_value_vnd) as amount_vnd,
           min(m.first_record) as first_record, null::numeric as balance_vnd
    from {{ ref('int_customs_partner_months') }} as m
    join customs_years as c on c.enterprise_id = m.enterprise_id and c.fiscal_year = left(m.period, 4)::int
    group by 1, 2, 3
    union all
    select enterprise_id, extract(year from value_date)::int, counterparty_name, 'fx',
           count(*), sum(amount_vnd), min(txn_id), null
    from {{ ref('fct_capital_flows') }}
    where enterprise_id is not null and flow_type in ('loan_drawdown', 'loan_repayment', 'interest_payment')
    group by 1, 2, 3
    union all
    select enterprise_id, left(snapshot_period, 4)::int, lender_name, 'credit',
           -- a balance is no dealing of the year: no amount, and the year's greatest balance beside it
           count(distinct loan_id), null, min(lender_code || '|' || loan_id), max(outstanding_amount_vnd)
    from {{ ref('fct_loans') }}
    where enterprise_id is not null and outstanding_amount_vnd > 0
    group by 1, 2, 3
),

-- each distinct name normalised once (materialised, so not once per dealing)
names as materialized (
    select party_name, {{ normalise_party('party_name') }} as party
    from (select distinct party_name from dealings) as d
),

undisclosed as (
    select t.enterprise_id, t.tax_code, t.fiscal_year, n.party, r.relationship, d.agency, d.records, d.amount_vnd,
           d.balance_vnd, d.first_record, d.party_name
    from dealings as d
    join names as n on n.party_name = d.party_name
    join related as r on r.enterprise_id = d.enterprise_id and r.party = n.party
    join {{ years }} as t on t.enterprise_id = d.enterprise_id and t.fiscal_year = d.fiscal_year
    where not exists (
        select 1 from disclosed as x
        where x.tax_code = t.tax_code and x.fiscal_year = t.fiscal_year and x.party = n.party
    )
),

per_year as (
    select
        enterprise_id, tax_code, fiscal_year,
        coalesce(sum(amount_vnd), 0) as undisclosed_vnd,  -- a loan alone: no trade or payment value
        coalesce(sum(amount_vnd) filter (where agency = 'customs'), 0) as customs_vnd,
        coalesce(sum(amount_vnd) filter (where agency = 'fx'), 0) as fx_vnd,
        max(balance_vnd) as balance_vnd,
        bool_or(agency = 'credit') as has_loan,
        string_agg(distinct party_name, '; ' order by party_name) as parties,
        jsonb_agg(jsonb_build_object(
            'party', party, 'written_as', party_name, 'relationship', relationship, 'agency', agency,
            'records', records, 'amount_vnd', amount_vnd, 'first_record', first_record)
            || {{ evidence_when_present('balance_vnd', 'balance_vnd') }}
            order by agency, party, party_name) as dealings  -- a total order: one party may be written two ways
    from undisclosed
    group by 1, 2, 3
)
{%- endmacro %}


{#- TP05's figures (models/risk/docs/rule_tp05.md), as CTEs: `returns` (those
    with interest, and their EBITDA), `prior` (the year before's revenue),
    `division_margin` (each VSIC division's median EBITDA margin of an
    ordinary year), `best_ebitda` and `capacity` (the firm's earning capacity
    of the year), `foreign_loans` (the credit register's foreign and
    related-party lenders of the year) and `related_loans` (the year's
    related-party disclosures of interest or loans). Read by the rule, and by
    risk.judgements_waiting, which lists the years a missing delivery of
    returns or disclosures holds back. -#}
{% macro tp05_interest_capacity() -%}
returns as (
    select
        enterprise_id, tax_code, fiscal_year,
        revenue_vnd, interest_expense_vnd, depreciation_vnd, profit_before_tax_vnd,
        profit_before_tax_vnd + interest_expense_vnd + depreciation_vnd as ebitda_vnd
    from {{ ref('fct_tax_returns') }}
    where interest_expense_vnd > 0
),

prior as (
    select tax_code, fiscal_year + 1 as fiscal_year, revenue_vnd as prior_revenue_vnd
    from {{ ref('fct_tax_returns') }}
),

-- what an ordinary year earns in its trade: the median EBITDA margin of the
-- returns of its VSIC division (first two digits) and year that show an
-- operating profit (in a year when half the division loses money, the
-- median of all returns is near zero and would call any interest excessive)
division_margin as (
    select
        left(e.vsic_code, 2) as vsic_division, t.fiscal_year, count(*) as peers,
        percentile_cont({{ threshold('TP05', 'percentile_median') }}::float) within group (
            order by (t.profit_before_tax_vnd + t.interest_expense_vnd + t.depreciation_vnd)::numeric / t.revenue_vnd
        ) as median_ebitda_margin
    from {{ ref('fct_tax_returns') }} as t
    join {{ ref('dim_enterprise') }} as e on e.tax_code = t.tax_code
    where t.revenue_vnd > 0 and e.vsic_code is not null
      and t.revenue_vnd - t.cost_of_goods_vnd - t.operating_expense_vnd > 0
    group by grouping sets ((left(e.vsic_code, 2), t.fiscal_year), (t.fiscal_year))
),

-- the firm's earning capacity: its best EBITDA of the year and up to two
-- before; when none of those years is an ordinary one (an operating profit:
-- at the start of the data a firm may have no earlier year to show its
-- ordinary earnings), what its division's median EBITDA margin gives on the
-- year's revenue, if that is larger
best_ebitda as (
    select r.tax_code, r.fiscal_year, max(x.profit_before_tax_vnd + x.interest_expense_vnd + x.depreciation_vnd) as best_ebitda_vnd,
           bool_or(x.revenue_vnd - x.cost_of_goods_vnd - x.operating_expense_vnd > 0) as has_ordinary_year
    from returns as r
    join {{ ref('fct_tax_returns') }} as x
      on x.tax_code = r.tax_code
     and x.fiscal_year between r.fiscal_year - {{ threshold('TP05', 'comparison_years') }} + 1 and r.fiscal_year
    group by 1, 2
),

capacity as (
    select
        b.tax_code, b.fiscal_year, b.best_ebitda_vnd,
        coalesce(d.median_ebitda_margin, a.median_ebitda_margin) as median_ebitda_margin,
        coalesce(d.peers, a.peers) as peers,
        d.vsic_division is null as all_divisions,
        case when b.has_ordinary_year then b.best_ebitda_vnd
             else greatest(b.best_ebitda_vnd,
                           coalesce(coalesce(d.median_ebitda_margin, a.median_ebitda_margin) * r.revenue_vnd, b.best_ebitda_vnd))
        end as capacity_vnd
    from best_ebitda as b
    join returns as r on r.tax_code = b.tax_code and r.fiscal_year = b.fiscal_year
    left join {{ ref('dim_enterprise') }} as e on e.tax_code = b.tax_code
    left join division_margin as d
      on d.vsic_division = left(e.vsic_code, 2) and d.fiscal_year = b.fiscal_year
     and d.peers >= {{ threshold('TP05', 'min_peers') }}
    -- a division with too few profitable returns: the median of every division's
    left join division_margin as a
      on a.vsic_division is null and a.fiscal_year = b.fiscal_year
     and a.peers >= {{ threshold('TP05', 'min_peers') }}
),

foreign_loans as (
    select
        tax_code, left(snapshot_period, 4)::int as fiscal_year,
        string_agg(distinct lender_name || ' (' || case lender_kind when 'foreign_related_party' then 'bên liên kết nước ngoài'
                                                    else 'bên cho vay nước ngoài' end || ')', '; ') as lenders,
        max(outstanding_amount_vnd) as max_outstanding_vnd
    from {{ ref('fct_loans') }}
    where lender_kind in ('foreign_related_party', 'foreign_lender')
    group by 1, 2
),

related_loans as (
    select tax_code, fiscal_year::int as fiscal_year,
           string_agg(distinct counterparty_name, '; ') as counterparties,
           sum(amount_vnd) as amount_vnd
    from {{ ref('stg_tax__related_party') }}
    where transaction_type in ('interest_paid', 'loan_received')
    group by 1, 2
)
{%- endmacro %}


{#- Whether a return's own figures make TP05's case (r: `returns`, c:
    `capacity`, pr: `prior`): not a downturn year, and the interest above the
    cap both of the year's EBITDA and of the earning capacity. The rule adds
    a foreign or related-party loan of the year. -#}
{% macro tp05_figures_make_the_case(r='r', c='c', pr='pr') -%}
coalesce({{ r }}.revenue_vnd >= (1 - {{ threshold('TP05', 'max_revenue_fall') }}) * {{ pr }}.prior_revenue_vnd, true)
      and ({{ r }}.ebitda_vnd <= 0
           or {{ r }}.interest_expense_vnd > {{ threshold('TP05', 'interest_cap_share') }} * {{ r }}.ebitda_vnd)
      and ({{ c }}.capacity_vnd <= 0
           or {{ r }}.interest_expense_vnd > {{ threshold('TP05', 'interest_cap_share') }} * {{ c }}.capacity_vnd)
{%- endmacro %}


{#- TP06's `fees`: per tax code and year (int), the related-party royalties and
    service fees the year's disclosures show, and their counterparties. Read
    by the rule and by risk.judgements_waiting. -#}
{% macro tp06_fees() -%}
fees as (
    select
        tax_code, fiscal_year::int as fiscal_year,
        sum(amount_vnd) filter (where transaction_type = 'royalty') as royalties_vnd,
        sum(amount_vnd) filter (where transaction_type = 'service_purchase') as service_fees_vnd,
        sum(amount_vnd) as fees_vnd,
        string_agg(distinct counterparty_name, '; ') as counterparties
    from {{ ref('stg_tax__related_party') }}
    where transaction_type in ('royalty', 'service_purchase')
    group by 1, 2
)
{%- endmacro %}


{#- TP07's `repatriated`: per tax code and year, the profit repatriation
    outflows of the fx capital account. Read by the rule and by
    risk.judgements_waiting. -#}
{% macro tp07_repatriations() -%}
repatriated as (
    select
        tax_code, extract(year from value_date)::int as fiscal_year,
        sum(amount_vnd) as amount_vnd, sum(amount_usd) as amount_usd, count(*) as transfers,
        min(value_date) as first_transfer_on, string_agg(distinct counterparty_name, '; ') as counterparties
    from {{ ref('fct_capital_flows') }}
    where flow_type = 'profit_repatriation' and direction = 'outflow'
    group by 1, 2
)
{%- endmacro %}
