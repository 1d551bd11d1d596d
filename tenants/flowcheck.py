"""Soundness of one flow: can it get stuck, run forever, or pile up tasks without bound?

``check_flow`` plays the flow's token game over every reachable state (a workflow net, as in van
der Aalst's soundness) and returns what it finds, each finding naming a node:

- ``deadlock``: tokens remain and nothing can move: typically a join waiting for a branch that an
  exclusive ``branch`` did not take;
- ``never_ends``: a loop that, once entered, never lets every token finish (a parallel split in
  the loop keeps one branch going round);
- ``unbounded``: tasks can pile up without bound (a parallel split inside a loop, no join);
- ``too_many_states``: more than ``MAX_STATES`` states: the check stops instead of hanging.

The game: a token sits on an edge. ``branch`` moves it along any one outgoing edge (conditions are
not evaluated), a split puts one on every outgoing edge, ``end`` consumes it, and a join records
which incoming edges arrived in the current round: it fires when ``quorum`` of them (default: all)
have arrived and starts a new round once all of them have; a token on an edge that already arrived
this round waits. Return targets are not edges. The flow is finished when no token is left and no
join holds a partial round: the engine completes an instance only then.

Two reductions keep this fast (a 60-node flow: about a millisecond). Branch, split, join,
service, circulate and end act at once in the engine (only approve and subflow wait for people),
so a token in front of one of them moves first and alone; moves of different tokens commute, so
every deadlock and loop is kept while instant moves are not interleaved (a partial-order
reduction). And a run of pass-through nodes, each entered only from the one before, is one
position. So tokens pile up only where tasks wait for people, as in the engine: a split's branch
that goes straight to an end inside a loop ends at once, it does not pile up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_STATES = 20_000
MAX_WAITING = 3  # more tokens than this waiting in front of an instant node (a join) is a pile-up
WAITING_TYPES = frozenset({"approve", "subflow", "start"})  # a person or a child instance acts: any delay

END, CHOICE, SPLIT, JOIN = "end", "choice", "split", "join"

State = tuple[tuple[int, ...], tuple[int, ...]]  # tokens per edge, arrived-edge bitmask per join


@dataclass(frozen=True)
class Finding:
    """One soundness problem at ``node`` (its index in the flow's ``nodes``), in Chinese and English."""

    code: str
    node: int
    zh: str
    en: str


@dataclass(frozen=True)
class _Net:
    names: dict[int, str]          # node index -> display name
    members: dict[int, tuple[int, ...]]  # first node of a chain -> its nodes (most nodes: just themselves)
    start: int
    first: tuple[int, ...]         # edges leaving the start node
    target: tuple[int, ...]        # edge -> node index (the first of a chain)
    source: tuple[int, ...]        # edge -> node index (the last of a chain)
    kind: tuple[str, ...]          # edge -> what its target does with a token
    waits: tuple[bool, ...]        # edge -> its target waits for a person (approve, subflow)
    outs: tuple[tuple[int, ...], ...]  # edge -> outgoing edges of its target
    join_of: tuple[int, ...]       # edge -> join number of its target, -1 if not a join
    bit: tuple[int, ...]           # edge -> its bit in that join's arrived mask
    joins: tuple[int, ...]         # join number -> node index
    join_in: tuple[tuple[int, ...], ...]  # join number -> incoming edges
    quorum: tuple[int, ...]        # join number -> arrivals that fire it
    ends: frozenset[int]           # node indices of end nodes
    splits: frozenset[int]         # node indices of parallel splits


def check_flow(flow: Mapping[str, Any]) -> list[Finding]:
    """Every deadlock, endless loop and pile-up of ``flow`` (a ``flows/*.yaml`` dict); [] when sound.

    Meant for flows that passed the structural checks; anything malformed is skipped, never raised.
    The output is deterministic: the same flow gives the same findings in the same order.
    """
    net = _build(flow)
    if net is None:
        return []
    return _Game(net).run()


def _build(flow: Mapping[str, Any]) -> _Net | None:
    nodes = flow.get("nodes")
    edges = flow.get("edges")
    if not isinstance(nodes, list) or not isinstance(edges, list):
        return None
    index: dict[str, int] = {}
    for i, n in enumerate(nodes):
        if isinstance(n, Mapping) and isinstance(n.get("id"), str) and n["id"] not in index:
            index[n["id"]] = i
    starts = [i for i in index.values() if nodes[i].get("type") == "start"]
    if len(starts) != 1:
        return None
    all_pairs = [(index[e["from"]], index[e["to"]]) for e in edges
                 if isinstance(e, Mapping) and e.get("from") in index and e.get("to") in index]
    head = _chains(nodes, list(index.values()), all_pairs)
    # an edge inside a chain is no place of its own: a token in the chain sits on the chain's way in
    pairs = [(src, dst) for src, dst in all_pairs if head[dst] != head[src] or dst == head[dst]]
    out: dict[int, list[int]] = {i: [] for i in index.values()}
    inc: dict[int, list[int]] = {i: [] for i in index.values()}
    for k, (src, dst) in enumerate(pairs):
        out[head[src]].append(k)
        inc[dst].append(k)
    waiting = {i for i in index.values() if _waits(nodes[i])}
    join_nodes = [i for i in sorted(index.values()) if _is_join(nodes[i])]
    join_no = {node: j for j, node in enumerate(join_nodes)}
    kind, waits, join_of, bit = [], [], [], []
    for k, (_, dst) in enumerate(pairs):
        spec = nodes[dst]
        t = spec.get("type")
        kind.append(END if t == "end" else JOIN if dst in join_no else
                    SPLIT if t == "parallel" and spec.get("gateway") == "split" else CHOICE)
        waits.append(any(head[i] == dst and i in waiting for i in index.values()))
        join_of.append(join_no.get(dst, -1))
        bit.append(1 << inc[dst].index(k) if dst in join_no else 0)
    quorum = []
    for node in join_nodes:
        q, n_in = nodes[node].get("quorum"), len(inc[node])
        quorum.append(min(q, n_in) if isinstance(q, int) and not isinstance(q, bool) and q >= 1 else n_in)
    members: dict[int, list[int]] = {}
    for i in sorted(index.values()):
        members.setdefault(head[i], []).append(i)
    return _Net(names={i: str(nodes[i].get("name") or nodes[i]["id"]) for i in index.values()},
                members={h: tuple(m) for h, m in members.items()}, start=starts[0], first=tuple(out[starts[0]]),
                target=tuple(d for _, d in pairs), source=tuple(s for s, _ in pairs), kind=tuple(kind),
                waits=tuple(waits), outs=tuple(tuple(out[d]) for _, d in pairs), join_of=tuple(join_of),
                bit=tuple(bit), joins=tuple(join_nodes), join_in=tuple(tuple(inc[n]) for n in join_nodes),
                quorum=tuple(quorum), ends=frozenset(i for i in index.values() if nodes[i].get("type") == "end"),
                splits=frozenset(i for i in index.values()
                                 if nodes[i].get("type") == "parallel" and nodes[i].get("gateway") == "split"))


def _chains(nodes: list[Any], ids: list[int], pairs: list[tuple[int, int]]) -> dict[int, int]:
    """Node -> first node of its chain: a run of pass-through nodes, each entered only from the one before.

    A token in such a run just walks along it (a series of places, one Petri-net reduction), so
    the run counts as one position: three parallel branches of twenty approvals give 2³ states,
    not 21³.
    """
    out: dict[int, list[int]] = {i: [] for i in ids}
    inc: dict[int, list[int]] = {i: [] for i in ids}
    for src, dst in pairs:
        out[src].append(dst)
        inc[dst].append(src)
    passes = {i for i in ids if nodes[i].get("type") not in {"start", "end", "branch", "parallel"} and len(out[i]) == 1}
    head = {i: i for i in ids}
    for i in sorted(ids):
        if i not in passes or (len(inc[i]) == 1 and inc[i][0] in passes):
            continue  # not a pass node, or not the first of its chain
        cur = i
        while True:
            nxt = out[cur][0]
            if nxt not in passes or len(inc[nxt]) != 1 or head[nxt] != nxt or nxt == i:
                break
            head[nxt] = i
            cur = nxt
    return head


def _waits(spec: Mapping[str, Any]) -> bool:
    """A person or a child instance must act: the token may wait there for any time."""
    t = spec.get("type")
    return t in WAITING_TYPES or t not in {"end", "branch", "parallel", "service", "circulate"}


def _is_join(spec: Mapping[str, Any]) -> bool:
    return spec.get("type") == "parallel" and spec.get("gateway") == "join"


class _Game:
    """The reachable states of one net, explored breadth first, then read for findings."""

    def __init__(self, net: _Net) -> None:
        self.net = net
        self.states: list[State] = []
        self.seen: dict[State, int] = {}
        self.parent: list[int] = []
        self.moved: list[int] = []                  # node that moved to reach the state (BFS tree)
        self.succ: list[list[tuple[int, int]]] = []  # (next state, node that moved)
        self.dead: list[int] = []

    # --- the rules of the game ------------------------------------------------------------------

    def fire(self, state: State, e: int) -> list[State]:
        """The states a token on edge ``e`` can lead to when its target node acts; [] if it must wait."""
        net = self.net
        counts, mems = state
        base = list(counts)
        base[e] -= 1
        outs = net.outs[e]
        kind = net.kind[e]
        if kind == END:
            return [(tuple(base), mems)]
        if kind == JOIN:
            j = net.join_of[e]
            mem = mems[j]
            if mem & net.bit[e]:
                return []  # this edge already arrived in the current round: wait for the next
            mem |= net.bit[e]
            arrived = mem.bit_count()
            fired = arrived == net.quorum[j]
            if arrived == len(net.join_in[j]):
                mem = 0
            new_mems = (*mems[:j], mem, *mems[j + 1:])
            if not fired:
                return [(tuple(base), new_mems)]
            return [(_add(base, (o,)), new_mems) for o in outs] or [(tuple(base), new_mems)]
        if kind == SPLIT:
            return [(_add(base, outs), mems)] if outs else []
        return [(_add(base, (o,)), mems) for o in outs]

    def moves(self, sid: int) -> list[tuple[State, int]]:
        """Successors of a state: the first instant token alone if there is one, else every waiting task."""
        net = self.net
        state = self.states[sid]
        tokens = [e for e, c in enumerate(state[0]) if c]
        for e in tokens:
            if not net.waits[e]:
                nxt = self.fire(state, e)
                if nxt:
                    return [(t, net.target[e]) for t in nxt]
        return [(t, net.target[e]) for e in tokens if net.waits[e] for t in self.fire(state, e)]

    # --- exploration ------------------------------------------------------------------------------

    def add(self, state: State, parent: int, node: int) -> int:
        sid = len(self.states)
        self.states.append(state)
        self.seen[state] = sid
        self.parent.append(parent)
        self.moved.append(node)
        self.succ.append([])
        return sid

    def run(self) -> list[Finding]:
        net = self.net
        zero = (0,) * len(net.target)
        mems = (0,) * len(net.joins)
        queue: deque[int] = deque()
        for e in net.first:
            queue.append(self.add((_add(list(zero), (e,)), mems), -1, net.start))
        while queue:
            sid = queue.popleft()
            nxt = self.moves(sid)
            if not nxt and (any(self.states[sid][0]) or any(self.states[sid][1])):
                self.dead.append(sid)
            for state, node in nxt:
                tid = self.seen.get(state)
                if tid is None:
                    if len(self.states) >= MAX_STATES:
                        return [*self.deadlocks(), self.too_many()]
                    tid = self.add(state, sid, node)
                    grown = self.pile_up(tid)
                    if grown is not None:
                        return [*self.deadlocks(), self.unbounded(tid, *grown)]
                    queue.append(tid)
                self.succ[sid].append((tid, node))
        return self.deadlocks() + self.endless_loops()

    def pile_up(self, sid: int) -> tuple[int, int] | None:
        """(edge, earlier state) when tokens can pile up without bound, as state ``sid`` shows; else None.

        The proof: an earlier state on the path here with the same join rounds and
        fewer tokens, none more anywhere. In the token game more tokens never disable a move, so the
        moves between the two can be repeated forever, each time adding the same tokens (Karp-Miller
        coverability). Tokens waiting in front of a join are also capped at ``MAX_WAITING``.
        """
        counts = self.states[sid][0]
        for e, c in enumerate(counts):
            if c > MAX_WAITING and self.net.kind[e] == JOIN:
                return e, self._covered(sid)
        if sum(counts) <= sum(self.states[self.parent[sid]][0]):
            return None  # a pumping loop shows where it adds tokens: compare only there
        earlier = self._covered(sid)
        if earlier < 0:
            return None
        old = self.states[earlier][0]
        grown = [e for e, c in enumerate(counts) if c > old[e]]
        return next((e for e in grown if self.net.waits[e]), grown[0]), earlier

    def _covered(self, sid: int) -> int:
        """The nearest ancestor of ``sid`` with the same join rounds and fewer tokens, none more anywhere; -1 if none."""
        counts, mems = self.states[sid]
        a = self.parent[sid]
        while a >= 0:
            old, old_mems = self.states[a]
            if old_mems == mems and old != counts and all(c >= o for c, o in zip(counts, old, strict=True)):
                return a
            a = self.parent[a]
        return -1

    # --- findings ---------------------------------------------------------------------------------

    def deadlocks(self) -> list[Finding]:
        net = self.net
        missing: dict[int, set[int]] = {}   # join number -> incoming edges it may wait for in vain
        fired: dict[int, bool] = {}         # join number -> it went on before getting stuck, in every case
        stuck: dict[int, int] = {}          # node -> first edge a token got stuck on (not at a join)
        for sid in self.dead:
            counts, mems = self.states[sid]
            joins = [j for j in range(len(net.joins)) if mems[j] or any(counts[e] for e in net.join_in[j])]
            for j in joins:
                missing.setdefault(j, set()).update(e for e in net.join_in[j] if not mems[j] & net.bit[e])
                fired[j] = fired.get(j, True) and mems[j].bit_count() >= net.quorum[j]
            if not joins:
                for e, c in enumerate(counts):
                    if c:
                        stuck.setdefault(net.target[e], e)
        found = [self._join_deadlock(j, sorted(missing[j]), fired[j]) for j in sorted(missing)]
        for node in sorted(set(stuck) - {f.node for f in found}):
            name = net.names[node]
            found.append(Finding("deadlock", node, f"流程会停在 “{name}”，无法继续。",
                                 f"The flow can get stuck at '{name}' and go no further."))
        return found

    def _join_deadlock(self, j: int, missing: list[int], fired: bool) -> Finding:
        net = self.net
        node = net.joins[j]
        name = net.names[node]
        zh_from = "、".join(f"“{net.names[net.source[e]]}”" for e in missing)
        en_from = ", ".join(f"'{net.names[net.source[e]]}'" for e in missing)
        hint_zh = "汇聚只应等待并行分支分出的各条分支；条件分支只走其中一条出线。"
        hint_en = "A join should only wait for the branches a parallel split started; an exclusive branch takes just one of its edges."
        if fired:
            return Finding("deadlock", node,
                           f"并行汇聚 “{name}” 已达到汇聚条数并继续，但来自 {zh_from} 的分支可能永远不会到达，流程因此无法办结。{hint_zh}",
                           f"Parallel join '{name}' went on once its quorum arrived, but the branch(es) from {en_from} may never "
                           f"arrive, so the flow cannot finish. {hint_en}")
        return Finding("deadlock", node,
                       f"并行汇聚 “{name}” 可能永远等不到来自 {zh_from} 的分支，流程会卡在这里。{hint_zh}",
                       f"Parallel join '{name}' may wait forever for the branch(es) from {en_from}: the flow gets stuck there. "
                       f"{hint_en}")

    def endless_loops(self) -> list[Finding]:
        """One ``never_ends`` per closed set of states that keeps moving but never finishes (a bottom SCC)."""
        found: dict[int, Finding] = {}
        for comp in _sccs(self.succ):
            members = set(comp)
            inside = [(t, n) for s in comp for t, n in self.succ[s]]
            if any(t not in members for t, _ in inside) or not inside:
                continue  # it can leave, or it is a single dead state
            moved = {m for _, n in inside for m in self.net.members[n]}
            loop = sorted(moved - self.net.ends or moved)
            node = loop[0]
            if node in found:
                continue
            zh, en = self._names(loop)
            found[node] = Finding("never_ends", node,
                                  f"流程可能永远无法办结：一旦进入经过 {zh} 的循环，就没有任何走法能让全部分支结束"
                                  "（例如循环中的并行分支每一圈都会再分出一条）。",
                                  f"The flow may never finish: once the loop through {en} is entered, no way of going on lets "
                                  "every branch end (a parallel split in the loop, say, starts another branch every time round).")
        return list(found.values())

    def unbounded(self, sid: int, edge: int, earlier: int) -> Finding:
        net = self.net
        node = net.target[edge]
        name = net.names[node]
        path: list[int] = []
        a = sid
        while a >= 0 and a != earlier:
            path.extend(net.members[self.moved[a]])
            a = self.parent[a]
        if earlier < 0:
            path = []
        splits = sorted(set(path) & net.splits)
        if splits and path:
            zh, en = self._names(sorted(set(path)))
            split = net.names[splits[0]]
            return Finding("unbounded", node,
                           f"“{name}” 的待办可能无限累积：每绕一次经过 {zh} 的循环，并行分支 “{split}” 就多分出一条到这里的分支，"
                           "却没有汇聚把它们收回。",
                           f"Tasks can pile up without bound at '{name}': every time round the loop through {en}, parallel "
                           f"split '{split}' starts one more branch to it and no join gathers them.")
        return Finding("unbounded", node, f"“{name}” 前的令牌可能无限累积。",
                       f"Tokens can pile up without bound in front of '{name}'.")

    def too_many(self) -> Finding:
        return Finding("too_many_states", self.net.start,
                       f"流程的可达状态超过 {MAX_STATES} 个，无法检查完：并行分支太多，或待办可能无限累积。请简化流程。",
                       f"The flow has more than {MAX_STATES} reachable states, too many to check: too many parallel branches, "
                       "or tasks may pile up without bound. Simplify the flow.")

    def _names(self, nodes: list[int], most: int = 6) -> tuple[str, str]:
        names = [self.net.names[n] for n in nodes[:most]]
        more = len(nodes) > most
        return ("、".join(f"“{n}”" for n in names) + ("等" if more else ""),
                ", ".join(f"'{n}'" for n in names) + (" …" if more else ""))


def _add(base: list[int], edges: tuple[int, ...]) -> tuple[int, ...]:
    out = list(base)
    for e in edges:
        out[e] += 1
    return tuple(out)


def _sccs(succ: list[list[tuple[int, int]]]) -> list[list[int]]:
    """Strongly connected components of the state graph (Tarjan, iterative), in a fixed order."""
    index: list[int] = [-1] * len(succ)
    low = [0] * len(succ)
    on_stack = [False] * len(succ)
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in range(len(succ)):
        if index[root] >= 0:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack[v] = True
            recurse = False
            for k in range(i, len(succ[v])):
                w = succ[v][k][0]
                if index[w] < 0:
                    work.append((v, k + 1))
                    work.append((w, 0))
                    recurse = True
                    break
                if on_stack[w]:
                    low[v] = min(low[v], index[w])
            if recurse:
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
    return out
