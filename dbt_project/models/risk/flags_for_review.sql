-- One row per flag with the review decision in force (macros/reviews.sql,
-- review_in_force: the latest decision; a dismissal holds only on the
-- evidence it saw; four-eyes on high flags). A view, so a decision recorded
-- in risk.flag_reviews shows at once, without a rebuild.
-- Replaced in place (macros/view_in_place.sql): the workbench reads it while
-- the warehouse is being built.
{{ config(materialized='view_in_place') }}

{#- every column of risk.flags: the view's contract says which they are -#}
{{ review_in_force('select * from ' ~ ref('flags')) }}
