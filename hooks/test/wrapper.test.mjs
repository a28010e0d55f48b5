// hooks/opencode-export-on-exit with stand-ins for opencode and session-export: arguments pass
// through untouched, opencode's exit status is kept, the exporter runs afterwards and can
// neither fail the wrapper nor be missing without a note.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const WRAPPER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "opencode-export-on-exit");
let root;
let calls;

function script(dir, name, body) {
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return p;
}

// a stand-in opencode that records its arguments one per line and exits with $FAKE_STATUS
const fakeOpencode = (dir) => script(dir, "opencode", `for a in "$@"; do printf 'opencode arg: %s\\n' "$a" >> '${calls}'; done\nexit "\${FAKE_STATUS:-0}"`);
const fakeExporter = (dir, status = 0) => script(dir, "session-export", `echo "session-export $*" >> '${calls}'\nexit ${status}`);

function wrap(args, { dirs, env = {}, cmd = WRAPPER } = {}) {
  fs.rmSync(calls, { force: true });
  const r = spawnSync("/bin/sh", [cmd, ...args], {
    encoding: "utf8",
    env: { PATH: [...dirs, "/usr/bin", "/bin"].join(":"), HOME: root, ...env },
  });
  const got = fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : [];
  return { status: r.status, stderr: r.stderr, calls: got };
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "session-export-wrapper-"));
  calls = path.join(root, "calls");
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test("runs opencode with the arguments untouched, then exports, and keeps opencode's status", () => {
  const oc = path.join(root, "oc");
  const ex = path.join(root, "ex");
  fakeOpencode(oc);
  fakeExporter(ex);
  const r = wrap(["run", "two words", "", "--model", "a'b\"c$HOME"], { dirs: [oc, ex], env: { FAKE_STATUS: "3" } });
  assert.equal(r.status, 3, r.stderr);
  assert.deepEqual(r.calls, [
    "opencode arg: run",
    "opencode arg: two words",
    "opencode arg: ",
    "opencode arg: --model",
    "opencode arg: a'b\"c$HOME",
    "session-export export --all-complete -q",
  ]);
});

test("a failing or missing exporter does not change the exit status", () => {
  const oc = path.join(root, "oc");
  fakeOpencode(oc);
  const failing = path.join(root, "failing");
  fakeExporter(failing, 5);
  let r = wrap(["--version"], { dirs: [oc, failing] });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.calls.at(-1), "session-export export --all-complete -q");

  r = wrap(["--version"], { dirs: [oc], env: { FAKE_STATUS: "0" } });
  assert.equal(r.status, 0);
  assert.match(r.stderr, /session-export not found; nothing exported/);

  r = wrap(["--version"], { dirs: [oc, failing], env: { SESSION_EXPORT_BIN: path.join(root, "nowhere") } });
  assert.equal(r.status, 0);
  assert.match(r.stderr, /nowhere not found; nothing exported/);
});

test("installed as `opencode` ahead of the real one, it runs the real one", () => {
  const front = path.join(root, "front");
  fs.mkdirSync(front, { recursive: true });
  fs.copyFileSync(WRAPPER, path.join(front, "opencode"));
  fs.chmodSync(path.join(front, "opencode"), 0o755);
  const oc = path.join(root, "oc");
  const ex = path.join(root, "ex");
  fakeOpencode(oc);
  fakeExporter(ex);
  const r = wrap(["hello"], { dirs: [front, oc, ex], cmd: path.join(front, "opencode") });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.calls, ["opencode arg: hello", "session-export export --all-complete -q"]);
});

test("no opencode at all: exit 127 with a message", () => {
  const r = wrap(["x"], { dirs: [path.join(root, "empty")] });
  assert.equal(r.status, 127);
  assert.match(r.stderr, /opencode not found on PATH/);
});
