-- One row per flag no rule raises any more, as it was last raised (its latest
-- withdrawal), with the review decision in force on it as risk.flags_for_review
-- would show it (macros/reviews.sql): a high flag confirmed by one login is
-- `awaiting_second`, and stays so, since a decision must name a flag that is
-- raised. A flag raised again is back in risk.flags, not here. A view, so a
-- decision shows at once; replaced in place, as the workbench reads it while
-- the warehouse is being built.
{{ config(materialized='view_in_place') }}

{% set withdrawn -%}
select distinct on (w.flag_id) w.*
from {{ ref('stg_risk_reviews__flag_withdrawals') }} as w
where not exists (select 1 from {{ ref('flags') }} as f where f.flag_id = w.flag_id)
order by w.flag_id, w.withdrawn_at desc, w.withdrawal_id desc
{%- endset %}

{{ review_in_force(withdrawn) }}
