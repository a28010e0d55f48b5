import { convexTest } from "convex-test";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { sampleSession } from "../test/sample";
import { api, internal } from "./_generated/api";
import crons from "./crons";
import { retentionDays } from "./retention";
import schema from "./schema";
import { modules } from "./test.setup";

const TOKEN = "s3cret-token";
const READ_TOKEN = "r3ad-token";
const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 1, 12);

beforeEach(() => {
  (vi.stubEnv("SESSION_EXPORT_TOKEN", TOKEN), vi.stubEnv("SESSION_EXPORT_READ_TOKEN", READ_TOKEN));
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

const setup = () => convexTest(schema, modules);
type T = ReturnType<typeof setup>;

/** Sessions last updated 1, 10, 40 and 100 days ago, all with content; one without. */
async function seed(t: T) {
  const docs = [1, 10, 40, 100].map((age) =>
    sampleSession({
      sessionId: `age-${age}`,
      createdAt: NOW - age * DAY - 1000,
      updatedAt: NOW - age * DAY,
      messagesJson: `["transcript ${age}"]`,
    }),
  );
  docs.push(sampleSession({ sessionId: "no-content", createdAt: NOW - 200 * DAY, updatedAt: NOW - 200 * DAY, todosJson: undefined }));
  await t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: docs });
  return docs;
}

const aggregates = (t: T) =>
  t.run(async (ctx) => [
    ...(await ctx.db.query("rollups").collect()),
    ...(await ctx.db.query("groupTotals").collect()),
  ]);

describe("retention:purge", () => {
  test("unset (or not a positive number): deletes nothing", async () => {
    const t = setup();
    await seed(t);
    for (const value of [undefined, "", "0", "-3", "soon"]) {
      vi.stubEnv("SESSION_EXPORT_RETENTION_DAYS", value);
      expect(await t.mutation(internal.retention.purge, {})).toEqual({ enabled: false, deleted: 0, done: true });
    }
    expect(await t.run((ctx) => ctx.db.query("sessionContent").collect())).toHaveLength(4);
    expect(retentionDays("30")).toBe(30);
    expect(retentionDays(" 7.5 ")).toBe(7.5);
  });

  test("N days: content of sessions updated more than N days ago goes; rows and aggregates stay", async () => {
    vi.stubEnv("SESSION_EXPORT_RETENTION_DAYS", "30");
    const t = setup();
    const docs = await seed(t);
    const before = await aggregates(t);
    expect(await t.mutation(internal.retention.purge, {})).toEqual({ enabled: true, deleted: 2, done: true });

    const content = await t.run((ctx) => ctx.db.query("sessionContent").collect());
    expect(content.map((c) => c.sessionId).sort()).toEqual(["age-1", "age-10"]);
    expect(await aggregates(t)).toEqual(before);
    expect(await t.run((ctx) => ctx.db.query("sessions").collect())).toHaveLength(5);

    const purged = await t.query(api.sessions.get, { token: READ_TOKEN, sessionId: "age-40" });
    expect(purged).not.toHaveProperty("messagesJson");
    expect(purged).not.toHaveProperty("todosJson");
    expect(purged?.contentPurgedAt).toBe(NOW);
    const { messagesJson: _m, todosJson: _t, ...summary } = docs[2];
    expect(purged).toMatchObject(summary);
    const kept = await t.query(api.sessions.get, { token: READ_TOKEN, sessionId: "age-10" });
    expect(kept?.messagesJson).toBe('["transcript 10"]');

    const page = await t.query(api.sessions.recent, { token: TOKEN, paginationOpts: { numItems: 10, cursor: null } });
    const row = page.page.find((r) => r.sessionId === "age-100")!;
    expect(row).toMatchObject({ hasMessagesJson: false, hasTodosJson: false, contentPurgedAt: NOW });

    // Again: nothing left to delete. A re-export of the same document stores its content
    // again ("updated": the stored copy lacks it) without touching the aggregates.
    expect(await t.mutation(internal.retention.purge, {})).toEqual({ enabled: true, deleted: 0, done: true });
    expect((await t.mutation(api.sessions.upsert, { token: TOKEN, ...docs[2] })).result).toBe("updated");
    expect((await t.query(api.sessions.get, { token: READ_TOKEN, sessionId: "age-40" }))?.messagesJson).toBe('["transcript 40"]');
    expect(await aggregates(t)).toEqual(before);
  });

  test("bounded batches; reschedules itself until done", async () => {
    vi.stubEnv("SESSION_EXPORT_RETENTION_DAYS", "5");
    const t = setup();
    await seed(t);
    expect(await t.mutation(internal.retention.purge, { batchSize: 1, reschedule: false })).toEqual({
      enabled: true,
      deleted: 1,
      done: false,
    });
    expect(await t.mutation(internal.retention.purge, { batchSize: 1 })).toEqual({ enabled: true, deleted: 1, done: false });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const content = await t.run((ctx) => ctx.db.query("sessionContent").collect());
    expect(content.map((c) => c.sessionId)).toEqual(["age-1"]);
  });

  test("the daily cron calls retention:purge", () => {
    const jobs = Object.values((crons as unknown as { crons: Record<string, { name: string; schedule: unknown }> }).crons);
    expect(jobs).toHaveLength(1);
    expect(jobs[0].name).toBe("retention:purge");
    expect(jobs[0].schedule).toMatchObject({ type: "daily", hourUTC: 3, minuteUTC: 30 });
  });
});
