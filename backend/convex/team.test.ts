/**
 * A team's worth of rollups: 100 devices, 3 years, 20 projects, 30 models
 * (every one of them used every day), seeded once straight into `cells` (what
 * the upserts of such a team leave behind, without storing its sessions one by
 * one, which convex-test makes quadratic).
 * Every report shape is measured with convex-test's own transaction metrics
 * (`ctx.meta.getTransactionMetrics()` after calling the real query with
 * `ctx.runQuery`) under Convex's limits (`transactionLimits: true`: 32,000
 * documents and 16 MiB read per transaction), and its rows are checked against
 * a sum over the seeded usage.
 */
import { convexTest, type TestConvex } from "convex-test";
import type { FunctionReference } from "convex/server";
import { ConvexError, type Value } from "convex/values";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { expectReportOrder } from "../test/compare";
import { api } from "./_generated/api";
import { TOTAL_SHARDS, totalShard, utcDay } from "./aggregates";
import { isoWeek, READ_BUDGET_DOCS } from "./report";
import schema from "./schema";
import { modules } from "./test.setup";
import type { ReportBy, ReportRow, RollupDim, TokenCounts } from "./validators";

const TOKEN = "s3cret-token";
const DAY = 86_400_000;
const START = Date.UTC(2023, 0, 1);
const DAYS = 3 * 365 + 1; // 2023-01-01 .. 2025-12-31
const DEVICES = 100;
const PROJECTS = 20;
const MODELS = 30;
/** Models each device-day uses: the day's devices use all 30 between them. */
const MODELS_PER_UNIT = 3;
/** Writes per seeding transaction, inside Convex's 16,000. */
const SEED_CHUNK = 12_000;

type T = TestConvex<typeof schema>;
type Grain = "day" | "month";
interface Usage {
  sessions: number;
  messages: number;
  cost: number;
  listCost: number;
  unpricedMessages: number;
  tokens: TokenCounts;
}
/** One device's usage on one day, and where it goes. */
interface Unit {
  day: string;
  device: string;
  project: string;
  models: { model: string; usage: Usage }[];
  usage: Usage;
}

const tk = (n: number): TokenCounts => ({ input: 100 * n, output: 40 * n, reasoning: 5 * n, cacheRead: 300 * n, cacheWrite: 10 * n });

/** The model without a list price (its messages are unpriced). */
const UNPRICED = "provider/model-29";

/**
 * Each device exports on one day a week (not all on the same day), on one
 * project at a time (changing every month), with 3 models; the 14 or 15
 * devices of a day use all 30 models between them, so a day row with models
 * reads 4 + 30 cells. Every device, project and model has a month cell in
 * nearly every month, which is what reports over whole months read.
 */
function team(): Unit[] {
  const units: Unit[] = [];
  for (let i = 0; i < DAYS; i++) {
    const day = utcDay(START + i * DAY);
    let j = 0;
    for (let d = 0; d < DEVICES; d++) {
      if ((i + d) % 7 !== 0) continue;
      const n = 1 + ((i * 7 + d * 13) % 5);
      const models = Array.from({ length: MODELS_PER_UNIT }, (_, k) => {
        const model = `provider/model-${(MODELS_PER_UNIT * j + k + i) % MODELS}`;
        const usage: Usage =
          model === UNPRICED
            ? { sessions: 1, messages: n, cost: 0, listCost: 0, unpricedMessages: n, tokens: tk(n) }
            : { sessions: 1, messages: n, cost: n / 8, listCost: (3 * n) / 8, unpricedMessages: 0, tokens: tk(n) };
        return { model, usage };
      });
      const sum = (f: (u: Usage) => number) => models.reduce((a, m) => a + f(m.usage), 0);
      j += 1;
      units.push({
        day,
        device: `device-${String(d).padStart(3, "0")}`,
        project: `/home/dev/src/project-${(d + Math.floor(i / 30)) % PROJECTS}`,
        usage: {
          sessions: 1,
          messages: 3 * n + 3,
          cost: sum((u) => u.cost),
          listCost: sum((u) => u.listCost),
          unpricedMessages: sum((u) => u.unpricedMessages),
          tokens: tk(3 * n),
        },
        models,
      });
    }
  }
  return units;
}

interface SeedCell {
  grain: Grain;
  dim: RollupDim;
  period: string;
  key: string;
  label?: string;
  sessions: number;
  messages: number;
  cost: number;
  listCost: number;
  unpricedMessages: number;
  tokens: TokenCounts;
}

/**
 * The cells those units make: per dimension, a month cell and a day cell. The
 * day cells of devices and projects are seeded only in `edgeMonths`: a report
 * by device or project reads day cells only at the ragged ends of its range,
 * and convex-test pays for every stored document in every query. (Rows are
 * checked against the units, so a report that read day cells elsewhere would
 * come out wrong.)
 */
function cellsOf(units: Unit[], edgeMonths: Set<string>): SeedCell[] {
  const cells = new Map<string, SeedCell>();
  const add = (dim: RollupDim, day: string, key: string, u: Usage, label?: string) => {
    const sparse = (dim === "device" || dim === "project") && !edgeMonths.has(day.slice(0, 7));
    for (const [grain, period] of [["day", day], ["month", day.slice(0, 7)]] as const) {
      if (grain === "day" && sparse) continue;
      const id = `${grain}|${dim}|${period}|${key}`;
      let c = cells.get(id);
      if (c === undefined) {
        c = {
          grain,
          dim,
          period,
          key,
          sessions: 0,
          messages: 0,
          cost: 0,
          listCost: 0,
          unpricedMessages: 0,
          tokens: tk(0),
          ...(label === undefined ? {} : { label }),
        };
        cells.set(id, c);
      }
      c.sessions += u.sessions;
      c.messages += u.messages;
      c.cost += u.cost;
      c.listCost += u.listCost;
      c.unpricedMessages += u.unpricedMessages;
      for (const k of Object.keys(c.tokens) as (keyof TokenCounts)[]) c.tokens[k] += u.tokens[k];
    }
  };
  for (const u of units) {
    add("total", u.day, totalShard(u.device), u.usage);
    add("device", u.day, u.device, u.usage, `host-${u.device}`);
    add("project", u.day, u.project, u.usage);
    for (const m of u.models) add("model", u.day, m.model, m.usage);
  }
  return [...cells.values()];
}

/** The report straight from the units (sorted by key; order is checked apart). */
function expected(units: Unit[], by: ReportBy, from?: number, to?: number, models = false): ReportRow[] {
  const rows = new Map<string, ReportRow & { sub?: Map<string, ReportRow> }>();
  const add = (into: Map<string, ReportRow>, key: string, u: Usage) => {
    const r = into.get(key) ?? { key, sessions: 0, messages: 0, cost: 0, listCost: 0, tokens: tk(0) };
    r.sessions += u.sessions;
    r.messages += u.messages;
    r.cost += u.cost;
    r.listCost += u.listCost;
    if (u.unpricedMessages > 0) r.unpricedMessages = (r.unpricedMessages ?? 0) + u.unpricedMessages;
    for (const k of Object.keys(r.tokens) as (keyof TokenCounts)[]) r.tokens[k] += u.tokens[k];
    into.set(key, r);
    return r;
  };
  for (const u of units) {
    const start = Date.parse(`${u.day}T00:00:00Z`);
    if ((from !== undefined && start < from) || (to !== undefined && start >= to)) continue;
    if (by === "model") {
      for (const m of u.models) add(rows, m.model, m.usage);
      continue;
    }
    const key = { day: u.day, week: isoWeek(u.day), month: u.day.slice(0, 7), device: u.device, project: u.project }[by];
    const row = add(rows, key, u.usage) as ReportRow & { sub?: Map<string, ReportRow> };
    if (by === "device") row.label = `host-${u.device}`;
    if (models) {
      row.sub ??= new Map();
      for (const m of u.models) add(row.sub, m.model, m.usage);
    }
  }
  return [...rows.values()]
    .map(({ sub, ...r }) => (sub === undefined ? r : { ...r, models: [...sub.values()].sort((a, b) => b.cost - a.cost || (a.key < b.key ? -1 : 1)) }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** Rows in key order with cost rounded to 1e-6: one comparison for a whole report. */
function normal(rows: ReportRow[]): unknown[] {
  return [...rows]
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((r) => ({
      ...r,
      cost: Math.round(r.cost * 1e6),
      listCost: Math.round(r.listCost * 1e6),
      ...(r.models === undefined ? {} : { models: normal(r.models) }),
    }));
}

function expectRows(actual: ReportRow[], want: ReportRow[], what: string) {
  expect(normal(actual), what).toEqual(normal(want));
}

async function seed(t: T, cells: SeedCell[]) {
  for (let i = 0; i < cells.length; i += SEED_CHUNK) {
    await t.run(async (ctx) => {
      for (const c of cells.slice(i, i + SEED_CHUNK)) await ctx.db.insert("cells", c);
    });
  }
}

interface Measured {
  rows?: ReportRow[];
  code?: string;
  message?: string;
  documentsRead: number;
  bytesRead: number;
  databaseQueries: number;
}

/** Runs the real `sessions:report` inside a transaction and reads what it cost. */
async function measure(t: T, args: { by: ReportBy; from?: number; to?: number; models?: boolean }): Promise<Measured> {
  return await t.query(async (ctx) => {
    let rows: ReportRow[] | undefined;
    let code: string | undefined;
    let message: string | undefined;
    try {
      rows = await ctx.runQuery(api.sessions.report as FunctionReference<"query">, { token: TOKEN, ...args });
    } catch (e) {
      if (!(e instanceof ConvexError)) throw e;
      ({ code, message } = (e as ConvexError<{ code: string; message: string } & Value>).data);
    }
    const m = await ctx.meta.getTransactionMetrics();
    return {
      ...(rows === undefined ? {} : { rows }),
      ...(code === undefined ? {} : { code, message }),
      documentsRead: m.documentsRead.used,
      bytesRead: m.bytesRead.used,
      databaseQueries: m.databaseQueries.used,
    };
  });
}

/** UTC months that meet [from, to), and the days in it. */
function span(from = START, to = START + DAYS * DAY) {
  const days = Math.ceil((to - from) / DAY);
  const first = new Date(from);
  const last = new Date(to - 1);
  const months = (last.getUTCFullYear() - first.getUTCFullYear()) * 12 + last.getUTCMonth() - first.getUTCMonth() + 1;
  return { days, months };
}

const RANGES: [string, number?, number?][] = [
  ["all time"],
  ["ragged, 2023-01-17 to 2025-11-13", Date.UTC(2023, 0, 16) + 1, Date.UTC(2025, 10, 13) + 5],
  ["62 days across months", Date.UTC(2024, 0, 31), Date.UTC(2024, 3, 2)],
  ["until 2024-07-05", undefined, Date.UTC(2024, 6, 5)],
];
/** Day and week rows with models: ranges a team can ask for (3 years of them are past the budget). */
const DAY_RANGES: [string, number?, number?][] = [["62 days across months", Date.UTC(2024, 0, 31), Date.UTC(2024, 3, 2)]];
/** The months in which a range above has a ragged end: where device and project day cells are read. */
const EDGE_MONTHS = new Set(
  RANGES.flatMap(([, from, to]) => [from, to].filter((ms) => ms !== undefined).map((ms) => utcDay(Math.ceil(ms / DAY) * DAY).slice(0, 7))),
);
const KEYS: Record<"device" | "project" | "model", number> = { device: DEVICES, project: PROJECTS, model: MODELS };
const rangeArgs = (from?: number, to?: number) => ({ ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });

describe("a team of 100 devices x 3 years x 20 projects x 30 models", () => {
  let t: T;
  let units: Unit[];
  const reads: Record<string, number> = {};

  beforeAll(async () => {
    vi.stubEnv("SESSION_EXPORT_TOKEN", TOKEN);
    const started = performance.now();
    units = team();
    const cells = cellsOf(units, EDGE_MONTHS);
    console.log(`team: seeding ${cells.length} cells for ${units.length} device-days (once, for every test of this file)`);
    t = convexTest({ schema, modules, transactionLimits: true });
    await seed(t, cells);
    console.log(`team: seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }, 120_000);

  afterAll(() => {
    vi.unstubAllEnvs();
    console.log("team: documents read per report shape", reads);
  });

  for (const by of ["device", "project", "model", "month"] as const) {
    test(`by ${by}: keys x (months + 62) cells at most, for every range`, async () => {
      for (const [label, from, to] of RANGES) {
        const m = await measure(t, { by, ...rangeArgs(from, to) });
        reads[`${by}, ${label}`] = m.documentsRead;
        const keys = by === "month" ? TOTAL_SHARDS : KEYS[by];
        expect(m.documentsRead, label).toBeLessThanOrEqual(keys * (span(from, to).months + 62));
        expect(m.documentsRead, label).toBeLessThan(32_000 / 4);
        expect(m.bytesRead, label).toBeLessThan(4 * 2 ** 20);
        expect(m.databaseQueries, label).toBeLessThanOrEqual(3);
        expectRows(m.rows!, expected(units, by, from, to), `${by} ${label}`);
      }
    }, 120_000);
  }

  test(`by month with models: (${TOTAL_SHARDS} total shards + models) x (months + 62)`, async () => {
    for (const [label, from, to] of RANGES.filter(([l]) => !l.startsWith("until"))) {
      const m = await measure(t, { by: "month", models: true, ...rangeArgs(from, to) });
      reads[`month with models, ${label}`] = m.documentsRead;
      expect(m.documentsRead, label).toBeLessThanOrEqual((TOTAL_SHARDS + MODELS) * (span(from, to).months + 62));
      expect(m.documentsRead, label).toBeLessThan(32_000 / 2);
      expect(m.bytesRead, label).toBeLessThan(8 * 2 ** 20);
      expectRows(m.rows!, expected(units, "month", from, to, true), `month models ${label}`);
    }
  }, 120_000);

  for (const by of ["day", "week"] as const) {
    test(`by ${by} with models: the day's ${TOTAL_SHARDS} total shards and its models`, async () => {
      for (const [label, from, to] of DAY_RANGES) {
        const m = await measure(t, { by, models: true, ...rangeArgs(from, to) });
        reads[`${by} with models, ${label}`] = m.documentsRead;
        expect(m.documentsRead, label).toBeLessThanOrEqual((TOTAL_SHARDS + MODELS) * span(from, to).days);
        expectReportOrder(by, m.rows!);
        expect(m.documentsRead, label).toBeLessThan(32_000 * 0.9);
        expect(m.bytesRead, label).toBeLessThan(8 * 2 ** 20);
        expectRows(m.rows!, expected(units, by, from, to, true), `${by} models ${label}`);
      }
    }, 120_000);
  }

  test("by day and week without models: the total shards only", async () => {
    for (const by of ["day", "week"] as const) {
      const m = await measure(t, { by });
      reads[`${by}, all time`] = m.documentsRead;
      expect(m.documentsRead).toBeLessThanOrEqual(TOTAL_SHARDS * DAYS);
      expectRows(m.rows!, expected(units, by), `${by} all time`);
    }
  }, 120_000);

  test("past the budget: by day with models over all 3 years fails with REPORT_TOO_LARGE, never a half answer", async () => {
    // 4 total shards + 30 models a day for 1,096 days: more cells than one report may read.
    const m = await measure(t, { by: "day", models: true });
    reads["day with models, all time (fails)"] = m.documentsRead;
    expect(m.code).toBe("REPORT_TOO_LARGE");
    expect(m.rows).toBeUndefined();
    // Stopped by the report's own budget, before Convex's limit would have.
    expect(m.documentsRead).toBe(READ_BUDGET_DOCS + 1);
    expect(m.message).toMatch(/ask for a shorter range/);
  }, 120_000);
});
