-- One row per flag with the review decision in force (macros/reviews.sql,
-- review_in_force: the latest decision; a dismissal holds only on the
-- evidence it saw; four-eyes on high flags). A view, so a decision recorded
-- in risk.flag_reviews shows at once, without a rebuild.
-- Replaced in place (macros/view_in_place.sql): the workbench reads it while
-- the warehouse is being built.
{{ config(materialized='view_in_place') }}

{% set flags -%}
select
    flag_id,
    rule_code,
    rule_version,
    enterprise_id,
    tax_code,
    period,
    severity,
    score,
    amount_at_stake_vnd,
    summary,
    evidence,
    evidence_hash,
    industrial_zone_code,
    first_detected_at
from {{ ref('flags') }}
{%- endset %}

{{ review_in_force(flags) }}
