// End to end: real opencode (opencode-linux-x64, pinned in ../package.json) with the plugin
// installed, driven by the scripted model server of fixtures/ (fake-llm.mjs, and the run/env
// helpers of scenarios.mjs), exporting with the built exporter into the local SQLite sink.
//
//   cargo build && cd hooks && npm ci && npm test
//
// Every opencode run gets its own HOME and XDG dirs (so its own store, sink, ledger and plugin
// log); all network is 127.0.0.1 except opencode's own `npm install` of @opencode-ai/plugin
// into the first run's config dir (it does that for any config dir with a plugin), which the
// later runs get a copy of. Every wait is bounded. HOOKS_TEST_KEEP=1 keeps the scratch dir.
//
// The sink is read with the sqlite3 shell (.ci/run installs it; the README's examples use it),
// else python3's sqlite3 module: both read a WAL-mode database correctly, which a wasm SQLite
// reading the main file would not (the exporter leaves sessions.db-wal behind), and node 20
// has no node:sqlite.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SCENARIOS, envFor, makeProjectDirs, run, sessionIdsIn, startFakeLlm } from "../../fixtures/scenarios.mjs";

const HOOKS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const REPO = path.resolve(HOOKS, "..");
const EXPORTER = path.join(REPO, "target", "debug", "session-export");
const OPENCODE = path.join(HOOKS, "node_modules", "opencode-linux-x64", "bin", "opencode");
const PLUGIN = path.join(HOOKS, "session-export.js");
const VERSION = "1.18.33";
const RUN_TIMEOUT = 90; // seconds per `opencode run`
const WAIT_MS = 20_000; // for the plugin's exporter: 2 s settle delay + the export
const EXPORTER_NAME = "session-export";

let root; // scratch dir
let port; // fake-llm
let llm;
let binDir; // holds a `session-export` symlink to the built exporter
let basePath; // $PATH without any session-export on it
let configSeed = null; // config dir of a finished run: its node_modules spare the next ones a bun install

// ---------------------------------------------------------------------------------------------
// helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function poll(what, fn, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await sleep(100);
  }
}

function which(cmd, dirs = (process.env.PATH ?? "").split(path.delimiter)) {
  for (const d of dirs) {
    if (!d) continue;
    try {
      fs.accessSync(path.join(d, cmd), fs.constants.X_OK);
      return path.join(d, cmd);
    } catch {}
  }
  return null;
}

const SQLITE3 = which("sqlite3");
const PYTHON3 = which("python3");
const PY_QUERY = `import json, sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=5)
c.row_factory = sqlite3.Row
print(json.dumps([dict(r) for r in c.execute(sys.argv[2])]))`;

// rows of the local sink of one run ([] while it does not exist)
function sinkRows(env) {
  const db = path.join(env.XDG_DATA_HOME, "session-export", "sessions.db");
  if (!fs.existsSync(db)) return [];
  const sql = "select session_id, parent_session_id, exported_at, todos_total, todos_pending, error_count, document from sessions";
  const r = SQLITE3
    ? spawnSync(SQLITE3, ["-readonly", "-json", "-cmd", ".timeout 5000", db, sql], { encoding: "utf8" })
    : spawnSync(PYTHON3, ["-c", PY_QUERY, db, sql], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`reading ${db}: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout.trim() || "[]").map((row) => ({ ...row, document: JSON.parse(row.document) }));
}

const sinkRow = (env, id) => sinkRows(env).find((r) => r.session_id === id);

function exporter(env, args) {
  const r = spawnSync(EXPORTER, args, { env, encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new Error(`session-export ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

// `session-export list --json`: how the exporter sees opencode's store (and its ledger)
const listed = (env) => exporter(env, ["list", "--json"]).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));

const pluginLogFile = (env) => path.join(env.XDG_STATE_HOME, "session-export", "plugin.log");
const pluginLog = (env) => (fs.existsSync(pluginLogFile(env)) ? fs.readFileSync(pluginLogFile(env), "utf8") : "");

// Wait until the plugin logged the end of the exporter it started for this event and session.
// (The plugin writes one line per event, when the exporter is done.)
function exitLine(env, event, id) {
  return poll(`the plugin's "${event} ${id} exit" log line`, () =>
    pluginLog(env).split("\n").find((l) => l.includes(` ${event} ${id} exit `)));
}

// One opencode session: its own HOME/XDG dirs and project repo, the plugin installed in
// $XDG_CONFIG_HOME/opencode/plugin/, every turn of the scenario run with `opencode run`.
// exporter: "path" (the built binary reachable as `session-export` on PATH), "missing" (not on
// PATH, SESSION_EXPORT_BIN unset), or { bin } (SESSION_EXPORT_BIN=bin).
async function opencodeSession(name, scenario, { exporter: how = "path", prompt } = {}) {
  const work = path.join(root, name);
  const { repo } = makeProjectDirs(work);
  const env = envFor(work, VERSION, port);
  const cfg = path.join(env.XDG_CONFIG_HOME, "opencode");
  if (configSeed) {
    for (const f of fs.readdirSync(configSeed)) {
      if (f === "opencode.json" || f === "plugin") continue;
      await fs.promises.cp(path.join(configSeed, f), path.join(cfg, f), { recursive: true, verbatimSymlinks: true });
    }
  }
  fs.mkdirSync(path.join(cfg, "plugin"), { recursive: true });
  fs.copyFileSync(PLUGIN, path.join(cfg, "plugin", "session-export.js"));
  env.PATH = how === "path" ? [binDir, basePath].join(path.delimiter) : basePath;
  if (how.bin) env.SESSION_EXPORT_BIN = how.bin;

  const turns = SCENARIOS[scenario]?.turns ?? [{ prompt: prompt ?? `Go. [scn:${scenario}]` }];
  const results = [];
  for (const [i, turn] of turns.entries()) {
    const args = ["run", "--format", "json"];
    if (i > 0) args.push("--continue");
    if (turn.agent) args.push("--agent", turn.agent);
    args.push(turn.prompt);
    const t0 = Date.now();
    const r = await run(OPENCODE, args, { cwd: repo, env, timeout: RUN_TIMEOUT });
    results.push({ ...r, ms: Date.now() - t0 });
    fs.appendFileSync(path.join(work, "runs.log"), `### opencode ${args.join(" ")}\n# started ${new Date(t0).toISOString()}, exit ${r.code} in ${Date.now() - t0} ms\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n`);
    if (r.code === 124 || r.code === 137) throw new Error(`${name}: opencode run timed out (see ${work}/runs.log)`);
  }
  const ids = [...new Set(results.flatMap((r) => sessionIdsIn(r.stdout)))];
  assert.equal(ids.length, 1, `${name}: expected one session id in opencode's output, got [${ids}] (see ${work}/runs.log)`);
  const last = results.at(-1);
  return { id: ids[0], env, work, code: last.code, ms: last.ms, stderr: last.stderr, cfg };
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  assert.ok(fs.existsSync(EXPORTER), `the exporter is not built: ${EXPORTER} is missing. Run \`cargo build\` (or \`cargo test\`) in ${REPO} first.`);
  assert.ok(fs.existsSync(OPENCODE), `opencode ${VERSION} is not installed: run \`npm ci\` in ${HOOKS} (linux x64 only).`);
  assert.ok(SQLITE3 || PYTHON3, "reading the SQLite sink needs the sqlite3 shell or python3 on PATH");
  assert.ok(which("timeout"), "coreutils `timeout` is needed on PATH");
  assert.ok(which("git"), "git is needed on PATH");

  root = fs.mkdtempSync(path.join(os.tmpdir(), "session-export-hooks-"));
  binDir = path.join(root, "bin");
  fs.mkdirSync(binDir);
  fs.symlinkSync(EXPORTER, path.join(binDir, EXPORTER_NAME));
  // a developer may have session-export installed (~/.cargo/bin): keep it out of reach
  basePath = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d && !which(EXPORTER_NAME, [d])).join(path.delimiter);

  process.env.FIXTURE_LLM_PORT = "0"; // any free port
  ({ child: llm, port } = await startFakeLlm(path.join(root, "fake-llm.log")));
  console.log(`# scratch dir ${root}; fake-llm on 127.0.0.1:${port}`);
});

after(async () => {
  llm?.kill();
  if (root && process.env.HOOKS_TEST_KEEP !== "1") fs.rmSync(root, { recursive: true, force: true });
});

describe(`opencode ${VERSION} with the plugin`, { timeout: 240_000 }, () => {
  let done; // the todos-done session, exported

  test("a) a session whose todos are all done lands in the local sink within seconds", async (t) => {
    const s = await opencodeSession("a-todos-done", "todos-done");
    assert.equal(s.code, 0, `opencode run exited ${s.code}: ${s.stderr}`);
    const t0 = Date.now();
    const row = await poll("the document in the sink", () => sinkRow(s.env, s.id));
    t.diagnostic(`opencode run ${s.ms} ms; document in the sink ${Date.now() - t0} ms after opencode exited`);
    assert.equal(row.document.sessionId, s.id);
    assert.equal(row.parent_session_id, null);
    assert.deepEqual(row.document.todoStats, { total: 3, completed: 3, cancelled: 0, pending: 0 });
    assert.equal(row.todos_total, 3);
    assert.equal(row.todos_pending, 0);
    assert.match(await exitLine(s.env, "session.idle", s.id), / exit 0 \(.*session-export\)$/);
    const state = listed(s.env).find((x) => x.sessionId === s.id)?.state;
    t.diagnostic(`after the plugin's export the exporter lists the session as "${state}"`);
    assert.equal(state, "exported", "the plugin exported a state older than the session's final one");
    configSeed = s.cfg;
    done = s;
  });

  test("e) an idle event for an unchanged, exported session is cheap and sends nothing", (t) => {
    assert.ok(done, "needs test a");
    const before = sinkRow(done.env, done.id);
    const ledger = path.join(done.env.XDG_STATE_HOME, "session-export", "ledger.json");
    const ledgerBefore = fs.readFileSync(ledger, "utf8");
    const ms = [];
    for (let i = 0; i < 7; i++) {
      const t0 = process.hrtime.bigint();
      exporter(done.env, ["export", "--if-complete", "-q", done.id]);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const sorted = [...ms].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    t.diagnostic(`session-export export --if-complete -q <exported id>: median ${median.toFixed(1)} ms, min ${sorted[0].toFixed(1)}, max ${sorted.at(-1).toFixed(1)} (${ms.length} runs)`);
    assert.ok(median < 500, `median ${median} ms`);
    assert.equal(sinkRow(done.env, done.id).exported_at, before.exported_at, "the document was sent again");
    assert.equal(fs.readFileSync(ledger, "utf8"), ledgerBefore, "the ledger changed");
    // for scale: the same session sent for real
    const t0 = process.hrtime.bigint();
    exporter(done.env, ["export", "--force", "-q", done.id]);
    t.diagnostic(`for scale, export --force -q <id> (builds and upserts the document): ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`);
  });

  describe("two at a time", { concurrency: 2 }, () => {
    test("b) a session left with open todos is not exported", async () => {
      const s = await opencodeSession("b-todos-open", "todos-open");
      assert.equal(s.code, 0, `opencode run exited ${s.code}: ${s.stderr}`);
      await exitLine(s.env, "session.idle", s.id); // the exporter ran and decided
      assert.equal(sinkRow(s.env, s.id), undefined);
      assert.equal(listed(s.env).find((x) => x.sessionId === s.id)?.state, "open-todos");
    });

    test("c) a subagent session is not exported on its own; its parent's document counts it", async (t) => {
      const s = await opencodeSession("c-subagent", "subagent");
      assert.equal(s.code, 0, `opencode run exited ${s.code}: ${s.stderr}`);
      const child = listed(s.env).find((x) => x.parentSessionId === s.id);
      assert.ok(child, "no child session in the store");
      assert.equal(child.state, "subagent");
      const row = await poll("the parent's document in the sink", () => sinkRow(s.env, s.id));
      assert.equal(row.document.subagents?.sessionCount, 1, JSON.stringify(row.document.subagents));
      await exitLine(s.env, "session.idle", s.id);
      // opencode 1.18.33 also publishes session.idle for the subagent session
      const childIdle = pluginLog(s.env).includes(` session.idle ${child.sessionId} `);
      t.diagnostic(`session.idle fired for the subagent session: ${childIdle}`);
      if (childIdle) await exitLine(s.env, "session.idle", child.sessionId);
      assert.equal(sinkRow(s.env, child.sessionId), undefined, "the subagent session was exported on its own");
      assert.equal(sinkRows(s.env).length, 1);
    });

    test("d) without the exporter opencode works normally and the plugin logs it missing", async () => {
      const s = await opencodeSession("d-missing", "todos-done", { exporter: "missing" });
      assert.equal(s.code, 0, `opencode run exited ${s.code}: ${s.stderr}`);
      const stored = listed(s.env).find((x) => x.sessionId === s.id);
      assert.ok(stored, "the session is not in opencode's store");
      assert.deepEqual(stored.todoStats, { total: 3, completed: 3, cancelled: 0, pending: 0 });
      assert.match(pluginLog(s.env), new RegExp(`session\\.idle ${s.id} skipped: session-export binary not found \\(session-export\\)`));
      assert.ok(!fs.existsSync(path.join(s.env.XDG_DATA_HOME, "session-export")), "something was exported");
    });

    test("session.error exports the final state even with open todos (--abandoned-after 0s)", async () => {
      // fake-llm script todos-error: todowrite (2 open), then the provider answers HTTP 400
      const s = await opencodeSession("f-error", "todos-error", { prompt: "Start the migration. [scn:todos-error]" });
      assert.equal(s.code, 1, `opencode run exits 1 when the provider fails: ${s.stderr}`);
      await exitLine(s.env, "session.error", s.id);
      const row = await poll("the document in the sink", () => sinkRow(s.env, s.id));
      assert.equal(row.todos_pending, 2);
      assert.equal(row.error_count, 1, "the document misses the error: exported before opencode stored it");
    });

    test("a slow exporter holds up neither opencode nor itself dies with it", async () => {
      const marks = path.join(root, "g-slow-marks");
      const slow = path.join(root, "slow-session-export");
      fs.writeFileSync(slow, `#!/bin/sh\necho "$*" > '${marks}.started'\nsleep 6\necho done > '${marks}.done'\n`, { mode: 0o755 });
      const s = await opencodeSession("g-slow", "no-todos", { exporter: { bin: slow } });
      assert.equal(s.code, 0, `opencode run exited ${s.code}: ${s.stderr}`);
      assert.ok(!fs.existsSync(`${marks}.done`), "opencode waited for the exporter");
      await poll("the slow exporter to finish after opencode exited", () => fs.existsSync(`${marks}.done`));
      assert.equal(fs.readFileSync(`${marks}.started`, "utf8").trim(), `export --if-complete -q -- ${s.id}`);
      assert.match(await exitLine(s.env, "session.idle", s.id), / exit 0 \(.*slow-session-export\)$/);
    });
  });
});
