// The plugin on its own, under node (no opencode): which command each event starts, that the
// handler returns at once, the log, and a missing binary. A fake `session-export` records its
// arguments. The e2e test runs the same file inside real opencode.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PLUGIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "session-export.js");

let root;
let record; // one line per run of the fake exporter: its arguments
let hooks;
const saved = { ...process.env };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function poll(what, fn, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}
const lines = (f) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n").filter(Boolean) : []);
const logFile = () => path.join(root, "state", "session-export", "plugin.log");

function fakeExporter(dir, { exit = 0, sleepSeconds = 0 } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, "session-export");
  fs.writeFileSync(bin, `#!/bin/sh\nsleep ${sleepSeconds}\necho "$*" >> '${record}'\necho "fake exporter warning for $*" >&2\nexit ${exit}\n`, { mode: 0o755 });
  return bin;
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "session-export-plugin-"));
  record = path.join(root, "calls");
  process.env.XDG_STATE_HOME = path.join(root, "state");
  delete process.env.SESSION_EXPORT_BIN;
  const { SessionExportPlugin, ...rest } = await import(PLUGIN);
  assert.deepEqual(Object.keys(rest), [], "opencode calls every export of a plugin file: export only the plugin");
  hooks = await SessionExportPlugin({ project: {}, client: {}, $: null, directory: root, worktree: root });
});

after(() => {
  process.env = saved;
  fs.rmSync(root, { recursive: true, force: true });
});

test("session.idle and session.error start the exporter detached and return at once", async () => {
  process.env.SESSION_EXPORT_BIN = fakeExporter(path.join(root, "slow"), { sleepSeconds: 1 });
  fs.rmSync(record, { force: true });
  const t0 = Date.now();
  await hooks.event({ event: { type: "session.updated", properties: { sessionID: "ses_other", info: {} } } });
  await hooks.event({ event: { type: "todo.updated", properties: { sessionID: "ses_other", todos: [] } } });
  await hooks.event({ event: { type: "session.idle", properties: {} } });
  await hooks.event({ event: { type: "session.error", properties: { error: { name: "UnknownError" } } } });
  await hooks.event({ event: undefined });
  await hooks.event(undefined);
  await hooks.event({ event: { type: "session.idle", properties: { sessionID: "ses_idle1" } } });
  await hooks.event({ event: { type: "session.error", properties: { sessionID: "ses_err1", error: {} } } });
  const took = Date.now() - t0;
  assert.ok(took < 500, `the handler took ${took} ms`);
  await poll("two exporter runs", () => lines(record).length >= 2);
  await sleep(300); // nothing else comes
  assert.deepEqual(lines(record).sort(), ["export --if-complete --abandoned-after 0s -q -- ses_err1", "export --if-complete -q -- ses_idle1"]);
});

test("one log line per event with the exit status, after the exporter's own output", async () => {
  process.env.SESSION_EXPORT_BIN = fakeExporter(path.join(root, "failing"), { exit: 5 });
  fs.rmSync(logFile(), { force: true });
  await hooks.event({ event: { type: "session.idle", properties: { sessionID: "ses_fail1" } } });
  const line = await poll("the exit line", () => lines(logFile()).find((l) => l.includes(" exit ")));
  assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ session\.idle ses_fail1 exit 5 \(.*\/failing\/session-export\)$/);
  assert.deepEqual(lines(logFile()), ["fake exporter warning for export --if-complete -q -- ses_fail1", line]);
});

test("a session id that looks like an option is passed after --, never as an option", async () => {
  process.env.SESSION_EXPORT_BIN = fakeExporter(path.join(root, "dashes"));
  fs.rmSync(record, { force: true });
  await hooks.event({ event: { type: "session.idle", properties: { sessionID: "--force" } } });
  await poll("the exporter run", () => lines(record).length === 1);
  assert.deepEqual(lines(record), ["export --if-complete -q -- --force"]);
});

test("without SESSION_EXPORT_BIN the exporter is looked up on PATH", async () => {
  const dir = path.join(root, "onpath");
  fakeExporter(dir);
  delete process.env.SESSION_EXPORT_BIN;
  process.env.PATH = [dir, saved.PATH].join(path.delimiter);
  fs.rmSync(record, { force: true });
  await hooks.event({ event: { type: "session.idle", properties: { sessionID: "ses_path1" } } });
  await poll("the exporter run", () => lines(record).length === 1);
  assert.deepEqual(lines(record), ["export --if-complete -q -- ses_path1"]);
  process.env.PATH = saved.PATH;
});

test("a missing exporter is one log line and nothing else", async () => {
  fs.rmSync(logFile(), { force: true });
  process.env.SESSION_EXPORT_BIN = path.join(root, "nowhere", "session-export");
  await hooks.event({ event: { type: "session.idle", properties: { sessionID: "ses_missing1" } } });
  delete process.env.SESSION_EXPORT_BIN;
  process.env.PATH = path.join(root, "empty-path");
  await hooks.event({ event: { type: "session.error", properties: { sessionID: "ses_missing2" } } });
  process.env.PATH = saved.PATH;
  const got = lines(logFile());
  assert.equal(got.length, 2, got.join("\n"));
  assert.match(got[0], new RegExp(`Z session\\.idle ses_missing1 skipped: session-export binary not found \\(${root}/nowhere/session-export\\)`));
  assert.match(got[1], /Z session\.error ses_missing2 skipped: session-export binary not found \(session-export\)/);
});

test("the log is rotated past 1 MiB", async () => {
  fs.mkdirSync(path.dirname(logFile()), { recursive: true });
  fs.writeFileSync(logFile(), "x".repeat((1 << 20) + 1));
  process.env.SESSION_EXPORT_BIN = path.join(root, "nowhere", "session-export");
  await hooks.event({ event: { type: "session.idle", properties: { sessionID: "ses_rot1" } } });
  assert.equal(fs.statSync(logFile() + ".1").size, (1 << 20) + 1);
  assert.equal(lines(logFile()).length, 1);
});
