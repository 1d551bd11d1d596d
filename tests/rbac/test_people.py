"""Who gets a task: A/B posts, absences, the designated head, delegations, roles and departments.

The org is a real one: the seed template's posts filled in the way a unit's ``org.yaml`` does.
"""

from __future__ import annotations

from typing import Any

import pytest

from rbac.people import Assignment, Facts, NoHandler, resolve
from tenants.access import access_of

ORG: dict[str, Any] = {
    "head": "zhang",
    "departments": [{"id": "office", "name": "办公室", "head_post": "office_director"},
                    {"id": "finance", "name": "财务科", "head_post": "finance_head", "parent": None},
                    {"id": "audit", "name": "审计股", "parent": "finance"}],
    "posts": [
        {"id": "unit_head", "name": "单位主要负责人", "roles": ["unit_leader"], "a_holder": "zhang", "b_holders": ["li"]},
        {"id": "deputy_head", "name": "分管领导", "roles": ["unit_leader"], "a_holder": "li", "b_holders": ["zhang"]},
        {"id": "office_director", "name": "办公室主任", "department": "office", "a_holder": "wang", "b_holders": ["zhao", "sun"]},
        {"id": "finance_head", "name": "财务科长", "department": "finance", "a_holder": "qian", "b_holders": ["zhou"]},
        {"id": "doc_clerk", "name": "收发文员", "department": "office", "filing": True},
    ],
    "leaders": [{"user": "zhang", "title": "局长", "in_charge_of": ["office"]},
                {"user": "li", "title": "副局长", "in_charge_of": ["finance", "audit"]}],
}
DEPTS = {"wang": "office", "zhao": "office", "sun": "office", "qian": "finance", "zhou": "finance", "wu": "audit",
         "zheng": "finance", "zhang": None, "li": None, "feng": "office"}


def facts(**kw: Any) -> Facts:
    resolved = {"org": ORG, "policy": {"roles": [{"id": "unit_leader", "permissions": []}],
                                       "assignments": [{"user": "feng", "role": "unit_leader"}]}}
    base: dict[str, Any] = {"org": ORG, "access": access_of(resolved), "filed": {"doc_clerk": ["sun"]},
                            "departments": DEPTS, "active": set(DEPTS)}
    return Facts(**{**base, **kw})


def who(f: Facts, *handlers: dict[str, Any], drafter: str = "wu", data: dict[str, Any] | None = None) -> list[Assignment]:
    return resolve(f, handlers, drafter=drafter, data=data or {})


def test_a_holder_gets_the_post() -> None:
    assert who(facts(), {"kind": "post", "ref": "office_director"}) == [Assignment("wang", "office_director")]


def test_b_acts_for_an_absent_a_and_the_substitute_named_in_the_absence_wins() -> None:
    assert who(facts(away={"wang": None}), {"kind": "post", "ref": "office_director"}) == \
        [Assignment("zhao", "office_director", "wang")]
    assert who(facts(away={"wang": "sun"}), {"kind": "post", "ref": "office_director"}) == \
        [Assignment("sun", "office_director", "wang")]
    # the first B away too: the next B
    assert who(facts(away={"wang": None, "zhao": None}), {"kind": "post", "ref": "office_director"}) == \
        [Assignment("sun", "office_director", "wang")]


def test_a_and_every_b_away_goes_to_the_designated_head() -> None:
    away = {"wang": None, "zhao": None, "sun": None}
    assert who(facts(away=away), {"kind": "post", "ref": "office_director"}) == [Assignment("zhang", "office_director", "wang")]
    no_head = {**ORG, "head": None}
    with pytest.raises(NoHandler) as err:
        who(facts(org=no_head, away=away), {"kind": "post", "ref": "office_director"})
    assert "head" in err.value.en


def test_a_filing_post_takes_its_holder_from_the_filed_appointment() -> None:
    assert who(facts(), {"kind": "post", "ref": "doc_clerk"}) == [Assignment("sun", "doc_clerk")]
    with pytest.raises(NoHandler):
        who(facts(filed={}), {"kind": "post", "ref": "doc_clerk"})


def test_a_delegation_hands_the_post_to_the_delegate_for_the_person() -> None:
    f = facts(delegations=[("wang", "office_director", "feng")])
    assert who(f, {"kind": "post", "ref": "office_director"}) == [Assignment("feng", "office_director", "wang")]
    other_post = facts(delegations=[("qian", "office_director", "feng")])
    assert who(other_post, {"kind": "post", "ref": "finance_head"}) == [Assignment("qian", "finance_head")]


def test_drafters_department_head_walks_up_to_a_department_with_a_head() -> None:
    assert who(facts(), {"kind": "drafter_dept_head"}, drafter="zheng") == [Assignment("qian", "finance_head")]
    assert who(facts(), {"kind": "drafter_dept_head"}, drafter="wu") == [Assignment("qian", "finance_head")]
    with pytest.raises(NoHandler):
        who(facts(), {"kind": "drafter_dept_head"}, drafter="zhang")


def test_leader_in_charge_role_field_and_user_handlers() -> None:
    assert who(facts(), {"kind": "leader_in_charge"}, drafter="wu") == [Assignment("li")]
    assert [a.login for a in who(facts(), {"kind": "role", "ref": "unit_leader"})] == ["zhang", "li", "feng"]
    assert who(facts(), {"kind": "field", "ref": "readers"}, data={"readers": ["wu", "zheng", "wu"]}) == \
        [Assignment("wu"), Assignment("zheng")]
    with pytest.raises(NoHandler) as err:
        who(facts(), {"kind": "field", "ref": "readers"})
    assert "readers" in err.value.zh
    # a person who is away is replaced by the substitute their absence names
    assert who(facts(away={"wu": "zheng"}), {"kind": "user", "ref": "wu"}) == [Assignment("zheng", None, "wu")]
    assert who(facts(), {"kind": "drafter"}, drafter="wu") == [Assignment("wu")]
