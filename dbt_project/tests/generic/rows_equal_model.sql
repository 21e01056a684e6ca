{#- Row-count reconciliation: the model has as many rows as `compare_to`
    (e.g. a line-level fact and the staging rows in force it is built from,
    so an incremental build can lose or duplicate nothing). -#}
{% test rows_equal_model(model, compare_to) %}
select m.rows as model_rows, c.rows as compared_rows
from (select count(*) as rows from {{ model }}) as m
cross join (select count(*) as rows from {{ compare_to }}) as c
where m.rows <> c.rows
{% endtest %}
