{#- A link has an enterprise exactly when its method is not `unmatched`,
    and an unmatched record scores 0: never a half-made link. -#}
{% test linked_iff_method(model) %}
select *
from {{ model }}
where (enterprise_id is null) <> (match_method = 'unmatched')
   or match_score < 0 or match_score > 1
   or (match_method = 'unmatched' and match_score <> 0)
{% endtest %}
