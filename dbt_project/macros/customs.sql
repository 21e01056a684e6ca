{#- The inputs of each customs month and their fingerprint: the customs
    delivery in force, the year's related-party disclosures, the register
    snapshot the month's investors come from (the latest on or before it) and
    the State Bank rates the lines are converted at (macros/fx.sql: a day
    takes the latest rate published on or before it, so every rates delivery
    up to the month's, and the first, which fills the days before any rate:
    rates delivered after the month's lines, or corrected, rebuild it), and
    the version of the party names its related-party marks compare
    (macros/network.sql, party_names_version: a change of normalise_party
    rebuilds every month, and the years built from them).
    marts.fct_customs_lines rebuilds a month when its fingerprint changes;
    intermediate.int_customs_partner_months follows the same fingerprints, so
    it rebuilds exactly the months the lines did, without reading the lines
    to find out which. -#}
{% macro customs_period_inputs() -%}
    with customs_periods as (
        select period, delivery_id from ({{ in_force_deliveries('customs', 'declarations') }}) as d
    ),

    related_party_years as (
        select left(period, 4) as fiscal_year, string_agg(delivery_id, ',' order by delivery_id) as delivery_ids
        from ({{ in_force_deliveries('tax', 'related_party') }}) as d
        group by 1
    ),

    register_snapshots as (
        select p.period, p.delivery_id as projects_delivery_id, i.delivery_id as investors_delivery_id
        from ({{ in_force_deliveries('registry', 'projects') }}) as p
        join ({{ in_force_deliveries('registry', 'investors') }}) as i using (period)
    ),

    rates as (
        select period, delivery_id from ({{ in_force_deliveries('fx', 'central_rates') }}) as d
    )

    select
        c.period,
        c.delivery_id,
        r.period as register_period,
        -- 'lines v3': the version of what fct_customs_lines' rows hold, raised with a change of its SQL so
        -- the next build rebuilds every month (v2, 2026-12-07: partner_is_investor NULL when the
        -- enterprise's investor rows of the snapshot are held in quarantine; v3, the same day: or a
        -- sister company's)
        md5(concat_ws('|', 'lines v3', {{ party_names_version() }}, c.delivery_id, rp.delivery_ids, r.projects_delivery_id,
                      r.investors_delivery_id,
                      (select string_agg(x.delivery_id, ',' order by x.period, x.delivery_id) from rates as x
                       where x.period <= c.period or x.period = (select min(y.period) from rates as y))))
            as inputs_fingerprint
    from customs_periods as c
    left join related_party_years as rp on rp.fiscal_year = left(c.period, 4)
    -- the register as it stood in the month: the latest snapshot on or before it
    left join lateral (
        select * from register_snapshots as s where s.period <= c.period order by s.period desc limit 1
    ) as r on true
{%- endmacro %}

{#- The inputs of each fiscal year of a model built a year at a time: its
    months' customs fingerprints, and the thresholds of `rule_codes` the model
    reads (intermediate.int_customs_price_deviations: the percentiles TP01 and
    TP02 compare with and the z of their median's confidence interval, so a
    changed threshold rebuilds every year;
    intermediate.int_customs_partner_years: none). -#}
{% macro customs_year_inputs(rule_codes=['TP01', 'TP02']) -%}
    select
        left(f.period, 4) as fiscal_year,
        md5(concat_ws('|', string_agg(f.inputs_fingerprint, ',' order by f.period)
            {%- for rule_code in rule_codes %}
            {%- for parameter in ['percentile_low', 'percentile_median', 'percentile_high', 'median_ci_z'] %},
            {{ threshold(rule_code, parameter) }}::text
            {%- endfor %}
            {%- endfor %})) as inputs_fingerprint
    from ({{ customs_period_inputs() }}) as f
    group by 1
{%- endmacro %}

{#- The customs delivery in force of each month of the years in `years` (a
    relation with fiscal_year and inputs_fingerprint: a model's years to
    build), so a model built a year at a time reads only those years' rows
    through an index on delivery_id. -#}
{% macro customs_months_of(years) -%}
    select f.delivery_id, y.fiscal_year, y.inputs_fingerprint
    from ({{ customs_period_inputs() }}) as f
    join {{ years }} as y on y.fiscal_year = left(f.period, 4)
{%- endmacro %}

{#- The register's groups: each enterprise (tax code) of a snapshot with the
    ultimate parent its loaded investor rows name, normalised as the
    network's parties, for the snapshots `snapshots` (a query of periods).
    Enterprises of one ultimate parent in one snapshot are sister companies,
    whose investors are related to each other's trade
    (marts.fct_customs_lines, which takes the same groups from the investor
    names it reads already); a row held in quarantine makes no member. -#}
{% macro register_group_memberships(snapshots) -%}
    select distinct m.tax_code, m.snapshot_period, m.ultimate_parent
    from (
        select p.tax_code, p.snapshot_period, {{ normalise_party('i.ultimate_parent') }} as ultimate_parent
        from {{ ref('stg_registry__projects') }} as p
        join {{ ref('stg_registry__investors') }} as i
          on i.project_code = p.project_code and i.snapshot_period = p.snapshot_period
        where p.tax_code is not null and p.snapshot_period in ({{ snapshots }})
    ) as m
    where m.ultimate_parent is not null
{%- endmacro %}
