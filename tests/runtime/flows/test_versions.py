"""A running instance keeps the flow and form of the version it started with (DESIGN §4 "Versions")."""

from __future__ import annotations

from flowtools import doc_data, open_tasks, people_of

from runtime import records
from runtime.flows import engine
from tenants import store
from tenants.bundle import BundleSource
from tenants.models import FlowInstance
from tenants.scope import tenant_scope

SHORT_FLOW = """\
format_version: 1
id: outgoing_doc
name: 发文办理（简化）
form: outgoing_doc
nodes:
  - {id: draft, type: start, name: 起草, fields: {title: edit, body: edit}}
  - {id: register, type: approve, name: 登记, handlers: [{kind: post, ref: doc_clerk}]}
  - {id: done, type: end, name: 办结}
edges:
  - {from: draft, to: register}
  - {from: register, to: done}
"""


async def test_publishing_a_new_flow_leaves_running_instances_on_their_version(flow_web) -> None:
    p = await people_of()
    drafter = p.staff()
    old_rec = await records.create(p.unit, "outgoing_doc", doc_data("旧版本发文"), drafter)
    old = await engine.start(p.unit, old_rec.id, drafter)
    v1 = await store.get_version(p.unit)
    source = store.version_source(p.unit, v1)
    await store.publish(p.unit, "admin", "发文流程简化", source=BundleSource(source.label, {**source.files,
                                                                                       "flows/outgoing_doc.yaml": SHORT_FLOW}))
    new_rec = await records.create(p.unit, "outgoing_doc", doc_data("新版本发文"), drafter)
    new = await engine.start(p.unit, new_rec.id, drafter)
    assert (old.flow_version, new.flow_version) == (v1.number, v1.number + 1)
    [t_new] = await open_tasks(p.unit, new.id)
    assert t_new.node == "register"

    # the old instance still walks the old graph: 部门审核 → 会签 of the leaders
    [t] = await open_tasks(p.unit, old.id)
    assert t.node == "dept_review"
    await engine.act(p.unit, t.id, t.assignee, "approve", opinion="同意")
    assert {x.node for x in await open_tasks(p.unit, old.id)} == {"countersign"}
    with tenant_scope(p.unit):
        assert (await FlowInstance.get(id=old.id)).flow_version == v1.number
