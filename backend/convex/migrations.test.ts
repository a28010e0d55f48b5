import { convexTest, type TestConvex } from "convex-test";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { expectAggregatesConsistent } from "../test/consistency";
import { genSession, prng } from "../test/generate";
import { api, internal } from "./_generated/api";
import { MIGRATION_BYTES } from "./migrations";
import schema from "./schema";
import { modules } from "./test.setup";
import type { SessionDoc } from "./validators";

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
  });

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
  });

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
