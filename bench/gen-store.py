#!/usr/bin/env python3
"""Build large, realistic opencode stores for the session-export benchmark.

Every message, part, event, todo, session and project written here is a clone of a
row (or file) that real opencode wrote into the committed fixture stores:

  SQLite (opencode 1.18.33): tests/fixtures/v1.18.33/data/opencode.db (+ -wal, -shm)
  JSON   (opencode 1.1.65):  tests/fixtures/v1.1.65/data/storage/

The fixture sessions are cut into *turns* (one user message and the assistant messages
that answer it, with their parts, their events and, for the subagent turn, the child
session). A generated session is a sequence of such turns, each cloned with fresh ids
and shifted times. Nothing is hand-typed: a cloned row is the fixture row's own text with
its ids, epoch-ms times and project directory substituted (with --real-models also its
provider/model id, one real one per session), and read/bash tool outputs
scaled to 1-8 KB by repeating their real lines.

The SQLite store starts from a copy of the fixture database (so schema and migration
state are the real ones of 1.18.33); the fixture's own rows are removed and replaced.

Usage:
  python3 bench/gen-store.py sqlite [OUT]   # default target/bench/store-sqlite
  python3 bench/gen-store.py json [OUT]     # default target/bench/store-json
  python3 bench/gen-store.py both

OUT gets `opencode/` (the data dir: point XDG_DATA_HOME at OUT, or --data-dir at
OUT/opencode) and `manifest.json` (counts, the big session's id, the number of documents
`dry-run --all-complete` must print). Deterministic for a given --seed and sizes.
Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import re
import shutil
import sqlite3
import string
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIX_SQLITE = REPO / "tests" / "fixtures" / "v1.18.33"
FIX_JSON = REPO / "tests" / "fixtures" / "v1.1.65"

WRAP = 1 << 36  # ascending ids keep (ms mod 2^36): they wrapped on 2026-08-14
MASK48 = (1 << 48) - 1
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
DAY = 86_400_000

ID_RE = r"(?:ses|msg|prt|evt)_[0-9a-f]{12}[0-9A-Za-z]{14}"
MARK = "\ue000"  # brackets a placeholder for a scaled tool output inside a template

# Which fixture turns a generated session is made of, and how often (relative weights).
# Todo turns are placed separately (they decide the session's todo state).
PLAIN_WEIGHTS = {
    "long-chat#1": 6,
    "long-chat#2": 6,
    "long-chat#3": 6,
    "two-agents#1": 4,
    "two-agents#2": 3,
    "two-agents#3": 4,
    "file-write#1": 4,
    "no-todos#1": 3,
    "provider-error#1": 2,
    "provider-error#2": 1,
    "subagent#1": 2,
}
TODO_TURN = {"done": "todos-done#1", "cancelled": "todos-cancelled#1", "open": "todos-open#1"}
# share of top-level sessions by final todo state (open ones are not "complete")
KIND_WEIGHTS = {"none": 35, "done": 35, "cancelled": 10, "open": 20}

ADJ = ["glowing", "cosmic", "witty", "nimble", "gentle", "jolly", "clever", "crisp", "playful", "quiet", "brave", "eager"]
NOUN = ["rocket", "garden", "moon", "knight", "cactus", "forest", "star", "panda", "cabin", "sailor", "planet", "river"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def id_time(ident: str) -> tuple[int, int]:
    """(ms mod 2^36, counter) of an opencode id; session ids are bitwise-inverted."""
    v = int(ident[4:16], 16)
    if ident.startswith("ses_"):
        v = ~v & MASK48
    return v >> 12, v & 0xFFF


def full_ms(mod_ms: int, near: int) -> int:
    """The epoch ms with this value mod 2^36 closest to `near`."""
    k = round((near - mod_ms) / WRAP)
    return k * WRAP + mod_ms


class Ids:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def rand(self) -> str:
        return "".join(self.rng.choices(B62, k=14))

    def asc(self, prefix: str, ms: int, counter: int) -> str:
        return f"{prefix}_{((ms % WRAP) * 4096 + counter) & MASK48:012x}{self.rand()}"

    def desc(self, ms: int, counter: int = 1) -> str:
        return f"ses_{~((ms * 4096 + counter) & MASK48) & MASK48:012x}{self.rand()}"


# --------------------------------------------------------------------------------------
# templates


class Compiler:
    """Turns the raw text of a fixture row into a template: literal pieces and slots
    ('id', old) | ('t', epoch_ms) | ('dir', key) | ('out', key)."""

    def __init__(self, dirs: dict[str, str], tmin: int, tmax: int, indent):
        self.dirs = dirs  # fixture literal (directory, project id, slug, title) -> key
        self.tmin, self.tmax = tmin, tmax
        self.indent = indent  # None: compact JSON (DB rows); 2: pretty files (JSON store)
        alts = [f"{MARK}[^{MARK}]+{MARK}", ID_RE]
        alts += [re.escape(d) for d in sorted(dirs, key=len, reverse=True)]
        alts.append(r"(?<![0-9A-Za-z.])1\d{12}(?![0-9A-Za-z.])")
        alts.append(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")  # "New session - <ISO time>" titles
        self.re = re.compile("|".join(alts))
        self.leftover = 0

    def dumps(self, obj) -> str:
        if self.indent is None:
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        return json.dumps(obj, ensure_ascii=False, indent=self.indent)

    def compile(self, raw: str, outs: dict[str, str] | None = None) -> list:
        """`outs` maps an original tool-output string to its placeholder key: every JSON
        string value equal to it becomes an ('out', key) slot."""
        if outs:
            obj = json.loads(raw)
            if self.dumps(obj) != raw:
                raise SystemExit(f"re-serializing a fixture row changes it; cannot template:\n{raw[:300]}")
            hit = [False]

            def walk(o):
                if isinstance(o, dict):
                    return {k: walk(v) for k, v in o.items()}
                if isinstance(o, list):
                    return [walk(v) for v in o]
                if isinstance(o, str) and o in outs:
                    hit[0] = True
                    return f"{MARK}{outs[o]}{MARK}"
                return o

            obj2 = walk(obj)
            if hit[0]:
                raw = self.dumps(obj2)
        pieces: list = []
        pos = 0
        for m in self.re.finditer(raw):
            tok = m.group(0)
            if tok[0] == MARK:
                slot = ("out", tok[1:-1])
            elif tok[3] == "_" and tok[:3] in ("ses", "msg", "prt", "evt"):
                slot = ("id", tok)
            elif tok in self.dirs:
                slot = ("dir", self.dirs[tok])
            elif len(tok) == 24 and tok[-1] == "Z":
                t = int(datetime.datetime.fromisoformat(tok).timestamp() * 1000)
                if not (self.tmin <= t <= self.tmax):
                    continue
                slot = ("iso", t)
            elif tok[0].isdigit():
                t = int(tok)
                if not (self.tmin <= t <= self.tmax):
                    continue
                slot = ("t", t)
            else:
                slot = ("dir", self.dirs[tok])
            if m.start() > pos:
                pieces.append(raw[pos : m.start()])
            pieces.append(slot)
            pos = m.end()
        if pos < len(raw):
            pieces.append(raw[pos:])
        if any(isinstance(p, str) and "session-export-fixtures" in p for p in pieces):
            self.leftover += 1
        return pieces


def render(tpl: list, idmap: dict, delta: int, dirs: dict, outs: dict) -> str:
    buf = []
    ap = buf.append
    for p in tpl:
        if p.__class__ is str:
            ap(p)
        else:
            k, v = p
            if k == "t":
                ap(str(v + delta))
            elif k == "iso":
                ap(iso(v + delta))
            elif k == "id":
                ap(idmap[v])
            elif k == "dir":
                ap(dirs[v])
            else:
                ap(outs[v])
    return "".join(buf)


def iso(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def tpl_times(tpl: list) -> list[int]:
    return [p[1] for p in tpl if p.__class__ is tuple and p[0] in ("t", "iso")]


def tpl_ids(tpl: list) -> set[str]:
    return {p[1] for p in tpl if p.__class__ is tuple and p[0] == "id"}


# --------------------------------------------------------------------------------------
# tool outputs

NUM_LINE = re.compile(r"(?:(?<=\n)|(?<=<content>))(\d+)([:|] ?)([^\n]*)\n")
TOTAL = re.compile(r"total (\d+) lines")


def scale_output(tool: str, out: str, target: int) -> str:
    """Grow a real tool output to about `target` chars by repeating its own lines."""
    if len(out) >= target:
        return out
    if tool == "read":
        ms = list(NUM_LINE.finditer(out))
        if ms:
            head, tail = out[: ms[0].start()], out[ms[-1].end() :]
            texts = [(m.group(2), m.group(3)) for m in ms]
            width = len(ms[0].group(1))
            zero = ms[0].group(1).startswith("0")
            lines, size, n = [], len(head) + len(tail), 0
            while size < target or n < len(texts):
                sep, text = texts[n % len(texts)]
                n += 1
                num = str(n).zfill(width) if zero else str(n)
                line = f"{num}{sep}{text}\n"
                lines.append(line)
                size += len(line)
            tail = TOTAL.sub(f"total {n} lines", tail)
            return head + "".join(lines) + tail
    lines = out.splitlines(keepends=True) or [out]
    buf, size, i = [], 0, 0
    while size < target:
        line = lines[i % len(lines)]
        buf.append(line)
        size += len(line)
        i += 1
    return "".join(buf)


# --------------------------------------------------------------------------------------
# fixture model: turns


class Turn:
    """One user message and the assistant messages answering it, from one fixture session."""

    def __init__(self, name: str, src_session: str):
        self.name = name
        self.src_session = src_session
        self.t0 = 0  # the user message's id time: turn start
        self.t1 = 0  # last time anywhere in the turn
        self.messages: list[dict] = []  # {old, tpl, role, cost, tokens, agent, error, tc, tu}
        self.parts: list[dict] = []  # {old, msg, tpl, tc, tu}
        self.events: list[dict] = []  # {old, type, tpl}
        self.child: dict | None = None  # subagent child session (same structure as a session header + rows)
        self.todos: list | None = None  # final todo rows when this turn holds its session's last todowrite
        self.todo_kind: str | None = None
        self.outs: dict[str, tuple[str, str]] = {}  # key -> (tool, original output)
        self.asc: list[tuple[str, str, int, int]] = []  # (old id, prefix, full ms, counter)
        self.n_messages = 0
        self.n_child_messages = 0
        self.file_write = False
        self.src: dict | None = None  # the fixture session it comes from


def todo_kind(statuses: list[str]) -> str:
    if any(s in ("pending", "in_progress") for s in statuses):
        return "open"
    if any(s == "cancelled" for s in statuses):
        return "cancelled"
    return "done"


def collect_asc(turn: Turn, tpls: list[list], extra_ids: list[str], near: int, own_sessions: set[str]):
    seen = {}
    for tpl in tpls:
        for i in tpl_ids(tpl):
            seen[i] = True
    for i in extra_ids:
        seen[i] = True
    for i in seen:
        if i.startswith("ses_"):
            if i not in own_sessions:
                raise SystemExit(f"turn {turn.name}: refers to a session outside it: {i}")
            continue
        mod, counter = id_time(i)
        turn.asc.append((i, i[:3], full_ms(mod, near), counter))


# ---- fixtures, normalized: both stores are cut into turns by the same code


class Fixture:
    """A fixture store read into plain dicts (raw text kept exactly as opencode wrote it)."""

    def __init__(self):
        self.scenario: dict[str, str] = {}  # session id -> scenario
        self.sessions: dict[str, dict] = {}  # id -> {parent, slug, title, created, updated, src}
        self.msgs: dict[str, list] = {}  # session id -> [{id, raw, obj, tc, tu}] by (time created, id)
        self.parts: dict[str, list] = {}  # message id -> [{id, raw, obj, tc, tu}] by id
        self.events: dict[str, list] = {}  # session id -> [{id, type, raw}] by seq (SQLite only)
        self.todos: dict[str, object] = {}  # session id -> todo rows (SQLite) or file text (JSON)
        self.repo_dir = self.odd_dir = self.git_project = ""
        self.indent = None


def cut_turns(fx: Fixture):
    """Cut every top-level fixture session into turns and compile their templates."""
    times = [m["tc"] for v in fx.msgs.values() for m in v] + [s["updated"] for s in fx.sessions.values()]
    tmin, tmax = min(times) - DAY, max(times) + DAY
    subs = {fx.repo_dir: "repo", fx.odd_dir: "odd", fx.repo_dir.lstrip("/"): "repo_rel",
            fx.odd_dir.lstrip("/"): "odd_rel", fx.git_project: "proj"}
    for s in fx.sessions.values():
        subs[s["slug"]] = "slug:" + s["slug"]
        subs[s["title"]] = "title:" + s["title"]
    comp = Compiler(subs, tmin, tmax, fx.indent)

    scalable = {}  # part id -> (tool, output): read/bash outputs get scaled to 1-8 KB
    for plist in fx.parts.values():
        for p in plist:
            d = p["obj"]
            if d.get("type") == "tool" and d.get("tool") in ("read", "bash"):
                o = (d.get("state") or {}).get("output")
                if isinstance(o, str) and o:
                    scalable[p["id"]] = (d["tool"], o)

    def okeys(part_id):
        if part_id in scalable:
            return {scalable[part_id][1]: "out:" + part_id}
        return None

    def rows(sid, t_from, t_to):
        ms, ps, es = [], [], []
        for m in fx.msgs.get(sid, []):
            if not (t_from <= full_ms(id_time(m["id"])[0], m["tc"]) < t_to):
                continue
            d = m["obj"]
            tok = d.get("tokens") or {}
            cache = tok.get("cache") or {}
            ms.append({"old": m["id"], "tpl": comp.compile(m["raw"]), "role": d.get("role"),
                       "agent": d.get("agent") or d.get("mode"), "cost": d.get("cost") or 0,
                       "tokens": tuple(x or 0 for x in (tok.get("input"), tok.get("output"), tok.get("reasoning"),
                                                        cache.get("read"), cache.get("write"))),
                       "tc": m["tc"], "tu": m["tu"]})
            for p in fx.parts.get(m["id"], []):
                ps.append({"old": p["id"], "msg": m["id"], "tpl": comp.compile(p["raw"], okeys(p["id"])),
                           "tc": p["tc"], "tu": p["tu"], "obj": p["obj"]})
        for e in fx.events.get(sid, []):
            if t_from <= full_ms(id_time(e["id"])[0], tmax) < t_to:
                pid = ((json.loads(e["raw"]).get("part")) or {}).get("id")
                es.append({"old": e["id"], "type": e["type"], "tpl": comp.compile(e["raw"], okeys(pid))})
        return ms, ps, es

    turns: dict[str, Turn] = {}
    headers: dict[str, dict] = {}
    child_of = {s["parent"]: sid for sid, s in fx.sessions.items() if s["parent"]}
    for sid, s in fx.sessions.items():
        if s["parent"]:
            continue
        name = fx.scenario[sid]
        users = [m for m in fx.msgs[sid] if m["obj"].get("role") == "user"]
        starts = [full_ms(id_time(u["id"])[0], u["tc"]) for u in users]
        _, _, hev = rows(sid, 0, starts[0])  # session.created before the first prompt
        headers[name] = {"src": s, "events": hev, "offset": starts[0] - s["created"], "id": sid}
        last_todo_turn = None
        for k, t0 in enumerate(starts):
            turn = Turn(f"{name}#{k + 1}", sid)
            turn.src = s
            turn.t0 = t0
            turn.messages, turn.parts, turn.events = rows(sid, t0, starts[k + 1] if k + 1 < len(starts) else 1 << 62)
            own = {sid}
            if any(p["obj"].get("tool") == "todowrite" for p in turn.parts):
                last_todo_turn = turn
            if any(p["obj"].get("tool") == "task" for p in turn.parts) and sid in child_of:
                cid = child_of[sid]
                cm, cp, ce = rows(cid, 0, 1 << 62)
                turn.child = {"src": fx.sessions[cid], "messages": cm, "parts": cp, "events": ce, "id": cid}
                own.add(cid)
            everything = turn.messages + turn.parts + turn.events
            if turn.child:
                everything += turn.child["messages"] + turn.child["parts"] + turn.child["events"]
            tpls = [x["tpl"] for x in everything]
            defined = {x["old"] for x in everything}
            used = set().union(*(tpl_ids(t) for t in tpls))
            dangling = {i for i in used - defined if not i.startswith("ses_")}
            if dangling:
                log(f"warning: turn {turn.name} refers to rows outside it: {sorted(dangling)[:3]}")
            turn.outs = {p[1]: scalable[p[1][4:]] for t in tpls for p in t if p.__class__ is tuple and p[0] == "out"}
            all_t = [t for tp in tpls for t in tpl_times(tp)]
            all_t += [x["tu"] for x in everything if "tu" in x]
            turn.t1 = max(all_t)
            turn.n_messages = len(turn.messages)
            turn.n_child_messages = len(turn.child["messages"]) if turn.child else 0
            turn.file_write = name == "file-write"
            collect_asc(turn, tpls, sorted(defined), t0, own)
            turns[turn.name] = turn
        if last_todo_turn is not None and sid in fx.todos:
            last_todo_turn.todos = fx.todos[sid]
    if comp.leftover:
        log(f"warning: {comp.leftover} templates still mention the fixture work dir")
    return turns, headers, tmax


def load_sqlite_fixture(tmp: Path) -> Fixture:
    """Copy db+wal+shm together, checkpoint the copy, read it."""
    src = FIX_SQLITE / "data"
    db = tmp / "fixture.db"
    for suffix in ("", "-wal", "-shm"):
        f = src / f"opencode.db{suffix}"
        if f.exists():
            shutil.copyfile(f, tmp / f"fixture.db{suffix}")
    c = sqlite3.connect(db)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.row_factory = sqlite3.Row
    fx = Fixture()
    manifest = json.loads((FIX_SQLITE / "manifest.json").read_text())
    fx.scenario = {s["id"]: s["scenario"] for s in manifest["sessions"]}
    for r in c.execute("SELECT * FROM session"):
        fx.sessions[r["id"]] = {"parent": r["parent_id"], "slug": r["slug"], "title": r["title"],
                                "created": r["time_created"], "updated": r["time_updated"], "row": dict(r)}
    if len(fx.sessions) != len(fx.scenario):
        raise SystemExit("fixture DB and manifest disagree on sessions (was the -wal copied?)")
    for r in c.execute("SELECT * FROM message ORDER BY session_id, time_created, id"):
        fx.msgs.setdefault(r["session_id"], []).append(
            {"id": r["id"], "raw": r["data"], "obj": json.loads(r["data"]), "tc": r["time_created"], "tu": r["time_updated"]})
    for r in c.execute("SELECT * FROM part ORDER BY message_id, id"):
        fx.parts.setdefault(r["message_id"], []).append(
            {"id": r["id"], "raw": r["data"], "obj": json.loads(r["data"]), "tc": r["time_created"], "tu": r["time_updated"]})
    for r in c.execute("SELECT * FROM event ORDER BY aggregate_id, seq"):
        fx.events.setdefault(r["aggregate_id"], []).append({"id": r["id"], "type": r["type"], "raw": r["data"]})
    for r in c.execute("SELECT * FROM todo ORDER BY session_id, position"):
        fx.todos.setdefault(r["session_id"], []).append(dict(r))
    fx.projects = {r["id"]: dict(r) for r in c.execute("SELECT * FROM project")}
    fx.project_dirs = [dict(r) for r in c.execute("SELECT * FROM project_directory")]
    c.close()
    fx.repo_dir = next(s["directory"] for s in manifest["sessions"] if s["scenario"] == "no-todos")
    fx.odd_dir = next(s["directory"] for s in manifest["sessions"] if s["scenario"] == "odd-dir")
    fx.git_project = next(s["projectId"] for s in manifest["sessions"] if s["scenario"] == "no-todos")
    fx.indent = None
    fx.turns, fx.headers, fx.tmax = cut_turns(fx)
    return fx


def load_json_fixture() -> Fixture:
    st = FIX_JSON / "data" / "storage"
    fx = Fixture()
    manifest = json.loads((FIX_JSON / "manifest.json").read_text())
    fx.scenario = {s["id"]: s["scenario"] for s in manifest["sessions"]}
    for f in sorted((st / "session").glob("*/*.json")):
        raw = f.read_text(encoding="utf-8")
        o = json.loads(raw)
        fx.sessions[o["id"]] = {"parent": o.get("parentID"), "slug": o.get("slug", ""), "title": o.get("title", ""),
                                "created": o["time"]["created"], "updated": o["time"]["updated"], "obj": o}
    for f in sorted((st / "message").glob("*/*.json")):
        raw = f.read_text(encoding="utf-8")
        o = json.loads(raw)
        t = o["time"]
        fx.msgs.setdefault(o["sessionID"], []).append(
            {"id": o["id"], "raw": raw, "obj": o, "tc": t["created"], "tu": t.get("completed", t["created"])})
    for v in fx.msgs.values():
        v.sort(key=lambda m: (m["tc"], m["id"]))
    for f in sorted((st / "part").glob("*/*.json")):
        raw = f.read_text(encoding="utf-8")
        o = json.loads(raw)
        fx.parts.setdefault(o["messageID"], []).append({"id": o["id"], "raw": raw, "obj": o, "tc": 0, "tu": 0})
    for v in fx.parts.values():
        v.sort(key=lambda p: p["id"])
    fx.todos = {f.stem: f.read_text(encoding="utf-8") for f in (st / "todo").glob("*.json")}
    fx.diffs = {f.stem: f.read_text(encoding="utf-8") for f in (st / "session_diff").glob("*.json")}
    fx.projects = {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in (st / "project").glob("*.json")}
    fx.repo_dir = next(s["directory"] for s in manifest["sessions"] if s["scenario"] == "no-todos")
    fx.odd_dir = next(s["directory"] for s in manifest["sessions"] if s["scenario"] == "odd-dir")
    fx.git_project = next(s["projectId"] for s in manifest["sessions"] if s["scenario"] == "no-todos")
    fx.indent = 2
    fx.turns, fx.headers, fx.tmax = cut_turns(fx)
    return fx


# --------------------------------------------------------------------------------------
# session plans (shared by both stores)


class Plan:
    def __init__(self, kind, turns, project, start, gaps):
        self.kind = kind
        self.turns = turns  # list of Turn
        self.project = project
        self.start = start
        self.gaps = gaps  # ms between turns


def plan_session(rng, fx, kind: str, n_target: int, global_ok: bool) -> list:
    """The turns of one session: plain turns, plus for a todo kind the todo turn whose final
    todo list the session keeps (and maybe an earlier todo turn that it replaced)."""
    turns = fx.turns
    names = [n for n in PLAIN_WEIGHTS if n in turns]
    weights = [PLAIN_WEIGHTS[n] for n in names]
    if global_ok and "odd-dir#1" in turns:
        names.append("odd-dir#1")
        weights.append(4)
    seq: list[Turn] = []
    count = 0
    if kind != "none":
        if rng.random() < 0.3:
            seq.append(turns[TODO_TURN[rng.choice(list(TODO_TURN))]])
        seq.append(turns[TODO_TURN[kind]])
        count = sum(t.n_messages for t in seq)
    while count < n_target:
        t = turns[rng.choices(names, weights)[0]]
        seq.insert(rng.randrange(len(seq) + 1), t)
        count += t.n_messages
    return seq


def make_plans(rng, fx, n_sessions, n_messages, big_messages, projects, t_lo, t_hi):
    """Top-level session plans in start-time order; one of them (`big`) is the big session."""
    mean = max(4.0, (n_messages - big_messages) / max(1, n_sessions - 1) * 0.9)
    sigma = 1.0
    mu = math.log(mean) - sigma * sigma / 2
    kinds, kw = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())

    def one(kind, n, big=False):
        proj = projects[0] if big else rng.choice(projects)
        p = Plan(kind, plan_session(rng, fx, kind, n, proj["global"]), proj, 0, [])
        p.gaps = [int(math.exp(rng.uniform(math.log(3_000), math.log(900_000)))) for _ in p.turns]
        p.duration = sum(t.t1 - t.t0 for t in p.turns) + sum(p.gaps) + 60_000
        start = rng.randrange(t_lo, t_hi - p.duration)
        # never straddle an id wrap: message ids must sort by time within a session
        if start // WRAP != (start + p.duration) // WRAP:
            start = ((start + p.duration) // WRAP) * WRAP + 60_000
        p.start = start
        p.big = big
        p.n_messages = sum(t.n_messages + t.n_child_messages for t in p.turns)
        return p

    plans = [one("done", big_messages, big=True)]
    total = plans[0].n_messages
    while len(plans) < n_sessions or total < n_messages:
        p = one(rng.choices(kinds, kw)[0], int(min(900, max(2, rng.lognormvariate(mu, sigma)))))
        plans.append(p)
        total += p.n_messages
    plans.sort(key=lambda p: p.start)
    return plans


def make_projects(rng, n_git):
    projects = [{"id": "%040x" % rng.getrandbits(160), "dir": f"/home/dev/src/project-{i + 1:02d}", "global": False}
                for i in range(n_git)]
    projects.append({"id": "global", "dir": "/home/dev/scratch/my prôjet ünï", "global": True})
    return projects


def out_values(rng, turn: Turn, fx, directory: str) -> dict:
    """Per-clone read/bash outputs grown to 1-8 KB, JSON-escaped for the templates."""
    res = {}
    for key, (tool, orig) in turn.outs.items():
        target = int(math.exp(rng.uniform(math.log(1024), math.log(8192))))
        s = scale_output(tool, orig, target).replace(fx.repo_dir, directory).replace(fx.odd_dir, directory)
        res[key] = json.dumps(s, ensure_ascii=False)[1:-1]
    return res


def slug(rng):
    return f"{rng.choice(ADJ)}-{rng.choice(NOUN)}"


# Real provider/model ids (as opencode records them) for --real-models, each with how often
# it is picked for a session: the fixtures' `fake/m1` is far shorter than any real one.
REAL_MODELS = [
    ("anthropic", "claude-sonnet-4-5-20250929", 5),
    ("anthropic", "claude-opus-4-1-20250805", 2),
    ("openai", "gpt-5-codex", 2),
    ("google", "gemini-2.5-pro", 1),
    ("openrouter", "qwen/qwen3-coder", 1),
]


def real_model(sid: str) -> tuple[str, str]:
    """The model of session `sid` under --real-models (the same on every run)."""
    n = zlib.crc32(sid.encode()) % sum(w for _, _, w in REAL_MODELS)
    for provider, model, w in REAL_MODELS:
        if n < w:
            return provider, model
        n -= w
    raise AssertionError


class Clone:
    """One cloned turn: its id map, time shift, literal substitutions and scaled outputs."""

    real_models = False  # set from --real-models

    def __init__(self, rng, ids: Ids, fx, turn: Turn, t_start: int, sid: str, proj: dict, s_slug: str, s_title: str):
        self.delta = delta = t_start - turn.t0
        d = proj["dir"]
        self.subs = {"repo": d, "odd": d, "repo_rel": d.lstrip("/"), "odd_rel": d.lstrip("/"), "proj": proj["id"]}
        if turn.src:
            self.subs.update({"slug:" + turn.src["slug"]: s_slug, "title:" + turn.src["title"]: s_title})
        self.idmap = {turn.src_session: sid}
        self.child_id = None
        if turn.child:
            cs = turn.child["src"]
            self.child_id = ids.desc(cs["created"] + delta)
            self.idmap[turn.child["id"]] = self.child_id
            self.child_slug = slug(rng)
            self.subs["slug:" + cs["slug"]] = self.child_slug
            self.subs["title:" + cs["title"]] = cs["title"]
        for old, prefix, ms, cnt in turn.asc:
            self.idmap[old] = ids.asc(prefix, ms + delta, cnt)
        self.outs = out_values(rng, turn, fx, d)
        self.model = real_model(sid) if Clone.real_models else None

    def render(self, tpl):
        text = render(tpl, self.idmap, self.delta, self.subs, self.outs)
        if self.model:
            provider, model = self.model
            text = re.sub(r'("providerID":\s*)"fake"', lambda m: f'{m[1]}"{provider}"', text)
            text = re.sub(r'("modelID":\s*)"m1"', lambda m: f'{m[1]}"{model}"', text)
        return text


def totals(messages):
    cost, tok, agent, t_last = 0.0, [0] * 5, None, 0
    for m in messages:
        if m["role"] == "assistant":
            cost += m["cost"]
            tok = [a + b for a, b in zip(tok, m["tokens"])]
        elif m["agent"]:
            agent = m["agent"]
        t_last = max(t_last, m["tu"])
    return cost, tok, agent, t_last


# --------------------------------------------------------------------------------------
# SQLite store


def gen_sqlite(args, out: Path):
    t_start = time.time()
    rng = random.Random(args.seed)
    ids = Ids(rng)
    if out.exists():
        shutil.rmtree(out)
    data = out / "opencode"
    data.mkdir(parents=True)
    db = data / "opencode.db"
    with tempfile.TemporaryDirectory() as td:
        fx = load_sqlite_fixture(Path(td))
        shutil.copyfile(Path(td) / "fixture.db", db)
    log(f"fixture turns: " + ", ".join(f"{n} ({t.n_messages})" for n, t in fx.turns.items()))

    now = fx.tmax - DAY  # the fixture's newest time is the generated store's "now"
    t_hi = now - 3_600_000
    t_lo = t_hi - args.days * DAY
    projects = make_projects(rng, args.projects)
    plans = make_plans(rng, fx, args.sessions, args.messages, args.big_messages, projects, t_lo, t_hi)
    log(f"planned {len(plans)} top-level sessions, {sum(p.n_messages for p in plans)} messages")

    c = sqlite3.connect(db, isolation_level=None)
    c.execute("PRAGMA journal_mode=OFF")
    c.execute("PRAGMA synchronous=OFF")
    c.execute("PRAGMA cache_size=-262144")
    c.execute("BEGIN")
    for t in ("part", "message", "todo", "event", "event_sequence", "session", "project_directory", "project",
              "session_message", "session_input", "session_context_epoch", "session_share", "permission"):
        c.execute(f'DELETE FROM "{t}"')
    fx_git = fx.projects[fx.git_project]
    fx_global = fx.projects["global"]
    scol = [r[1] for r in c.execute("PRAGMA table_info(session)")]
    pcol = [r[1] for r in c.execute("PRAGMA table_info(project)")]
    sess_sql = f"INSERT INTO session ({','.join(scol)}) VALUES ({','.join('?' * len(scol))})"
    proj_sql = f"INSERT INTO project ({','.join(pcol)}) VALUES ({','.join('?' * len(pcol))})"

    rows = {"session": [], "message": [], "part": [], "event": [], "seq": [], "todo": []}
    st = {"sessions": 0, "top": 0, "children": 0, "messages": 0, "parts": 0, "events": 0, "todos": 0,
          "complete_top": 0, "kinds": {}, "archived": 0}
    proj_span = {}
    big_id = big_n = None

    def flush():
        c.executemany(sess_sql, rows["session"])
        c.executemany("INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES (?,?,?,?,?)", rows["message"])
        c.executemany("INSERT INTO part (id, message_id, session_id, time_created, time_updated, data) VALUES (?,?,?,?,?,?)", rows["part"])
        c.executemany("INSERT INTO event (id, aggregate_id, seq, type, data) VALUES (?,?,?,?,?)", rows["event"])
        c.executemany("INSERT INTO event_sequence (aggregate_id, seq, owner_id) VALUES (?,?,?)", rows["seq"])
        c.executemany("INSERT INTO todo (session_id, content, status, priority, position, time_created, time_updated) VALUES (?,?,?,?,?,?,?)", rows["todo"])
        for v in rows.values():
            v.clear()

    def session_row(src_row, sid, parent, proj, title, s_slug, t_created, t_updated, cost, tok, agent, archived):
        r = dict(src_row)
        r.update(id=sid, project_id=proj["id"], parent_id=parent, directory=proj["dir"], title=title, slug=s_slug,
                 path=proj["dir"].lstrip("/") if proj["global"] else "", cost=round(cost, 10),
                 tokens_input=tok[0], tokens_output=tok[1], tokens_reasoning=tok[2], tokens_cache_read=tok[3],
                 tokens_cache_write=tok[4], agent=agent, time_created=t_created, time_updated=t_updated,
                 time_archived=archived)
        return tuple(r[k] for k in scol)

    def emit(sid, cl: Clone, mlist, plist, elist, seq):
        """Append one turn's rows of session `sid`; returns the next event seq and the shifted messages."""
        d = cl.delta
        shifted = []
        for m in mlist:
            rows["message"].append((cl.idmap[m["old"]], sid, m["tc"] + d, m["tu"] + d, cl.render(m["tpl"])))
            shifted.append(dict(m, tu=m["tu"] + d))
        for p in plist:
            rows["part"].append((cl.idmap[p["old"]], cl.idmap[p["msg"]], sid, p["tc"] + d, p["tu"] + d, cl.render(p["tpl"])))
        if args.events:
            for e in elist:
                rows["event"].append((cl.idmap[e["old"]], sid, seq, e["type"], cl.render(e["tpl"])))
                seq += 1
            st["events"] += len(elist)
        st["messages"] += len(mlist)
        st["parts"] += len(plist)
        return seq, shifted

    for n_plan, plan in enumerate(plans):
        proj = plan.project
        hdr = fx.headers[plan.turns[0].name.split("#")[0]]
        sid = ids.desc(plan.start)
        s_slug, title = slug(rng), hdr["src"]["title"]
        seq = 0
        if args.events:  # session.created, shifted to the new creation time
            hcl = Clone(rng, ids, fx, Turn("header", hdr["id"]), 0, sid, proj, s_slug, title)
            hcl.delta = plan.start - hdr["src"]["created"]
            hcl.subs.update({"slug:" + hdr["src"]["slug"]: s_slug, "title:" + hdr["src"]["title"]: title})
            for e in hdr["events"]:
                mod, cnt = id_time(e["old"])
                hcl.idmap[e["old"]] = ids.asc("evt", full_ms(mod, hdr["src"]["created"]) + hcl.delta, cnt)
            seq, _ = emit(sid, hcl, [], [], hdr["events"], 0)
        t = plan.start + hdr["offset"]
        own = []
        todo_rows = None
        for turn, gap in zip(plan.turns, plan.gaps):
            cl = Clone(rng, ids, fx, turn, t, sid, proj, s_slug, title)
            seq, shifted = emit(sid, cl, turn.messages, turn.parts, turn.events, seq)
            own += shifted
            if turn.todos is not None:
                todo_rows = [(sid, r["content"], r["status"], r["priority"], r["position"],
                              r["time_created"] + cl.delta, r["time_updated"] + cl.delta) for r in turn.todos]
            if turn.child:
                ch = turn.child
                cseq, cmsgs = emit(cl.child_id, cl, ch["messages"], ch["parts"], ch["events"], 0)
                cc, ctk, cag, ctl = totals(cmsgs)
                cs = ch["src"]
                rows["session"].append(session_row(cs["row"], cl.child_id, sid, proj, cs["title"], cl.child_slug,
                                                   cs["created"] + cl.delta, max(ctl, cs["updated"] + cl.delta), cc, ctk,
                                                   cag or "general", None))
                if args.events and cseq:
                    rows["seq"].append((cl.child_id, cseq - 1, None))
                st["sessions"] += 1
                st["children"] += 1
            t = turn.t1 + cl.delta + gap
        cost, tok, agent, t_last = totals(own)
        t_last = max(t_last, t - plan.gaps[-1])
        archived = t_last + rng.randrange(60_000, 30 * DAY) if rng.random() < 0.02 and not plan.big else None
        if archived and archived > now:
            archived = None
        st["archived"] += bool(archived)
        rows["session"].append(session_row(hdr["src"]["row"], sid, None, proj, title, s_slug, plan.start, t_last,
                                           cost, tok, agent or "build", archived))
        if args.events and seq:
            rows["seq"].append((sid, seq - 1, None))
        if todo_rows:
            rows["todo"].extend(todo_rows)
            st["todos"] += len(todo_rows)
        st["sessions"] += 1
        st["top"] += 1
        st["kinds"][plan.kind] = st["kinds"].get(plan.kind, 0) + 1
        st["complete_top"] += plan.kind != "open"
        lo, hi = proj_span.get(proj["id"], (plan.start, t_last))
        proj_span[proj["id"]] = (min(lo, plan.start), max(hi, t_last))
        if plan.big:
            big_id, big_n = sid, len(own)
        if len(rows["message"]) + len(rows["part"]) > 50_000:
            flush()
            log(f"  {n_plan + 1}/{len(plans)} sessions, {st['messages']} messages, {time.time() - t_start:.0f} s")
    flush()

    for p in projects:
        lo, hi = proj_span.get(p["id"], (t_lo, t_lo))
        r = dict(fx_global if p["global"] else fx_git)
        r.update(id=p["id"], worktree="/" if p["global"] else p["dir"], time_created=lo - 60_000, time_updated=hi)
        c.execute(proj_sql, tuple(r[k] for k in pcol))
        if not p["global"]:
            for src in fx.project_dirs:
                d = dict(src)
                d.update(project_id=p["id"], directory=p["dir"], time_created=lo - 59_000)
                c.execute(f"INSERT INTO project_directory ({','.join(d)}) VALUES ({','.join('?' * len(d))})", tuple(d.values()))
    c.execute("COMMIT")
    c.execute("PRAGMA journal_mode=WAL")
    bad = c.execute("PRAGMA foreign_key_check").fetchall()
    if bad:
        raise SystemExit(f"foreign key violations: {bad[:5]}")
    counts = {t: c.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
              for t in ("session", "message", "part", "todo", "event", "event_sequence", "project", "project_directory")}
    msg_bytes = c.execute("SELECT sum(length(data)) FROM message").fetchone()[0]
    part_bytes = c.execute("SELECT sum(length(data)) FROM part").fetchone()[0]
    c.close()
    assert counts["message"] == st["messages"] and counts["session"] == st["sessions"], (counts, st)
    manifest = {
        "kind": "sqlite", "opencode": "1.18.33", "seed": args.seed, "dataDir": str(data), "db": str(db),
        "dbBytes": db.stat().st_size, "sessions": st["sessions"], "topLevelSessions": st["top"],
        "childSessions": st["children"], "completeTopLevel": st["complete_top"], "kinds": st["kinds"],
        "archived": st["archived"], "messages": st["messages"], "parts": st["parts"], "events": st["events"],
        "todos": st["todos"], "projects": len(projects), "messageDataBytes": msg_bytes, "partDataBytes": part_bytes,
        "bigSession": big_id, "bigSessionMessages": big_n, "tableCounts": counts,
        "seconds": round(time.time() - t_start, 1),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


# --------------------------------------------------------------------------------------
# JSON store (opencode 1.1.65)


def gen_json(args, out: Path):
    t_start = time.time()
    rng = random.Random(args.seed + 1)
    ids = Ids(rng)
    fx = load_json_fixture()
    log(f"fixture turns: " + ", ".join(f"{n} ({t.n_messages})" for n, t in fx.turns.items()))
    if out.exists():
        shutil.rmtree(out)
    data = out / "opencode"
    sto = data / "storage"
    for d in ("session", "message", "part", "todo", "session_diff", "project"):
        (sto / d).mkdir(parents=True)
    (sto / "migration").write_text("2")
    # JSON-era sessions (kept by an upgrade), ending before the 2026-08-14 id wrap
    t_hi = (fx.tmax // WRAP) * WRAP - 2 * DAY
    t_lo = t_hi - args.days * DAY
    projects = make_projects(rng, args.projects)
    plans = make_plans(rng, fx, args.json_sessions, args.json_messages, args.big_messages, projects, t_lo, t_hi)
    log(f"planned {len(plans)} top-level sessions, {sum(p.n_messages for p in plans)} messages")
    fx_git = fx.projects[fx.git_project]
    fx_global = fx.projects["global"]
    fw_src = next(s for sid, s in fx.sessions.items() if fx.scenario[sid] == "file-write")
    fw_diff = next(fx.diffs[sid] for sid in fx.sessions if fx.scenario[sid] == "file-write")
    fw_sum = fw_src["obj"].get("summary") or {}
    st = {"sessions": 0, "top": 0, "children": 0, "messages": 0, "parts": 0, "files": 0, "complete_top": 0, "kinds": {}}
    made = set()
    proj_span = {}
    big_id = big_n = None

    def write(path: Path, text: str):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        st["files"] += 1

    def session_file(src_obj, sid, parent, proj, title, s_slug, t_created, t_updated, summary):
        o = dict(src_obj)
        o.update(id=sid, slug=s_slug, projectID=proj["id"], directory=proj["dir"], title=title)
        if parent:
            o["parentID"] = parent
        o["time"] = dict(src_obj["time"], created=t_created, updated=t_updated)
        if summary is not None:
            o["summary"] = summary
        pdir = sto / "session" / proj["id"]
        if pdir not in made:
            pdir.mkdir(exist_ok=True)
            made.add(pdir)
        write(pdir / f"{sid}.json", json.dumps(o, ensure_ascii=False, indent=2))

    def emit(sid, cl: Clone, mlist, plist):
        mdir = sto / "message" / sid
        if mdir not in made:
            mdir.mkdir()
            made.add(mdir)
        shifted = []
        for m in mlist:
            write(mdir / f"{cl.idmap[m['old']]}.json", cl.render(m["tpl"]))
            shifted.append(dict(m, tu=m["tu"] + cl.delta))
        last = None
        for p in plist:
            if p["msg"] != last:
                pdir = sto / "part" / cl.idmap[p["msg"]]
                pdir.mkdir()
                last = p["msg"]
            write(pdir / f"{cl.idmap[p['old']]}.json", cl.render(p["tpl"]))
        st["messages"] += len(mlist)
        st["parts"] += len(plist)
        return shifted

    for n_plan, plan in enumerate(plans):
        proj = plan.project
        hdr = fx.headers[plan.turns[0].name.split("#")[0]]
        sid = ids.desc(plan.start)
        s_slug, title = slug(rng), hdr["src"]["title"]
        t = plan.start + hdr["offset"]
        own = []
        todo_text = None
        n_fw = 0
        for turn, gap in zip(plan.turns, plan.gaps):
            cl = Clone(rng, ids, fx, turn, t, sid, proj, s_slug, title)
            own += emit(sid, cl, turn.messages, turn.parts)
            if turn.todos is not None:
                todo_text = turn.todos
            n_fw += turn.file_write
            if turn.child:
                ch = turn.child
                cmsgs = emit(cl.child_id, cl, ch["messages"], ch["parts"])
                cs = ch["src"]
                ctl = max([m["tu"] for m in cmsgs] + [cs["updated"] + cl.delta])
                session_file(cs["obj"], cl.child_id, sid, proj, cs["title"], cl.child_slug, cs["created"] + cl.delta,
                             ctl, cs["obj"].get("summary"))
                write(sto / "session_diff" / f"{cl.child_id}.json", fx.diffs.get(ch["id"], "[]"))
                st["sessions"] += 1
                st["children"] += 1
            t = turn.t1 + cl.delta + gap
        t_last = max([m["tu"] for m in own] + [t - plan.gaps[-1]])
        summary = {"additions": fw_sum.get("additions", 0) * n_fw, "deletions": fw_sum.get("deletions", 0) * n_fw,
                   "files": fw_sum.get("files", 0) if n_fw else 0}
        session_file(hdr["src"]["obj"], sid, None, proj, title, s_slug, plan.start, t_last, summary)
        write(sto / "session_diff" / f"{sid}.json", fw_diff if n_fw else "[]")
        if todo_text is not None:
            write(sto / "todo" / f"{sid}.json", todo_text)
        st["sessions"] += 1
        st["top"] += 1
        st["kinds"][plan.kind] = st["kinds"].get(plan.kind, 0) + 1
        st["complete_top"] += plan.kind != "open"
        lo, hi = proj_span.get(proj["id"], (plan.start, t_last))
        proj_span[proj["id"]] = (min(lo, plan.start), max(hi, t_last))
        if plan.big:
            big_id, big_n = sid, len(own)
        if (n_plan + 1) % 250 == 0:
            log(f"  {n_plan + 1}/{len(plans)} sessions, {st['messages']} messages, {st['files']} files, {time.time() - t_start:.0f} s")
    for p in projects:
        lo, hi = proj_span.get(p["id"], (t_lo, t_lo))
        src = fx_global if p["global"] else fx_git
        o = dict(src)
        o.update(id=p["id"], worktree="/" if p["global"] else p["dir"])
        o["time"] = dict(src["time"], created=lo - 60_000, updated=hi)
        write(sto / "project" / f"{p['id']}.json", json.dumps(o, ensure_ascii=False, indent=2))
    size = 0
    for root, _, files in os.walk(sto):
        for f in files:
            size += os.stat(os.path.join(root, f)).st_size
    manifest = {
        "kind": "json", "opencode": "1.1.65", "seed": args.seed, "dataDir": str(data),
        "sessions": st["sessions"], "topLevelSessions": st["top"], "childSessions": st["children"],
        "completeTopLevel": st["complete_top"], "kinds": st["kinds"], "messages": st["messages"],
        "parts": st["parts"], "files": st["files"], "bytes": size, "projects": len(projects),
        "bigSession": big_id, "bigSessionMessages": big_n, "seconds": round(time.time() - t_start, 1),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("store", choices=["sqlite", "json", "both"])
    ap.add_argument("out", nargs="?", help="output dir (gets opencode/ and manifest.json); not with 'both'")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sessions", type=int, default=2000, help="top-level sessions of the SQLite store (at least)")
    ap.add_argument("--messages", type=int, default=200_000, help="messages of the SQLite store (at least)")
    ap.add_argument("--json-sessions", type=int, default=2000)
    ap.add_argument("--json-messages", type=int, default=200_000)
    ap.add_argument("--big-messages", type=int, default=1200, help="messages of the one big session")
    ap.add_argument("--projects", type=int, default=8, help="git projects (plus 'global')")
    ap.add_argument("--days", type=int, default=180, help="time span of the sessions")
    ap.add_argument("--no-events", dest="events", action="store_false", help="leave 1.18's event log empty")
    ap.add_argument("--real-models", action="store_true",
                    help="record real provider/model ids (one per session) instead of the fixtures' fake/m1")
    args = ap.parse_args()
    Clone.real_models = args.real_models
    if args.store == "both" and args.out:
        ap.error("OUT only with a single store")
    results = []
    if args.store in ("sqlite", "both"):
        out = Path(args.out or REPO / "target" / "bench" / "store-sqlite").resolve()
        m = gen_sqlite(args, out)
        results.append(m)
        print(f"SQLite store {m['dataDir']} ({m['seconds']} s)")
        print(f"  sessions {m['sessions']} ({m['topLevelSessions']} top-level, {m['childSessions']} subagent children; "
              f"{m['completeTopLevel']} complete top-level: {m['kinds']}; {m['archived']} archived)")
        print(f"  messages {m['messages']}, parts {m['parts']}, events {m['events']}, todos {m['todos']}, projects {m['projects']}")
        print(f"  opencode.db {human(m['dbBytes'])} (message data {human(m['messageDataBytes'])}, part data {human(m['partDataBytes'])})")
        print(f"  big session {m['bigSession']} ({m['bigSessionMessages']} messages)")
    if args.store in ("json", "both"):
        out = Path(args.out or REPO / "target" / "bench" / "store-json").resolve()
        m = gen_json(args, out)
        results.append(m)
        print(f"JSON store {m['dataDir']} ({m['seconds']} s)")
        print(f"  sessions {m['sessions']} ({m['topLevelSessions']} top-level, {m['childSessions']} subagent children; "
              f"{m['completeTopLevel']} complete top-level: {m['kinds']})")
        print(f"  messages {m['messages']}, parts {m['parts']}, {m['files']} files, {human(m['bytes'])}")
        print(f"  big session {m['bigSession']} ({m['bigSessionMessages']} messages)")


if __name__ == "__main__":
    main()
