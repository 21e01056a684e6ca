-- The core of TP01 and TP02 (models/risk/docs/rule_tp01.md, rule_tp02.md):
-- one row per enterprise, flow (IM, EX), fiscal year, HS code and unit of
-- its related-party customs lines whose HS code, unit and year have unrelated
-- lines to compare with. The arm's-length range of a good is the 35th to
-- 75th percentile of the unit prices (customs value in VND / quantity) of the
-- UNRELATED lines of the same flow, HS code, unit and year (Decree
-- 132/2020/ND-CP Art. 7.3 and Appendix); a price outside it is adjusted to
-- the median (Art. 7.3). `direction` says where the enterprise's own price
-- (the median of its related-party lines, robust to one odd shipment) lies:
-- above, below or within the range. `shifted_vnd` is the value moved abroad
-- at the median: purchases above it (imports), sales below it (exports).
-- The percentiles are the thresholds of the rule that judges the flow (TP01
-- imports, TP02 exports); the rules apply their own minimums on top.
--
-- How well the comparables know their median: `median_ci_low` and
-- `median_ci_high` bound it with about 95 % confidence, whatever the prices'
-- distribution (the k-th and (n+1-k)-th of the n comparable prices, k =
-- n/2 - z·√n/2, at least 1: with 24 lines the 7th and 18th, with 4,000 the
-- 1,938th and 2,063rd). `shift_share_at_ci` is the shift measured at the
-- bound nearer the enterprise's price (the higher for purchases, the lower
-- for sales): what the comparables prove, where `shift_share` is what their
-- drawn median says. The two differ by a few points on thousands of
-- comparables and by tens on a rare good's twenty (docs/risk.md).
--
-- Incremental by fiscal year: a year's range depends on that year's lines
-- only, so a new month rebuilds its year, never the years before, and reads
-- that year's lines only (by the customs deliveries of its months). The
-- pre-hook deletes the years whose inputs (their months' customs
-- fingerprints and the percentiles, macros/customs.sql) changed or are gone;
-- the build appends the years missing, so the table equals a full refresh.
-- A warehouse built before the median's confidence columns gets them appended
-- (`append_new_columns`); the fingerprint's new threshold (`median_ci_z`)
-- then rebuilds every year once, which fills them.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_periods_whose_inputs_changed(customs_year_inputs(), 'fiscal_year') }}",
) }}
{%- set rule_of_flow = {'IM': 'TP01', 'EX': 'TP02'} %}
with

-- materialized: decided first, so an empty list reads no line (inlined, the
-- planner tested every line of every year against the built years)
years_to_build as materialized (
    {{ periods_to_build(customs_year_inputs(), 'fiscal_year') }}
),

-- the months of the years to build, by their customs delivery in force, so a
-- year reads only its own lines through the lines' index on delivery_id (a
-- condition on the period scanned every line of every year kept)
months as materialized (
    {{ customs_months_of('years_to_build') }}
),

-- materialized once, as narrow as the groups below need: the year's lines
-- (1.6 million in a year of the 5,000-enterprise bench) are sorted three
-- times, and with the year's fingerprint and the names on every line the
-- store and the sorts spilled to disk (216 MB written for the store alone);
-- the fingerprint joins per year at the end, the names per related line
lines as materialized (
    select
        m.fiscal_year,
        l.flow,
        l.hs_code,
        l.unit,
        l.is_related_party,
        case when l.is_related_party then l.enterprise_id end as enterprise_id,
        case when l.is_related_party then l.tax_code end as tax_code,
        case when l.is_related_party then l.partner_name end as partner_name,
        case when l.is_related_party then l.quantity end as quantity,
        case when l.is_related_party then l.customs_value_vnd end as customs_value_vnd,
        l.customs_value_vnd / l.quantity as unit_price_vnd
    from months as m
    join {{ ref('fct_customs_lines') }} as l on l.delivery_id = m.delivery_id
    where l.flow in ('IM', 'EX') and l.quantity > 0 and l.customs_value_vnd > 0 and l.tax_code is not null
),

comparables as (
    {%- for flow, rule_code in rule_of_flow.items() %}
    select
        flow, hs_code, unit, fiscal_year, comparables,
        min(unit_price_vnd) as price_min,
        max(unit_price_vnd) as price_max,
        percentile_cont({{ threshold(rule_code, 'percentile_low') }}::float) within group (order by unit_price_vnd) as price_p35,
        percentile_cont({{ threshold(rule_code, 'percentile_median') }}::float) within group (order by unit_price_vnd) as price_median,
        percentile_cont({{ threshold(rule_code, 'percentile_high') }}::float) within group (order by unit_price_vnd) as price_p75,
        -- the k-th and (n+1-k)-th prices bound the median (k at least 1):
        -- percentile_disc(f) is the ceil(f·n)-th, and its fraction may use a
        -- grouped column (the count, by a window over the same sort), never an
        -- aggregate. Measured on a year of 593,000 lines: 0.82 s against 0.56 s
        -- without the bounds; an array of each good's prices took 1.73 s, and a
        -- join of the lines to their good's count left the planner guessing
        -- one row and looping for minutes.
        percentile_disc((ci_rank - 0.5) / comparables) within group (order by unit_price_vnd) as median_ci_low,
        percentile_disc(1 - (ci_rank - 0.5) / comparables) within group (order by unit_price_vnd) as median_ci_high
    from (
        select flow, hs_code, unit, fiscal_year, unit_price_vnd, comparables,
               greatest(1, floor(comparables / 2.0 - {{ threshold(rule_code, 'median_ci_z') }} / 2 * sqrt(comparables)))
                   as ci_rank
        from (
            select flow, hs_code, unit, fiscal_year, unit_price_vnd,
                   count(*) over (partition by flow, hs_code, unit, fiscal_year) as comparables
            from lines
            where not is_related_party and flow = '{{ flow }}'
        ) as counted
    ) as priced
    group by flow, hs_code, unit, fiscal_year, comparables, ci_rank
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

related as (
    select
        l.enterprise_id, l.tax_code, l.flow, l.fiscal_year, l.hs_code, l.unit, y.inputs_fingerprint,
        count(*) as related_lines,
        string_agg(distinct l.partner_name, '; ' order by l.partner_name) as partners,
        sum(l.quantity) as quantity,
        sum(l.customs_value_vnd) as value_vnd,
        percentile_cont(0.5) within group (order by l.unit_price_vnd) as related_price
    from lines as l
    join years_to_build as y on y.fiscal_year = l.fiscal_year
    where l.is_related_party
    group by l.enterprise_id, l.tax_code, l.flow, l.fiscal_year, l.hs_code, l.unit, y.inputs_fingerprint
),

compared as (
    select
        r.*,
        c.comparables, c.price_min, c.price_max, c.price_p35, c.price_median, c.price_p75,
        c.median_ci_low, c.median_ci_high,
        case when r.flow = 'IM' then r.value_vnd - c.price_median * r.quantity
             else c.price_median * r.quantity - r.value_vnd end as shifted_vnd,
        case when r.flow = 'IM' then r.value_vnd / nullif(c.median_ci_high * r.quantity, 0) - 1
             else 1 - r.value_vnd / nullif(c.median_ci_low * r.quantity, 0) end as shift_share_at_ci
    from related as r
    inner join comparables as c using (flow, hs_code, unit, fiscal_year)
)

select
    enterprise_id::text as enterprise_id,
    tax_code::text as tax_code,
    flow::text as flow,
    fiscal_year::text as fiscal_year,
    hs_code::text as hs_code,
    unit::text as unit,
    (case when related_price > price_p75 then 'above'
          when related_price < price_p35 then 'below'
          else 'within' end)::text as direction,
    related_lines::bigint as related_lines,
    partners::text as partners,
    quantity::numeric as quantity,
    value_vnd::numeric as value_vnd,
    related_price::double precision as related_price,
    comparables::bigint as comparables,
    price_min::numeric as price_min,
    price_max::numeric as price_max,
    price_p35::double precision as price_p35,
    price_median::double precision as price_median,
    price_p75::double precision as price_p75,
    shifted_vnd::double precision as shifted_vnd,
    (shifted_vnd / nullif(price_median * quantity, 0))::double precision as shift_share,
    inputs_fingerprint::text as inputs_fingerprint,
    -- last, so a warehouse built before them gets them appended in this order
    median_ci_low::double precision as median_ci_low,
    median_ci_high::double precision as median_ci_high,
    shift_share_at_ci::double precision as shift_share_at_ci
from compared
