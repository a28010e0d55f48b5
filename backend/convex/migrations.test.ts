import { convexTest, type TestConvex } from "convex-test";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { expectAggregatesConsistent } from "../test/consistency";
import { genSession, prng } from "../test/generate";
import { api, internal } from "./_generated/api";
import { readFileSync } from "node:fs";
import { expectReportOrder, expectRowsClose } from "../test/compare";
import { MIGRATION_BYTES } from "./migrations";
import schema from "./schema";
import { modules } from "./test.setup";
import type { Id } from "./_generated/dataModel";
import type { ReportBy, ReportRow, SessionDoc, TotalsRow } from "./validators";

const TOKEN = "s3cret-token";
const READ_TOKEN = "r3ad-token";
beforeEach(() => (vi.stubEnv("SESSION_EXPORT_TOKEN", TOKEN), vi.stubEnv("SESSION_EXPORT_READ_TOKEN", READ_TOKEN)));
afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

type T = TestConvex<typeof schema>;

/** Documents as the seed's backend stored them: content inline, no bookkeeping, no rollups. */
function oldDocs(n: number, seed = 7): SessionDoc[] {
  const rng = prng(seed);
  return Array.from({ length: n }, (_, i) =>
    genSession(rng, `old-${i}`, { days: 30, devices: 3, projects: 3, models: 3, oldShare: 0.5, content: true }),
  );
}

async function insertOldShape(t: T, docs: SessionDoc[]) {
  await t.run(async (ctx) => {
    for (const doc of docs) await ctx.db.insert("sessions", doc);
  });
}

async function getDoc(t: T, sessionId: string) {
  const got = await t.query(api.sessions.get, { token: READ_TOKEN, sessionId });
  if (got === null) return null;
  const { _id, _creationTime, ...rest } = got;
  return rest;
}

describe("migrations:run", () => {
  test("driven by hand (reschedule: false) until done: content moved, aggregates built", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true });
    const docs = oldDocs(45);
    await insertOldShape(t, docs);
    // Old rows are readable before the migration (get reads the inline content).
    expect(await getDoc(t, "old-0")).toEqual(docs[0]);
    expect(await t.query(internal.migrations.status, {})).toEqual({ done: false });

    const calls: { migrated: number; done: boolean }[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await t.mutation(internal.migrations.run, { batchSize: 10, reschedule: false });
      calls.push(res);
      if (res.done) break;
    }
    expect(calls.map((c) => c.migrated)).toEqual([10, 10, 10, 10, 5]);
    expect(calls.at(-1)!.done).toBe(true);
    expect(await t.query(internal.migrations.status, {})).toEqual({ done: true });

    const rows = await t.run((ctx) => ctx.db.query("sessions").collect());
    expect(rows).toHaveLength(45);
    for (const row of rows) {
      expect(row.aggregated).toBe(true);
      expect(row).not.toHaveProperty("messagesJson");
      expect(row).not.toHaveProperty("todosJson");
    }
    const content = await t.run((ctx) => ctx.db.query("sessionContent").collect());
    expect(content).toHaveLength(docs.filter((d) => d.messagesJson !== undefined || d.todosJson !== undefined).length);
    for (const doc of docs) expect(await getDoc(t, doc.sessionId)).toEqual(doc);
    await expectAggregatesConsistent(t, TOKEN);

    // Running it again finds nothing to do and changes nothing.
    const before = await t.run((ctx) => ctx.db.query("cells").collect());
    expect(await t.mutation(internal.migrations.run, {})).toEqual({ migrated: 0, done: true });
    expect(await t.run((ctx) => ctx.db.query("cells").collect())).toEqual(before);
   }, 60_000);

  test("reschedules itself until done; upserts during the migration are counted once", async () => {
    vi.useFakeTimers();
    const t = convexTest({ schema, modules, transactionLimits: true });
    const docs = oldDocs(30, 11);
    await insertOldShape(t, docs);
    // Before the migration: an upsert of an old row that changed (migrates that row),
    // and one that is unchanged (writes nothing; the migration picks it up).
    const changed = { ...docs[0], updatedAt: docs[0].updatedAt + 1, cost: docs[0].cost + 1 };
    const results = await t.mutation(api.sessions.upsertBatch, {
      token: TOKEN,
      sessions: [changed, { ...docs[1], exportedAt: docs[1].exportedAt + 1 }],
    });
    expect(results.map((r) => r.result)).toEqual(["updated", "unchanged"]);

    expect(await t.mutation(internal.migrations.run, { batchSize: 4 })).toEqual({ migrated: 4, done: false });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.query(internal.migrations.status, {})).toEqual({ done: true });
    expect(await getDoc(t, docs[0].sessionId)).toEqual(changed);
    await expectAggregatesConsistent(t, TOKEN);
  }, 60_000);

  test("large inline transcripts: each batch stops at the byte budget, inside Convex's limits", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true });
    const big = "x".repeat(900 * 1024);
    const docs = oldDocs(12, 3).map((d) => ({ ...d, messagesJson: JSON.stringify([big]) }));
    await insertOldShape(t, docs);
    const perCall: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await t.mutation(async (ctx) => {
        const r = await ctx.runMutation(internal.migrations.run, { reschedule: false });
        const m = await ctx.meta.getTransactionMetrics();
        return { ...r, bytesRead: m.bytesRead.used, bytesWritten: m.bytesWritten.used };
      });
      expect(res.bytesRead).toBeLessThan(16 * 1024 * 1024);
      expect(res.bytesWritten).toBeLessThan(16 * 1024 * 1024);
      perCall.push(res.migrated);
      if (res.done) break;
    }
    const perBatch = Math.ceil(MIGRATION_BYTES / (900 * 1024));
    expect(perCall.slice(0, -1).every((n) => n === perBatch)).toBe(true);
    expect(perCall.reduce((a, b) => a + b, 0)).toBe(12);
    for (const doc of docs) expect(await getDoc(t, doc.sessionId)).toEqual(doc);
  }, 60_000);
});

/**
 * A deployment filled by the previous version (the backend as of commit
 * ca3db54: 60 sessions upserted, 12 of them updated, cells per day plus
 * all-time cells and one total cell per day), dumped table by table together
 * with the answers its `report` and `totals` gave. Made by running that
 * version's `sessions:upsertBatch` in convex-test with genSession(prng(2222))
 * documents; see test/fixtures/v1-deployment.json.
 */
interface V1Dump {
  tables: Record<"sessions" | "sessionContent" | "rollups" | "groupTotals", Record<string, unknown>[]>;
  reports: { args: { by: ReportBy; from?: number; to?: number; models?: boolean }; rows: ReportRow[] }[];
  totals: Record<"device" | "project", TotalsRow[]>;
}
const v1: V1Dump = JSON.parse(readFileSync(new URL("../test/fixtures/v1-deployment.json", import.meta.url), "utf8"));

/** Loads the dump; ids change, so `contentId` is mapped to the new content rows. */
async function loadV1(t: T) {
  await t.run(async (ctx) => {
    const strip = ({ _id, _creationTime, ...rest }: Record<string, unknown>) => rest;
    const ids = new Map<string, Id<"sessionContent">>();
    for (const c of v1.tables.sessionContent) ids.set(c._id as string, await ctx.db.insert("sessionContent", strip(c) as never));
    for (const s of v1.tables.sessions) {
      const row = strip(s);
      if (row.contentId !== undefined) row.contentId = ids.get(row.contentId as string);
      await ctx.db.insert("sessions", row as never);
    }
    for (const r of v1.tables.rollups) await ctx.db.insert("rollups", strip(r) as never);
    for (const g of v1.tables.groupTotals) await ctx.db.insert("groupTotals", strip(g) as never);
  });
}

/**
 * Rows, sub-rows and labels as the previous version answered (cost up to
 * rounding). That version had no list figures: listCost and unpricedMessages
 * are checked against the documents by expectAggregatesConsistent.
 */
function expectSameRows(actual: ReportRow[], v1Rows: ReportRow[], what: string) {
  const withList = (rows: ReportRow[], from: ReportRow[]): ReportRow[] =>
    rows.map((r) => {
      const a = from.find((x) => x.key === r.key);
      return {
        ...r,
        listCost: a?.listCost ?? 0,
        ...(a?.unpricedMessages === undefined ? {} : { unpricedMessages: a.unpricedMessages }),
        ...(r.models === undefined ? {} : { models: withList(r.models, a?.models ?? []) }),
      };
    });
  const expected = withList(v1Rows, actual);
  expect(actual.map((r) => r.key), what).toEqual(expected.map((r) => r.key));
  expectRowsClose(actual, [...expected].sort((a, b) => (a.key < b.key ? -1 : 1)), what);
  expectReportOrder(what.split(" ")[0], actual);
  actual.forEach((row, i) => {
    expect(row.label, `${what} ${row.key} label`).toEqual(expected[i].label);
    expect(row.models === undefined, `${what} ${row.key} models`).toBe(expected[i].models === undefined);
    if (row.models !== undefined) expectSameRows(row.models, expected[i].models!, `model ${what} ${row.key}`);
  });
}

async function runUntilDone(t: T, batchSize: number) {
  const calls: { migrated: number; done: boolean }[] = [];
  for (let i = 0; i < 50 && !calls.at(-1)?.done; i++) {
    calls.push(await t.mutation(internal.migrations.run, { batchSize, reschedule: false }));
  }
  return calls;
}

describe("migrations:run from a deployment filled by the previous version", () => {
  test("same report rows and totals before and after; legacy cells deleted", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true });
    await loadV1(t);
    expect(await t.query(internal.migrations.status, {})).toEqual({ done: false });
    // totals read groupTotals, which the previous version kept as this one does.
    for (const by of ["device", "project"] as const) {
      expect(await t.query(api.sessions.totals, { token: TOKEN, by })).toEqual(v1.totals[by]);
    }

    const calls = await runUntilDone(t, 25);
    expect(calls.map((c) => c.migrated)).toEqual([25, 25, 10]);
    expect(await t.query(internal.migrations.status, {})).toEqual({ done: true });
    expect(await t.run((ctx) => ctx.db.query("rollups").collect())).toEqual([]);

    expect(v1.reports.length).toBeGreaterThan(30);
    for (const { args, rows } of v1.reports) {
      const actual = await t.query(api.sessions.report, { token: TOKEN, ...args });
      expectSameRows(actual, rows, `${args.by} ${JSON.stringify(args)}`);
    }
    for (const by of ["device", "project"] as const) {
      expect(await t.query(api.sessions.totals, { token: TOKEN, by })).toEqual(v1.totals[by]);
    }
    await expectAggregatesConsistent(t, TOKEN);
    // The documents read back as the previous version stored them.
    const first = v1.tables.sessions[0] as unknown as SessionDoc;
    expect((await getDoc(t, first.sessionId))?.cost).toBe(first.cost);
  }, 60_000);

  test("upserts during the migration: an updated row moves, an unchanged one waits for the migration", async () => {
    vi.useFakeTimers();
    const t = convexTest({ schema, modules, transactionLimits: true });
    await loadV1(t);
    const docs = await t.run(async (ctx) => (await ctx.db.query("sessions").collect()).filter((r) => r.parentSessionId === undefined));
    const [a, b] = [await getDoc(t, docs[0].sessionId), await getDoc(t, docs[1].sessionId)] as SessionDoc[];
    const changed = { ...a, updatedAt: a.updatedAt + 1, cost: a.cost + 1, deviceId: "moved-device", hostname: "moved" };
    const results = await t.mutation(api.sessions.upsertBatch, {
      token: TOKEN,
      sessions: [changed, { ...b, exportedAt: b.exportedAt + 1 }],
    });
    expect(results.map((r) => r.result)).toEqual(["updated", "unchanged"]);
    // The updated row left the previous version's groupTotals key and counts under its new one.
    const devices = await t.query(api.sessions.totals, { token: TOKEN, by: "device" });
    expect(devices.find((r) => r.key === "moved-device")?.sessionCount).toBe(1);
    expect(devices.reduce((n, r) => n + r.sessionCount, 0)).toBe(v1.totals.device.reduce((n, r) => n + r.sessionCount, 0));

    expect(await t.mutation(internal.migrations.run, { batchSize: 7 })).toEqual({ migrated: 7, done: false });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.query(internal.migrations.status, {})).toEqual({ done: true });
    expect(await getDoc(t, a.sessionId)).toEqual(changed);
    await expectAggregatesConsistent(t, TOKEN, [[], [Date.UTC(2024, 0, 9), Date.UTC(2024, 1, 20)]]);
  }, 60_000);
});

/**
 * A deployment filled by the previous version (cellsVersion 2): its upserts
 * summed exactly what this version sums apart from listCost and
 * unpricedMessages, which it did not keep (and its validators refused
 * documents that had them). So the same documents upserted here, with those
 * two taken out of every cell and the rows marked cellsVersion 2, are what
 * that version left behind.
 */
describe("migrations:run from a deployment of the previous version (cells without list figures)", () => {
  test("the migration adds listCost and unpricedMessages; the rest of every row stays; upserts meanwhile count once", async () => {
    vi.useFakeTimers();
    const t = convexTest({ schema, modules, transactionLimits: true });
    const rng = prng(31);
    const shape = { days: 40, devices: 3, projects: 3, models: 3, oldShare: 0.2, pricedShare: 0 };
    const docs = Array.from({ length: 40 }, (_, i) => genSession(rng, `v2-${i}`, shape));
    await t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: docs });
    await t.run(async (ctx) => {
      for (const c of await ctx.db.query("cells").collect()) {
        const { _id, _creationTime, listCost, unpricedMessages, ...rest } = c;
        await ctx.db.replace("cells", _id, rest);
      }
      for (const r of await ctx.db.query("sessions").collect()) await ctx.db.patch("sessions", r._id, { cellsVersion: 2 });
    });
    const bys: ReportBy[] = ["day", "week", "month", "device", "project", "model"];
    const base = ({ listCost, unpricedMessages, models, ...rest }: ReportRow): unknown => ({
      ...rest,
      cost: Math.round(rest.cost * 1e6),
      ...(models === undefined ? {} : { models: models.map(base) }),
    });
    const before = new Map<ReportBy, ReportRow[]>();
    for (const by of bys) {
      const rows = await t.query(api.sessions.report, { token: TOKEN, by, models: true });
      // The previous version's cells: no list figures, so none in the rows.
      for (const r of rows) expect([r.listCost, r.unpricedMessages]).toEqual([0, undefined]);
      before.set(by, rows);
    }
    expect(await t.query(internal.migrations.status, {})).toEqual({ done: false });

    // Meanwhile: a session sent again priced by a newer exporter (updated), one unchanged.
    const top = docs.filter((d) => d.parentSessionId === undefined && d.daily !== undefined);
    const model = top[0].daily![0].models![0];
    const priced: SessionDoc = {
      ...top[0],
      updatedAt: top[0].updatedAt + 1,
      listCost: 2,
      daily: top[0].daily!.map((d, i) => ({
        ...d,
        listCost: i === 0 ? 2 : 0,
        models: d.models!.map((m) => ({ ...m, listCost: i === 0 && m === model ? 2 : 0 })),
      })),
    };
    const results = await t.mutation(api.sessions.upsertBatch, {
      token: TOKEN,
      sessions: [priced, { ...top[1], exportedAt: top[1].exportedAt + 1 }],
    });
    expect(results.map((r) => r.result)).toEqual(["updated", "unchanged"]);

    expect(await t.mutation(internal.migrations.run, { batchSize: 7 })).toEqual({ migrated: 7, done: false });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.query(internal.migrations.status, {})).toEqual({ done: true });
    const rows = await t.run((ctx) => ctx.db.query("sessions").collect());
    expect(rows.every((r) => r.cellsVersion === 3)).toBe(true);
    for (const by of bys) {
      const after = await t.query(api.sessions.report, { token: TOKEN, by, models: true });
      expect(after.map(base), by).toEqual(before.get(by)!.map(base));
    }
    // listCost and unpricedMessages now equal the reference computed from the documents.
    await expectAggregatesConsistent(t, TOKEN, [[], [Date.UTC(2024, 0, 9), Date.UTC(2024, 1, 3) + 7]]);
    const month = (await t.query(api.sessions.report, { token: TOKEN, by: "month" })).find((r) => r.key === priced.daily![0].day.slice(0, 7))!;
    expect(month.listCost).toBeCloseTo(2, 9);
    expect(month.unpricedMessages).toBeGreaterThan(0);
  }, 60_000);
});
