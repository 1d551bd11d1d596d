"""A flow of a published bundle version, compiled for the engine: pure, immutable, shared.

``compile_flow`` turns one resolved ``flows/*.yaml`` (already validated and linted at publish) into
a ``Flow``: nodes by id, outgoing and incoming edges, and the questions the engine asks while
deciding — where does a token go from here, which nodes are earlier, what may be done at a node.
No I/O here: the engine reads what a command needs, decides with these functions, then writes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.forms.logic import evaluate, truthy
from tenants.errors import BanwenError

BLOCKING_TYPES = frozenset({"start", "approve", "subflow"})
TASK_TYPES = frozenset({"start", "approve", "circulate", "subflow"})
START_ACTIONS = ("submit", "withdraw", "terminate")
DEFAULT_APPROVE_ACTIONS = ("approve",)


class FlowBroken(BanwenError):
    """A published flow the engine cannot run (the linter should have refused it)."""

    status = 409
    exit_code = 3


@dataclass(frozen=True)
class Edge:
    index: int
    source: str
    target: str
    when: Any = None
    default: bool = False
    name: str | None = None


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    name: str
    name_en: str
    spec: Mapping[str, Any]
    outgoing: tuple[Edge, ...] = ()
    incoming: tuple[Edge, ...] = ()

    @property
    def mode(self) -> str:
        return str(self.spec.get("mode") or "single")

    @property
    def handlers(self) -> list[Mapping[str, Any]]:
        return list(self.spec.get("handlers") or [])

    @property
    def actions(self) -> tuple[str, ...]:
        declared = tuple(self.spec.get("actions") or ())
        if self.type == "start":
            return tuple(dict.fromkeys(("submit", "withdraw", *declared)))
        if self.type == "circulate":
            return ("read",)
        return declared or DEFAULT_APPROVE_ACTIONS

    @property
    def fields(self) -> dict[str, str]:
        return dict(self.spec.get("fields") or {})

    @property
    def time_limit(self) -> Mapping[str, Any] | None:
        return self.spec.get("time_limit")

    @property
    def escalation(self) -> Mapping[str, Any]:
        return self.spec.get("escalation") or {}

    def needed(self, signers: int) -> int:
        """How many approvals complete this node's round of ``signers`` tasks."""
        mode = self.mode
        if signers <= 0:
            return 0
        if mode in ("single", "any_sign"):
            return 1
        if mode == "ratio":
            return max(1, min(signers, math.ceil(float(self.spec.get("ratio") or 1) * signers - 1e-9)))
        return signers  # countersign, sequential

    @property
    def keeps_rest(self) -> bool:
        """Signers not yet done when the node passes keep their (non-blocking) task: WCP 34."""
        return self.spec.get("rest") == "continue"


@dataclass(frozen=True)
class Flow:
    id: str
    name: str
    name_en: str
    form: str
    version: int
    nodes: Mapping[str, Node]
    order: tuple[str, ...]
    start: str
    time_limit: Mapping[str, Any] | None = None
    starters: tuple[Mapping[str, Any], ...] = ()
    source: Mapping[str, Any] = field(default_factory=dict)

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise FlowBroken(f"流程 “{self.id}” 没有节点 “{node_id}”。", f"Flow '{self.id}' has no node '{node_id}'.") from None

    def earlier(self, node_id: str) -> set[str]:
        """Every node from which ``node_id`` can be reached along edges (its ancestors)."""
        seen: set[str] = set()
        stack = [node_id]
        while stack:
            for e in self.nodes[stack.pop()].incoming:
                if e.source not in seen:
                    seen.add(e.source)
                    stack.append(e.source)
        seen.discard(node_id)
        return seen

    def choose(self, branch: Node, data: Mapping[str, Any]) -> Edge:
        """The edge an exclusive branch takes for ``data``: the first condition that holds, else the default."""
        default = None
        for e in branch.outgoing:
            if e.default:
                default = e
                continue
            if e.when is not None and truthy(evaluate(e.when, dict(data))):
                return e
        if default is None:
            raise FlowBroken(f"条件分支 “{branch.name}” 没有满足的条件，也没有默认出线。",
                             f"No condition of branch '{branch.name}' holds and it has no default edge.")
        return default

    def describe(self) -> dict[str, Any]:
        """Nodes and edges as the progress view and the API show them."""
        return {"id": self.id, "name": self.name, "name_en": self.name_en, "form": self.form, "version": self.version,
                "nodes": [{"id": n.id, "type": n.type, "name": n.name, "name_en": n.name_en,
                           "mode": n.spec.get("mode")} for n in (self.nodes[i] for i in self.order)],
                "edges": [{"from": e.source, "to": e.target, "name": e.name, "default": e.default}
                          for i in self.order for e in self.nodes[i].outgoing]}


def compile_flow(spec: Mapping[str, Any], version: int) -> Flow:
    """A ``Flow`` from one resolved flow file; raises ``FlowBroken`` for what lint refuses anyway."""
    fid = str(spec.get("id"))
    raw_nodes = [n for n in spec.get("nodes") or [] if isinstance(n, Mapping)]
    edges = [Edge(i, e["from"], e["to"], e.get("when"), bool(e.get("default")), e.get("name"))
             for i, e in enumerate(spec.get("edges") or []) if isinstance(e, Mapping)]
    out: dict[str, list[Edge]] = {n["id"]: [] for n in raw_nodes}
    inc: dict[str, list[Edge]] = {n["id"]: [] for n in raw_nodes}
    for e in edges:
        if e.source not in out or e.target not in inc:
            raise FlowBroken(f"流程 “{fid}” 的连线 {e.source}→{e.target} 指向不存在的节点。",
                             f"Flow '{fid}': edge {e.source}→{e.target} names a node that does not exist.")
        out[e.source].append(e)
        inc[e.target].append(e)
    nodes = {n["id"]: Node(n["id"], n["type"], n.get("name") or n["id"], n.get("name_en") or n.get("name") or n["id"],
                           n, tuple(out[n["id"]]), tuple(inc[n["id"]])) for n in raw_nodes}
    starts = [n for n in nodes.values() if n.type == "start"]
    if len(starts) != 1:
        raise FlowBroken(f"流程 “{fid}” 须恰好有一个开始节点。", f"Flow '{fid}' must have exactly one start node.")
    return Flow(fid, str(spec.get("name") or fid), str(spec.get("name_en") or spec.get("name") or fid),
                str(spec.get("form")), version, nodes, tuple(n["id"] for n in raw_nodes), starts[0].id,
                spec.get("time_limit"), tuple(spec.get("starters") or ()), spec)
