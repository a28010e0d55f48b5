// session-export opencode plugin: export a session when it goes idle.
//
// Install: copy this file to ~/.config/opencode/plugin/ (opencode loads every *.js / *.ts
// in plugin/ or plugins/ of its config dir, or .opencode/plugin/ of a project).
//
//   session.idle  {sessionID}  -> session-export export --if-complete -q -- <id>
//   session.error {sessionID}  -> session-export export --if-complete --abandoned-after 0s -q -- <id>
//
// (`--` ends the options: whatever the id holds, even `--force`, is taken as a session id.)
//
// The exporter decides what to send (top-level sessions without open todos that changed since
// the last export; subagent sessions travel inside their parent) and where (Convex, or a local
// SQLite file). This plugin only starts it, detached and never awaited, so opencode neither
// waits for it nor fails because of it, and it finishes even when opencode exits first.
//
// Binary: $SESSION_EXPORT_BIN, else `session-export` on PATH.
// Log: $XDG_STATE_HOME/session-export/plugin.log (else ~/.local/state/session-export/), rotated
// to plugin.log.1 past 1 MiB. One line per event: "<time> <event> <session> exit <status>
// (<binary>)" when the exporter ends (after any warnings or errors it printed), or
// "<time> <event> <session> skipped: ..." when it could not be started (binary missing).
//
// Plain ESM, no dependencies, node: builtins only (runs under opencode's Bun). opencode calls
// every export of a plugin file as a plugin, so this file exports exactly one function.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const LOG_MAX_BYTES = 1 << 20; // then plugin.log -> plugin.log.1

function stateDir() {
  const xdg = process.env.XDG_STATE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".local", "state");
  return path.join(base, "session-export");
}

function logPath() {
  return path.join(stateDir(), "plugin.log");
}

function prepareLog() {
  const file = logPath();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    if (fs.statSync(file).size > LOG_MAX_BYTES) fs.renameSync(file, file + ".1");
  } catch {}
  return file;
}

function log(line) {
  try {
    fs.appendFileSync(prepareLog(), `${new Date().toISOString().replace(/\.\d+Z$/, "Z")} ${line}\n`);
  } catch {}
}

// The executable to run, or null when there is none (checked up front so a missing binary is
// reported at once and deterministically; the spawn 'error' handler below stays as a backstop).
function resolveBinary(name) {
  const isFile = (p) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (process.platform === "win32") return name; // PATHEXT lookup: let spawn decide
  if (name.includes("/")) return isFile(name) ? name : null;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (isFile(p)) return p;
  }
  return null;
}

// opencode 1.18 publishes session.idle and session.error a little before it has written the
// turn's final state: the session row is touched again ~5 ms after session.idle, and the error
// of a failed step lands on its message ~50 ms after session.error. Exporting at once would
// send a document that is already out of date: the next run would send it again, but a failed
// session with open todos only gets one when cron's --abandoned-after has passed. So the
// exporter starts this much later.
const SETTLE_SECONDS = 2;

// POSIX: a detached /bin/sh waits, runs the exporter, then appends the event's log line with
// the exit status, so the line is written even when opencode has exited meanwhile (`opencode
// run` exits right after the last session.idle).
const WRAPPER = `tag=$1; shift; sleep ${SETTLE_SECONDS}; "$@"; rc=$?; printf '%s %s exit %s (%s)\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$tag" "$rc" "$1" >&2; exit $rc`;

function startExport(eventType, sessionID, extraArgs) {
  const name = process.env.SESSION_EXPORT_BIN || "session-export";
  const args = ["export", "--if-complete", ...extraArgs, "-q", "--", sessionID];
  const tag = `${eventType} ${sessionID}`;
  const bin = resolveBinary(name);
  if (!bin) {
    log(`${tag} skipped: session-export binary not found (${name}); set SESSION_EXPORT_BIN or put it on PATH`);
    return;
  }
  let fd;
  try {
    try {
      fd = fs.openSync(prepareLog(), "a");
    } catch {} // no log then, but still the export
    const out = fd ?? "ignore";
    const posix = process.platform !== "win32";
    const [cmd, argv] = posix ? ["/bin/sh", ["-c", WRAPPER, "sh", tag, bin, ...args]] : [bin, args];
    const child = spawn(cmd, argv, { detached: true, stdio: ["ignore", out, out], windowsHide: true });
    child.on("error", (e) => log(`${tag} skipped: cannot run ${cmd}: ${e.message}`));
    // Windows has no /bin/sh: no delay, and the status is logged here, if opencode still runs
    // when the child ends (the listener does not keep opencode alive: the child is unref'd).
    if (!posix) child.on("exit", (code, signal) => log(`${tag} exit ${code ?? signal} (${bin})`));
    child.unref();
  } catch (e) {
    log(`${tag} skipped: cannot run ${bin}: ${e?.message ?? e}`);
  } finally {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {}
    }
  }
}

export const SessionExportPlugin = async () => ({
  event: async (input) => {
    try {
      const event = input?.event;
      const sessionID = event?.properties?.sessionID;
      if (typeof sessionID !== "string" || !sessionID) return;
      if (event.type === "session.idle") startExport(event.type, sessionID, []);
      else if (event.type === "session.error") startExport(event.type, sessionID, ["--abandoned-after", "0s"]);
    } catch (e) {
      log(`plugin error: ${e?.stack ?? e}`);
    }
  },
});
