{#- Entity resolution never links one name group to two enterprises, by its rules or a person's decision. -#}
{% test at_most_one_linked_candidate(model) %}
select name_group_id, count(*) as linked
from {{ model }}
where decision in ('linked', 'linked_by_person')
group by name_group_id
having count(*) > 1
{% endtest %}
