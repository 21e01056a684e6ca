-- Every relationship names its other side: an enterprise of the warehouse or a party.
select relationship_id
from {{ ref('enterprise_relationships') }}
where related_enterprise_id is null and related_party is null
