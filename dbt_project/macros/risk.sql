{#- Macros of the risk schema (models/risk/). -#}

{#- One threshold of seeds/risk_thresholds.csv, as a scalar subquery: every
    number a rule compares with lives in that seed, with its legal source. -#}
{% macro risk_threshold(rule_code, parameter) -%}
    (select value from {{ ref('risk_thresholds') }}
     where rule_code = '{{ rule_code }}' and parameter = '{{ parameter }}')
{%- endmacro %}

{#- The rule models whose findings make up risk.flags, in catalogue order. -#}
{% macro risk_rule_models() -%}
    {{ return([
        'flag_tp01_import_overpricing', 'flag_tp02_export_underpricing', 'flag_tp03_persistent_losses',
        'flag_tp04_low_margin', 'flag_tp05_interest_cap', 'flag_tp06_royalties_in_loss',
        'flag_tp07_repatriation_in_loss', 'flag_cap01_capital_not_contributed', 'flag_reg01_expired_active',
        'flag_reg02_dormant_project', 'flag_abs01_absconding_owner', 'flag_land01_idle_land',
    ]) }}
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
        when f.score >= {{ risk_threshold('ALL', 'severity_high_min_score') }} then 'high'
        when f.score >= {{ risk_threshold('ALL', 'severity_medium_min_score') }} then 'medium'
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

{#- Record every flag id of risk.flags in risk.flag_first_seen (created by
    warehouse/reviews.sql, outside dbt), keeping the first detection time of
    ids already there. Run as a pre-hook of risk.flags, so a full refresh can
    never reset it. -#}
{% macro risk_record_first_seen() -%}
    insert into risk.flag_first_seen (flag_id, rule_code, first_detected_at)
    {% for m in risk_rule_models() %}
    select flag_id, rule_code, now() from {{ ref(m) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    on conflict (flag_id) do nothing
{%- endmacro %}
