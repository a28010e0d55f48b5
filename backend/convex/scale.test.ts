/**
 * 20,000 sessions through the real batch mutation, with convex-test enforcing
 * Convex's per-transaction limits (`transactionLimits: true`: 16 MiB and
 * 32,000 documents read, 4,096 index ranges, 16 MiB and 16,000 documents
 * written). What each function read and wrote is measured by convex-test's own
 * transaction metrics (`ctx.meta.getTransactionMetrics()` after calling the
 * real function with `ctx.runQuery` / `ctx.runMutation`): every document an
 * index range yields and every `db.get` counts.
 *
 * Slow by nature: convex-test answers every index query by scanning all stored
 * documents, so storing N sessions costs O(N^2) in this fake (not in Convex):
 * several minutes here, most of it the 20,000 `by_sessionId` lookups.
 */
import { convexTest, type TestConvex } from "convex-test";
import type { FunctionReference } from "convex/server";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { expectRowsClose } from "../test/compare";
import { expectedReport, genSession, prng, START, type Shape } from "../test/generate";
import { api } from "./_generated/api";
import schema from "./schema";
import { modules } from "./test.setup";
import type { ReportBy, SessionDoc } from "./validators";

const TOKEN = "s3cret-token";
const SESSIONS = 20_000;
const BATCH = 250;
const SHAPE: Shape = { days: 60, devices: 8, projects: 15, models: 5, oldShare: 0.05, childShare: 0.05, subagentShare: 0.3 };
const DAY = 86_400_000;

interface Metrics {
  documentsRead: number;
  bytesRead: number;
  databaseQueries: number;
  documentsWritten: number;
  bytesWritten: number;
}

let t: TestConvex<typeof schema>;
const docs: SessionDoc[] = [];
const batchMetrics: Metrics[] = [];

async function measured<R>(kind: "query" | "mutation", ref: FunctionReference<typeof kind>, args: Record<string, unknown>) {
  const run = async (ctx: any) => {
    const value = kind === "query" ? await ctx.runQuery(ref, args) : await ctx.runMutation(ref, args);
    const m = await ctx.meta.getTransactionMetrics();
    const metrics: Metrics = {
      documentsRead: m.documentsRead.used,
      bytesRead: m.bytesRead.used,
      databaseQueries: m.databaseQueries.used,
      documentsWritten: m.documentsWritten.used,
      bytesWritten: m.bytesWritten.used,
    };
    return { value: value as R, metrics };
  };
  return kind === "query" ? await t.query(run) : await t.mutation(run);
}

beforeAll(async () => {
  vi.stubEnv("SESSION_EXPORT_TOKEN", TOKEN);
  t = convexTest({ schema, modules, transactionLimits: true });
  const rng = prng(20_000);
  for (let i = 0; i < SESSIONS; i++) docs.push(genSession(rng, `ses_${String(i).padStart(6, "0")}`, SHAPE));
  // A backfill sends sessions in time order, so a batch touches a few days' cells.
  docs.sort((a, b) => a.createdAt - b.createdAt);
  for (let i = 0; i < SESSIONS; i += BATCH) {
    const sessions = docs.slice(i, i + BATCH);
    const { value, metrics } = await measured<{ result: string }[]>("mutation", api.sessions.upsertBatch as never, {
      token: TOKEN,
      sessions,
    });
    expect(value.every((r) => r.result === "inserted")).toBe(true);
    batchMetrics.push(metrics);
    if (process.env.SCALE_PROGRESS) console.log(`${i + BATCH} sessions stored, ${Math.round(performance.now() / 1000)} s`);
  }
}, 3_600_000);

afterAll(() => vi.unstubAllEnvs());

const max = (k: keyof Metrics) => Math.max(...batchMetrics.map((m) => m[k]));

test("every batch of 250 stays well inside Convex's per-transaction limits", async () => {
  const worst = {
    documentsRead: max("documentsRead"),
    bytesRead: max("bytesRead"),
    databaseQueries: max("databaseQueries"),
    documentsWritten: max("documentsWritten"),
    bytesWritten: max("bytesWritten"),
  };
  console.log(`upsertBatch x${batchMetrics.length} (${BATCH} new sessions each), worst batch:`, worst);
  expect(worst.documentsRead).toBeLessThan(32_000 / 4);
  expect(worst.databaseQueries).toBeLessThan(4_096);
  expect(worst.documentsWritten).toBeLessThan(16_000 / 4);
  expect(worst.bytesRead).toBeLessThan(16 * 2 ** 20 / 4);
  expect(worst.bytesWritten).toBeLessThan(16 * 2 ** 20 / 4);
  // Every batch answered "inserted" for all its sessions, so 20,000 are stored: too many
  // for one transaction to read them all, as the seed's `totals` did.
  await expect(t.run(async (ctx) => (await ctx.db.query("sessions").collect()).length)).rejects.toThrow(
    /Read too much data|Scanned too many documents/,
  );
});

test("report and totals read only rollup documents: bounded by days x groups, not sessions", async () => {
  const counts = await t.run(async (ctx) => {
    const rollups = await ctx.db.query("rollups").collect();
    const keys = (dim: string) => new Set(rollups.filter((r) => r.dim === dim).map((r) => r.key)).size;
    return {
      days: rollups.filter((r) => r.dim === "total").length,
      device: keys("device"),
      project: keys("project"),
      model: keys("model"),
      rollups: rollups.length,
    };
  });
  const groups: Record<ReportBy, number> = { day: 1, week: 1, month: 1, device: counts.device, project: counts.project, model: counts.model };
  const from = START + 30 * DAY;
  const to = START + 60 * DAY;
  const reads: Record<string, number> = {};
  for (const by of Object.keys(groups) as ReportBy[]) {
    for (const [label, range] of [["all", {}], ["30 days", { from, to }]] as const) {
      const { value, metrics } = await measured<unknown[]>("query", api.sessions.report as never, { token: TOKEN, by, ...range });
      reads[`report ${by} ${label}`] = metrics.documentsRead;
      const daysInRange = label === "all" ? counts.days : 30;
      // day/week/month: one "total" cell per day; device/project/model: one cell per
      // day and group, or one all-time cell per group when there is no range.
      const bound = by === "day" || by === "week" || by === "month" ? daysInRange : label === "all" ? groups[by] : daysInRange * groups[by];
      expect(metrics.documentsRead, `${by} ${label}`).toBeLessThanOrEqual(bound);
      expect(metrics.documentsRead).toBeLessThan(SESSIONS / 4);
      expect(metrics.databaseQueries).toBe(1);
      expectRowsClose(value as never, expectedReport(docs, by, "from" in range ? range.from : undefined, "to" in range ? range.to : undefined), `${by} ${label}`);
    }
  }
  for (const by of ["device", "project"] as const) {
    const { metrics } = await measured<unknown[]>("query", api.sessions.totals as never, { token: TOKEN, by });
    reads[`totals ${by}`] = metrics.documentsRead;
    expect(metrics.documentsRead).toBeLessThanOrEqual(groups[by]);
  }
  console.log(`${SESSIONS} sessions, ${counts.days} days, groups`, groups, `${counts.rollups} rollup documents; documents read:`, reads);
}, 120_000);
