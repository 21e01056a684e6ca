-- Every enterprise-year with a customs line of unknown relation
-- (fct_customs_lines.is_related_party NULL: an investor row of the enterprise
-- or of a sister company held in quarantine) says its related-party trade is
-- partial: quarantined_inputs names a register investor row and is_complete is
-- false. Returns the enterprise-years that do not: a related-party figure
-- passing as whole. Reads every month's partners, so it runs in the full pass
-- (CI and the nightly run), not in a month's build.
-- meta.dagster.ref: the Dagster asset check of fct_enterprise_year.
{{ config(tags=['full_pass_only'], meta={'dagster': {'ref': {'name': 'fct_enterprise_year'}}}) }}

select distinct m.enterprise_id, left(m.period, 4)::int as year
from {{ ref('int_customs_partner_months') }} as m
left join {{ ref('fct_enterprise_year') }} as y
  on y.enterprise_id = m.enterprise_id and y.year = left(m.period, 4)::int
where m.is_related_party is null
  and (y.enterprise_id is null or y.is_complete
       or coalesce(y.quarantined_inputs, '') not like '%registry/investors%')
