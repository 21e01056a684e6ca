"""`fdi links` says what each group's decision does, including one that no longer links anything."""
from __future__ import annotations

from apps.linkage import format_groups


def _group(decision: str, decided: str | None, by: str | None) -> dict:
    return {"name_group_id": "g1", "delivered_name": "Cty CP Điện tử Nam Triệu", "delivered_address": None,
            "datasets": "labour.employment", "records": 47, "decision": decision, "decided_enterprise_id": decided,
            "decided_by": by, "decided_at": None,
            "candidates": [{"candidate_rank": 1, "candidate_enterprise_id": "EN0200000001", "score": 0.8,
                            "name_score": 1.0, "address_score": None, "candidate_name_vi": "Cty CP Điện tử Nam Triệu"}]}


def test_a_decision_for_an_enterprise_no_longer_a_candidate_is_said_to_need_deciding_again():
    said = format_groups([_group("pending", "EN0200000003", "Minh")])
    assert "[pending; Minh chose EN0200000003, no longer a candidate: decide again]" in said
    assert "[pending]" in format_groups([_group("pending", None, None)])
    assert "[linked to EN0200000001 by Lan]" in format_groups([_group("linked", "EN0200000001", "Lan")])
    assert "address -" in said  # no address: said as unknown, not a made-up score
