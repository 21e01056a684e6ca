{#- A staging model holds one row per contract key (the `source_key` built
    from it) and period: the agreement declares the key unique within a
    delivery, and staging holds the one delivery in force of each period. (An
    event may recur across periods: a work permit issued, then renewed.) The
    key comes from the source's meta.contract, never retyped; the macro call
    only checks the model names a dataset of the contract. -#}
{% test contract_grain(model, agency, dataset) %}
{%- set c = contract(agency, dataset) %}
select source_key, period, count(*) as rows_per_key
from {{ model }}
group by source_key, period
having count(*) > 1
{% endtest %}
