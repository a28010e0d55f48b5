/**
 * End to end: the session-export binary (built by `cargo test` / `cargo build`)
 * talks HTTP on 127.0.0.1 to the façade, which runs the real mutation code of
 * ../convex. For every fixture store written by real opencode:
 * - contract: every document the binary produces (with every optional field
 *   switched on) is accepted by the real validators and round-trips field for field;
 * - `export --all-complete` leaves exactly the eligible sessions in the backend, in
 *   about N/batch calls, and a second export changes nothing.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ConvexHttp, runCommand, startConvexHttp } from "./convex-http";

const root = resolve(__dirname, "../..");
const bin = join(root, "target/debug/session-export");
const fixtures = join(root, "tests/fixtures");
const stores = readdirSync(fixtures).filter((d) => existsSync(join(fixtures, d, "manifest.json")));

let convex: ConvexHttp;
let scratch: string;

beforeAll(async () => {
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: run \`cargo build\` (or \`cargo test\`) first`);
  }
  convex = await startConvexHttp();
  scratch = mkdtempSync(join(tmpdir(), "session-export-e2e-"));
}, 60_000);

afterAll(async () => {
  await convex?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/**
 * Run the binary on a private copy of a fixture store, isolated from the user's dirs;
 * `home` names the scratch HOME (and so the ledger) the run uses.
 */
async function sessionExport(store: string, home: string, args: string[]) {
  home = join(scratch, `${store}-${home}`);
  const data = join(home, "data");
  if (!existsSync(data)) cpSync(join(fixtures, store, "data"), data, { recursive: true });
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_STATE_HOME: join(home, "state"),
    XDG_DATA_HOME: join(home, "xdg-data"),
    ...convex.env(),
  };
  return runCommand(bin, ["--data-dir", data, ...args], { env, timeoutMs: 60_000 });
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));
}

/** A stored row without Convex's system fields. */
function strip(doc: Record<string, unknown>) {
  const { _id, _creationTime, ...rest } = doc;
  return rest;
}

async function clear() {
  await convex.reset();
  convex.log.length = 0;
}

describe.each(stores)("fixture store %s", (store) => {
  test("every document is accepted by the real validators and round-trips", async () => {
    await clear();
    const all = [
      "--all-complete",
      "--include-subagents",
      "--abandoned-after",
      "0s",
      "--include-messages",
      "--hash-paths",
    ];
    const dry = await sessionExport(store, "contract", ["dry-run", ...all]);
    expect(dry.code, dry.stderr).toBe(0);
    const docs = jsonLines(dry.stdout);
    expect(docs.length).toBeGreaterThan(0);

    const sent = await sessionExport(store, "contract", ["export", ...all]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toMatch(new RegExp(`exported ${docs.length} sessions? to `));

    const stored = new Map((await convex.sessions()).map((d) => [d.sessionId, strip(d)]));
    expect([...stored.keys()].sort()).toEqual(docs.map((d) => d.sessionId).sort());
    for (const doc of docs) {
      const { exportedAt, ...rest } = doc;
      const row = stored.get(doc.sessionId as string)!;
      expect(row.exportedAt).toBeTypeOf("number");
      const { exportedAt: _, ...rowRest } = row;
      expect(rowRest).toEqual(rest);
    }
  });

  test("export --all-complete holds exactly the eligible sessions; exporting again is a no-op", async () => {
    await clear();
    const dry = await sessionExport(store, "backfill", ["dry-run", "--all-complete"]);
    expect(dry.code, dry.stderr).toBe(0);
    const eligible = jsonLines(dry.stdout).map((d) => d.sessionId as string);

    const first = await sessionExport(store, "backfill", ["export", "--all-complete"]);
    expect(first.code, first.stderr).toBe(0);
    const rows = await convex.sessions();
    expect(rows.map((r) => r.sessionId).sort()).toEqual([...eligible].sort());
    // One call per batch of up to 100 documents; a single document uses the seed's upsert.
    const calls = convex.callsByPath();
    if (eligible.length === 1) expect(calls).toEqual({ "sessions:upsert": 1 });
    else expect(calls).toEqual({ "sessions:upsertBatch": Math.ceil(eligible.length / 100) });

    // Nothing changed: the ledger sends nothing at all.
    const before = await convex.sessions();
    convex.log.length = 0;
    const second = await sessionExport(store, "backfill", ["export", "--all-complete"]);
    expect(second.code, second.stderr).toBe(0);
    expect(convex.log).toEqual([]);
    expect(second.stderr).toContain(`${eligible.length} already exported and unchanged`);

    // Forced past the ledger, the real mutation answers "unchanged" and writes nothing.
    const forced = await sessionExport(store, "backfill", ["export", "--all-complete", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(new RegExp(`sent ${eligible.length} sessions? to .*: it held (it|them all) already, unchanged; nothing was written`));
    expect(await convex.sessions()).toEqual(before);
  });
});

/** Rows by key, for comparing two reports whose ties may be ordered differently. */
function byKey(rows: Record<string, unknown>[]) {
  return new Map(rows.map((r) => [r.key as string, r]));
}

/** Two report rows say the same (costs summed in another order may differ in the last bits). */
function expectSameRow(team: Record<string, any>, local: Record<string, any>, where: string) {
  expect(team.sessions, `${where} sessions`).toBe(local.sessions);
  expect(team.messages, `${where} messages`).toBe(local.messages);
  expect(team.cost, `${where} cost`).toBeCloseTo(local.cost, 9);
  // The deployment sums the list figures the documents carry; a binary whose local rows
  // have them must show the same (unpricedMessages present only when > 0 on both sides).
  if (local.listCost !== undefined) {
    expect(team.listCost, `${where} listCost`).toBeCloseTo(local.listCost, 9);
    expect(team.unpricedMessages, `${where} unpricedMessages`).toBe(local.unpricedMessages);
  }
  expect(team.tokens, `${where} tokens`).toEqual(local.tokens);
  const teamModels = byKey(team.models ?? []);
  const localModels = byKey(local.models ?? []);
  expect([...teamModels.keys()].sort(), `${where} models`).toEqual([...localModels.keys()].sort());
  for (const [k, m] of localModels) expectSameRow(teamModels.get(k) as any, m as any, `${where} / ${k}`);
}

describe.each(stores)("team report of fixture store %s", (store) => {
  test("report --convex --json equals the local report --json --utc, for every --by", async () => {
    await clear();
    // Every top-level session, whatever its todos: its subagents ride in its document.
    const listed = await sessionExport(store, "team", ["list", "--json", "-n", "0"]);
    expect(listed.code, listed.stderr).toBe(0);
    const ids = jsonLines(listed.stdout)
      .filter((s) => s.parentSessionId === undefined)
      .map((s) => s.sessionId as string);
    expect(ids.length).toBeGreaterThan(0);
    const sent = await sessionExport(store, "team", ["export", ...ids]);
    expect(sent.code, sent.stderr).toBe(0);

    for (const by of ["day", "week", "month", "project", "model", "device"]) {
      const local = await sessionExport(store, "team", ["report", "--json", "--utc", "--by", by]);
      expect(local.code, local.stderr).toBe(0);
      convex.log.length = 0;
      const team = await sessionExport(store, "team", ["report", "--convex", "--json", "--by", by]);
      expect(team.code, team.stderr).toBe(0);
      // One query, for what the JSON rows show: models only under periods.
      const time = by === "day" || by === "week" || by === "month";
      expect(convex.log.map((e) => e.args), by).toEqual([{ by, ...(time ? { models: true } : {}) }]);
      const localRows = jsonLines(local.stdout);
      const teamRows = jsonLines(team.stdout);
      expect(localRows.length, by).toBeGreaterThan(0);
      // Time rows in key order; the others by cost (ties in either order).
      if (by === "day" || by === "week" || by === "month") {
        expect(teamRows.map((r) => r.key), by).toEqual(localRows.map((r) => r.key));
      }
      const teamByKey = byKey(teamRows);
      expect([...teamByKey.keys()].sort(), by).toEqual(localRows.map((r) => r.key as string).sort());
      for (const row of localRows) expectSameRow(teamByKey.get(row.key as string) as any, row, `${by} ${row.key}`);
    }

    // Table and CSV ask for what they print: the table's total by model from months
    // (model rows count a session once per model), CSV rows without models.
    for (const [format, by, asked] of [
      [[], "model", [{ by: "model" }, { by: "month" }]],
      [[], "week", [{ by: "week", models: true }]],
      [["--csv"], "day", [{ by: "day" }]],
      [["--csv"], "model", [{ by: "model" }]],
    ] as const) {
      convex.log.length = 0;
      const run = await sessionExport(store, "team", ["report", "--convex", ...format, "--by", by]);
      expect(run.code, run.stderr).toBe(0);
      expect(convex.log.map((e) => e.args), `${format} ${by}`).toEqual(asked);
    }

    // The team page: the charts the deployment's totals can draw.
    const page = join(scratch, `${store}-team.html`);
    const html = await sessionExport(store, "team", ["report", "--convex", "--html", page]);
    expect(html.code, html.stderr).toBe(0);
    const text = readFileSync(page, "utf8");
    for (const id of ["cost-per-day", "tokens-per-day", "cost-per-project", "sessions-per-project"]) {
      expect(text, id).toMatch(new RegExp(`<figure class="chart" id="${id}">\\s*<svg`));
    }
    expect(text).toContain("Team usage by day");
    expect(text).not.toContain("todo-completion");
  });
});
