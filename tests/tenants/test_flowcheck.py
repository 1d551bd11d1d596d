"""Flow soundness through the linter's front door: a unit bundle extending gov_base, one form, one flow.

Each flow is written as YAML into ``tmp_path`` and linted with ``lint_paths``, as ``banwen lint``
does. Node lines are ``id type [key=value …]``; edge lines ``from>to`` (``from>to?`` is a branch's
conditional edge, ``from>to!`` its default).
"""

from __future__ import annotations

import json
import time
from itertools import pairwise
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tenants.flowcheck import check_flow
from tenants.lint import lint_paths
from tenants.paths import TEMPLATES_DIR

UNIT = """format_version: 1
kind: unit
id: flow_bureau
name: 流程检查局
level: 县区
category: 部门
parent: null
office_code: 检
exchange_unit: false
extends: [gov_base]
"""

FORM = """format_version: 1
id: case
name: 案件
schema:
  type: object
  properties:
    urgent: {title: 急件, type: boolean}
    note: {title: 说明, type: string}
ui:
  sections:
    - id: main
      title: 基本信息
      fields:
        - {field: urgent, widget: radio}
        - {field: note, widget: textarea}
"""

HANDLERS = [{"kind": "post", "ref": "unit_head"}]


def flow_yaml(nodes: list[str], edges: list[str], handlers: list[dict] = HANDLERS) -> str:
    out_nodes = []
    for line in nodes:
        nid, kind, *opts = line.split()
        node: dict = {"id": nid, "type": kind, "name": f"节点{nid}"}
        if kind in ("approve", "circulate"):
            node["handlers"] = handlers
        if kind == "service":
            node["set"] = {"note": {"cat": [{"var": "note"}, "（已处理）"]}}
        for opt in opts:
            key, value = opt.split("=")
            node[key] = json.loads(value) if value[0].isdigit() else value
        out_nodes.append(node)
    out_edges = []
    for line in edges:
        src, dst = line.split(">")
        edge: dict = {"from": src, "to": dst.rstrip("?!")}
        if dst.endswith("?"):
            edge["when"] = {"var": "urgent"}
        if dst.endswith("!"):
            edge["default"] = True
        out_edges.append(edge)
    flow = {"format_version": 1, "id": "case", "name": "办案", "form": "case", "nodes": out_nodes, "edges": out_edges}
    return json.dumps(flow, ensure_ascii=False)  # JSON is YAML


def lint_flow(tmp_path: Path, nodes: list[str], edges: list[str], handlers: list[dict] = HANDLERS) -> list:
    root = tmp_path / "bundle"
    (root / "forms").mkdir(parents=True)
    (root / "flows").mkdir()
    (root / "unit.yaml").write_text(UNIT, encoding="utf-8")
    (root / "forms" / "case.yaml").write_text(FORM, encoding="utf-8")
    (root / "flows" / "case.yaml").write_text(flow_yaml(nodes, edges, handlers), encoding="utf-8")
    return lint_paths([root])[0].errors


def found(errors: list) -> list[tuple[str, str]]:
    return [(e.code, e.pointer) for e in errors]


def test_a_join_behind_an_exclusive_branch_deadlocks(tmp_path: Path) -> None:
    errors = lint_flow(tmp_path, ["s start", "b branch", "x approve", "y approve", "j parallel gateway=join", "e end"],
                       ["s>b", "b>x?", "b>y!", "x>j", "y>j", "j>e"])
    assert found(errors) == [("deadlock", "/nodes/4")]
    err = errors[0]
    assert err.file.endswith("flows/case.yaml") and err.line
    assert "节点j" in err.zh and "“节点x”" in err.zh and "“节点y”" in err.zh
    assert "节点j" in err.en and "'节点x'" in err.en and "'节点y'" in err.en


def test_a_loop_whose_split_only_ever_ends_one_branch_never_ends(tmp_path: Path) -> None:
    """a → split → b → a is forced: the split's other branch ends, but the loop itself never does.

    Every node still has a path to an end, so only the token game sees it. A forced cycle with no
    way out at all is the structural no_path_to_end, and then the token game does not run.
    """
    errors = lint_flow(tmp_path / "a", ["s start", "a approve", "p parallel gateway=split", "b approve", "e end"],
                       ["s>a", "a>p", "p>e", "p>b", "b>a"])
    assert found(errors) == [("never_ends", "/nodes/1")]
    assert "“节点a”、“节点p”、“节点b”" in errors[0].zh and "never finish" in errors[0].en
    closed = lint_flow(tmp_path / "b", ["s start", "b branch", "a approve", "c approve", "e end"],
                       ["s>b", "b>a?", "b>e!", "a>c", "c>a"])
    assert {code for code, _ in found(closed)} == {"no_path_to_end"}


def test_a_split_inside_a_loop_piles_up_tasks_and_the_check_stops(tmp_path: Path) -> None:
    nodes = ["s start", "a approve", "p parallel gateway=split", "c approve", "r branch", "e end"]
    edges = ["s>a", "a>p", "p>c", "p>r", "r>a?", "r>e!", "c>e"]
    errors = lint_flow(tmp_path, nodes, edges)
    assert found(errors) == [("unbounded", "/nodes/3")]
    assert "节点c" in errors[0].zh and "节点p" in errors[0].zh and "pile up" in errors[0].en
    flow = YAML(typ="safe").load(flow_yaml(nodes, edges))
    began = time.perf_counter()
    assert [f.code for f in check_flow(flow)] == ["unbounded"]
    assert time.perf_counter() - began < 0.1


SOUND_NODES = ["s start", "b branch", "x approve", "y approve", "p parallel gateway=split", "u approve", "v circulate",
               "w service", "j parallel gateway=join", "r branch", "e end"]
SOUND_EDGES = ["s>b", "b>x?", "b>y!", "x>p", "y>p", "p>u", "p>v", "p>w", "u>j", "v>j", "w>j", "j>r", "r>x?", "r>e!"]


def test_branch_parallel_and_a_loop_with_an_exit_are_sound(tmp_path: Path) -> None:
    assert lint_flow(tmp_path / "sound", SOUND_NODES, SOUND_EDGES) == []
    # sending the loop back into one lane instead of before the split: the join's second round lacks the others
    edges = [e.replace("r>x?", "r>u?") for e in SOUND_EDGES]
    errors = lint_flow(tmp_path / "lane", SOUND_NODES, edges)
    assert found(errors) == [("deadlock", "/nodes/8")]
    assert "“节点v”、“节点w”" in errors[0].zh


QUORUM_NODES = ["s start", "p parallel gateway=split", "x approve", "y approve", "z approve",
                "j parallel gateway=join quorum=2", "n approve", "e end"]


def test_a_two_of_three_quorum_join_is_sound(tmp_path: Path) -> None:
    assert lint_flow(tmp_path / "split", QUORUM_NODES, ["s>p", "p>x", "p>y", "p>z", "x>j", "y>j", "z>j", "j>n", "n>e"]) == []
    # the third lane behind an exclusive branch: the join goes on, but its round never closes
    nodes = [*QUORUM_NODES, "q branch", "z2 approve"]
    errors = lint_flow(tmp_path / "choice", nodes,
                       ["s>p", "p>x", "p>y", "p>q", "q>z?", "q>z2!", "z2>n", "x>j", "y>j", "z>j", "j>n", "n>e"])
    assert found(errors) == [("deadlock", "/nodes/5")]
    assert "已达到汇聚条数" in errors[0].zh and "“节点z”" in errors[0].zh and "quorum" in errors[0].en


@pytest.mark.parametrize(
    ("nodes", "edges", "expected"),
    [
        (["s start", "a approve quorum=2", "e end"], ["s>a", "a>e"], ("quorum_outside_join", "/nodes/1/quorum")),
        (["s start", "p parallel gateway=split quorum=2", "x approve", "y approve", "j parallel gateway=join", "e end"],
         ["s>p", "p>x", "p>y", "x>j", "y>j", "j>e"], ("quorum_outside_join", "/nodes/1/quorum")),
        (["s start", "p parallel gateway=split", "x approve", "y approve", "j parallel gateway=join quorum=3", "e end"],
         ["s>p", "p>x", "p>y", "x>j", "y>j", "j>e"], ("quorum_too_large", "/nodes/4/quorum")),
        (["s start", "a approve mode=countersign rest=continue", "e end"], ["s>a", "a>e"], ("rest_without_mode", "/nodes/1/rest")),
        (["s start", "a approve rest=cancel", "e end"], ["s>a", "a>e"], ("rest_without_mode", "/nodes/1/rest")),
        (["s start", "a approve effect=absence_register", "e end"], ["s>a", "a>e"],
         ("effect_outside_service", "/nodes/1/effect")),
    ],
)
def test_new_node_options_belong_to_one_kind_of_node(tmp_path: Path, nodes: list[str], edges: list[str],
                                                      expected: tuple[str, str]) -> None:
    errors = lint_flow(tmp_path, nodes, edges)
    assert found(errors) == [expected]
    assert errors[0].zh and errors[0].en and errors[0].file.endswith("flows/case.yaml")


def test_the_same_options_where_they_belong_pass(tmp_path: Path) -> None:
    for i, (node, misplaced) in enumerate([
            ("a approve mode=any_sign rest=continue", "a approve mode=single rest=continue"),
            ("a approve mode=ratio ratio=0.5 rest=cancel", "a approve mode=sequential rest=cancel"),
            ("a service effect=absence_register", "a circulate effect=absence_register")]):
        assert lint_flow(tmp_path / f"ok{i}", ["s start", node, "e end"], ["s>a", "a>e"]) == [], node
        assert len(lint_flow(tmp_path / f"bad{i}", ["s start", misplaced, "e end"], ["s>a", "a>e"])) == 1, misplaced
    assert lint_flow(tmp_path / "join", ["s start", "p parallel gateway=split", "x approve", "y approve",
                                         "j parallel gateway=join quorum=2", "e end"],
                     ["s>p", "p>x", "p>y", "x>j", "y>j", "j>e"]) == []


def test_soundness_waits_for_a_structurally_clean_flow(tmp_path: Path) -> None:
    """The deadlocking flow of the first test, with an unknown post: only that is reported until it is fixed."""
    nodes = ["s start", "b branch", "x approve", "y approve", "j parallel gateway=join", "e end"]
    edges = ["s>b", "b>x?", "b>y!", "x>j", "y>j", "j>e"]
    errors = lint_flow(tmp_path / "a", nodes, edges, [{"kind": "post", "ref": "no_such_post"}])
    assert {code for code, _ in found(errors)} == {"unknown_post"}
    assert found(lint_flow(tmp_path / "b", nodes, edges)) == [("deadlock", "/nodes/4")]


SEED_FLOWS = sorted(TEMPLATES_DIR.glob("*/flows/*.yaml"))


def test_every_seed_flow_is_sound() -> None:
    """Clean as shipped; and each is played to its end: a join waiting there for a branch never started is found."""
    assert len(SEED_FLOWS) >= 3
    for path in SEED_FLOWS:
        flow = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        assert check_flow(flow) == [], path
        ends = {n["id"] for n in flow["nodes"] if n["type"] == "end"}
        flow["nodes"] += [{"id": "late", "type": "approve", "name": "迟到", "handlers": HANDLERS},
                          {"id": "wait", "type": "parallel", "gateway": "join", "name": "等候"}]
        for e in flow["edges"]:
            if e["to"] in ends:
                e["to"] = "wait"
        flow["edges"] += [{"from": "late", "to": "wait"}, {"from": "wait", "to": sorted(ends)[0]}]
        assert [(f.code, f.node) for f in check_flow(flow)] == [("deadlock", len(flow["nodes"]) - 1)], path


def sixty_nodes() -> dict:
    """A sound flow of 60 nodes: three stages, each an optional fast track or a four-lane split with a join,
    then a review that may send the stage round again."""
    nodes = ["s start"]
    edges = []
    prev = "s"
    for k in range(3):
        nodes += [f"b{k} branch", f"fast{k} approve", f"p{k} parallel gateway=split", f"j{k} parallel gateway=join",
                  f"m{k} service", f"r{k} approve", f"c{k} branch"]
        edges += [f"{prev}>b{k}", f"b{k}>fast{k}?", f"b{k}>p{k}!", f"fast{k}>m{k}", f"j{k}>m{k}", f"m{k}>r{k}",
                  f"r{k}>c{k}", f"c{k}>b{k}?"]
        for lane in range(4):
            chain = [f"l{k}{lane}{i}" for i in range(3)]
            nodes += [f"{n} approve" for n in chain]
            edges += [f"p{k}>{chain[0]}", *(f"{a}>{b}" for a, b in pairwise(chain)), f"{chain[-1]}>j{k}"]
        prev = f"c{k}"
    nodes += ["n circulate", "e end"]
    edges += [f"{prev}>n!", "n>e"]
    edges = [f"{e}!" if e.startswith(("c0>b1", "c1>b2")) else e for e in edges]
    return YAML(typ="safe").load(flow_yaml(nodes, edges))


def test_a_flow_of_sixty_nodes_checks_in_well_under_100_ms(tmp_path: Path) -> None:
    flow = sixty_nodes()
    assert len(flow["nodes"]) == 60
    began = time.perf_counter()
    assert check_flow(flow) == []
    assert time.perf_counter() - began < 0.05
    # the same flow with the first fast track sent into the join: the join waits for lanes never started
    broken = json.loads(json.dumps(flow))
    for e in broken["edges"]:
        if e == {"from": "fast0", "to": "m0"}:
            e["to"] = "j0"
    assert [(f.code, broken["nodes"][f.node]["id"]) for f in check_flow(broken)] == [("deadlock", "j0")]
    assert check_flow(flow) == check_flow(json.loads(json.dumps(flow)))  # deterministic
