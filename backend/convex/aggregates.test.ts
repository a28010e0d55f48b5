import { convexTest } from "convex-test";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { expectAggregatesConsistent as consistent } from "../test/consistency";
import { genSession, int, pick, prng, type Shape } from "../test/generate";
import { sampleSession } from "../test/sample";
import { api } from "./_generated/api";
import { Accumulator, contribution } from "./aggregates";
import { isoWeek } from "./report";
import schema from "./schema";
import { modules } from "./test.setup";
import type { ReportBy, ReportRow, SessionDoc } from "./validators";

const TOKEN = "s3cret-token";
const READ_TOKEN = "r3ad-token";

beforeEach(() => (vi.stubEnv("SESSION_EXPORT_TOKEN", TOKEN), vi.stubEnv("SESSION_EXPORT_READ_TOKEN", READ_TOKEN)));
afterEach(() => vi.unstubAllEnvs());

const setup = () => convexTest(schema, modules);
type T = ReturnType<typeof setup>;

const expectAggregatesConsistent = (t: T, ranges?: [number?, number?][]) => consistent(t, TOKEN, ranges);

const reportWithList = (t: T, by: ReportBy, from?: number, to?: number) =>
  t.query(api.sessions.report, {
    token: TOKEN,
    by,
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  });
/** Rows without listCost and unpricedMessages (checked on their own below). */
const base = ({ listCost, unpricedMessages, models, ...rest }: ReportRow): Omit<ReportRow, "listCost"> => ({
  ...rest,
  ...(models === undefined ? {} : { models: models.map(base) as ReportRow[] }),
});
const report = async (t: T, by: ReportBy, from?: number, to?: number) => (await reportWithList(t, by, from, to)).map(base);

const tk = (n: number) => ({ input: n, output: n, reasoning: 0, cacheRead: 0, cacheWrite: 0 });
const SONNET = "anthropic/claude-sonnet-4";
const GPT = "openai/gpt-5";

describe("report: a small hand-checked set", () => {
  // Two root sessions on device A (project /p), one on device B (project /q),
  // a subagent document (stored, not counted) and one from an older exporter.
  const docs: SessionDoc[] = [
    sampleSession({
      sessionId: "r1",
      deviceId: "A",
      hostname: "alpha",
      projectDirectory: "/p",
      createdAt: Date.UTC(2024, 0, 1, 23),
      daily: [
        { day: "2024-01-01", sessions: 1, messages: 4, cost: 1, tokens: tk(10), models: [{ model: SONNET, sessions: 1, messages: 2, cost: 1, tokens: tk(10) }] },
        { day: "2024-01-02", sessions: 1, messages: 2, cost: 2, tokens: tk(20), models: [{ model: GPT, sessions: 1, messages: 1, cost: 2, tokens: tk(20) }] },
      ],
      subagents: {
        sessionCount: 2,
        messageCount: 6,
        cost: 0.5,
        tokens: tk(5),
        daily: [{ day: "2024-01-02", sessions: 2, messages: 6, cost: 0.5, tokens: tk(5), models: [{ model: SONNET, sessions: 2, messages: 3, cost: 0.5, tokens: tk(5) }] }],
      },
    }),
    sampleSession({
      sessionId: "r2",
      deviceId: "A",
      hostname: "alpha",
      projectDirectory: "/p",
      createdAt: Date.UTC(2024, 0, 8),
      daily: [{ day: "2024-01-08", sessions: 1, messages: 3, cost: 4, tokens: tk(40), models: [{ model: SONNET, sessions: 1, messages: 1, cost: 4, tokens: tk(40) }] }],
    }),
    sampleSession({
      sessionId: "r3",
      deviceId: "B",
      hostname: "beta",
      projectDirectory: "/q",
      createdAt: Date.UTC(2024, 1, 1),
      daily: [{ day: "2024-02-01", sessions: 1, messages: 5, cost: 8, tokens: tk(80), models: [{ model: GPT, sessions: 1, messages: 2, cost: 8, tokens: tk(80) }] }],
    }),
    sampleSession({
      sessionId: "r1-child",
      parentSessionId: "r1",
      deviceId: "A",
      createdAt: Date.UTC(2024, 0, 2),
      daily: [{ day: "2024-01-02", sessions: 1, messages: 99, cost: 99, tokens: tk(99), models: [] }],
    }),
    // Older exporter: no daily. Whole session on its createdAt day, model = primaryModel.
    sampleSession({
      sessionId: "old",
      deviceId: "B",
      hostname: "beta",
      projectDirectory: "/q",
      createdAt: Date.UTC(2024, 0, 2, 12),
      messageCount: 7,
      cost: 0.25,
      tokens: tk(1),
      primaryModel: GPT,
    }),
  ];

  async function seeded() {
    const t = setup();
    await t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: docs });
    return t;
  }
  const row = (key: string, sessions: number, messages: number, cost: number, n: number) => ({
    key, sessions, messages, cost, tokens: tk(n),
  });

  test("by day, week, month", async () => {
    const t = await seeded();
    expect(await report(t, "day")).toEqual([
      row("2024-01-01", 1, 4, 1, 10),
      row("2024-01-02", 1 + 2 + 1, 2 + 6 + 7, 2 + 0.5 + 0.25, 20 + 5 + 1),
      row("2024-01-08", 1, 3, 4, 40),
      row("2024-02-01", 1, 5, 8, 80),
    ]);
    // 2024-01-01 is a Monday: the first three days are W01, the 8th W02, Feb 1st W05.
    expect(await report(t, "week")).toEqual([
      row("2024-W01", 5, 19, 3.75, 36),
      row("2024-W02", 1, 3, 4, 40),
      row("2024-W05", 1, 5, 8, 80),
    ]);
    expect(await report(t, "month")).toEqual([row("2024-01", 6, 22, 7.75, 76), row("2024-02", 1, 5, 8, 80)]);
  });

  test("by device, project, model; cost descending", async () => {
    const t = await seeded();
    expect(await report(t, "device")).toEqual([
      { ...row("B", 2, 12, 8.25, 81), label: "beta" },
      { ...row("A", 5, 15, 7.5, 75), label: "alpha" },
    ]);
    expect(await report(t, "project")).toEqual([row("/q", 2, 12, 8.25, 81), row("/p", 5, 15, 7.5, 75)]);
    // model: assistant messages of the model; the old document counts whole.
    expect(await report(t, "model")).toEqual([row(GPT, 3, 1 + 2 + 7, 10.25, 101), row(SONNET, 4, 2 + 3 + 1, 5.5, 55)]);
  });

  test("day and month rows split by model with models: true", async () => {
    const t = await seeded();
    const days = (await t.query(api.sessions.report, { token: TOKEN, by: "day", models: true })).map(base);
    expect(days.find((r) => r.key === "2024-01-02")?.models).toEqual([
      // r1 (GPT, 1 message) and the old document (GPT, 7 messages) and r1's subagents (SONNET).
      row(GPT, 2, 1 + 7, 2.25, 21),
      row(SONNET, 2, 3, 0.5, 5),
    ]);
    expect(days.find((r) => r.key === "2024-01-01")?.models).toEqual([row(SONNET, 1, 2, 1, 10)]);
    const months = (await t.query(api.sessions.report, { token: TOKEN, by: "month", models: true })).map(base);
    expect(months[0].models).toEqual([row(SONNET, 1 + 2 + 1, 2 + 3 + 1, 5.5, 55), row(GPT, 2, 8, 2.25, 21)]);
    // Without the switch (and for non-time rows) there is no split.
    expect((await report(t, "day"))[0]).not.toHaveProperty("models");
    expect((await t.query(api.sessions.report, { token: TOKEN, by: "model", models: true }))[0]).not.toHaveProperty("models");
  });

  test("a range: days whose UTC start is in [from, to)", async () => {
    const t = await seeded();
    // from one ms after Jan 1st 00:00 -> Jan 1st is out; to Jan 8th 00:00 -> Jan 8th is out.
    const from = Date.UTC(2024, 0, 1) + 1;
    const to = Date.UTC(2024, 0, 8);
    expect((await report(t, "day", from, to)).map((r) => r.key)).toEqual(["2024-01-02"]);
    expect(await report(t, "device", from, to)).toEqual([
      { ...row("A", 3, 8, 2.5, 25), label: "alpha" },
      { ...row("B", 1, 7, 0.25, 1), label: "beta" },
    ]);
    expect((await report(t, "day", Date.UTC(2024, 0, 8), Date.UTC(2024, 0, 8, 0, 0, 0, 1))).map((r) => r.key)).toEqual(["2024-01-08"]);
    expect(await report(t, "model", to, from)).toEqual([]);
    expect((await report(t, "month", Date.UTC(2024, 1, 1))).map((r) => r.key)).toEqual(["2024-02"]);
    expect((await report(t, "project", undefined, Date.UTC(2024, 0, 2))).map((r) => r.key)).toEqual(["/p"]);
  });

  test("an update moves the contribution; stale and unchanged upserts change nothing", async () => {
    const t = await seeded();
    const before = await t.run((ctx) => ctx.db.query("cells").collect());
    const r2 = docs[1];
    // Stale (older updatedAt, different numbers) and unchanged (only exportedAt differs).
    const stale = { ...r2, updatedAt: r2.updatedAt - 1, cost: 1000 };
    const same = { ...r2, exportedAt: r2.exportedAt + 5 };
    const res = await t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: [stale, same] });
    expect(res.map((r) => r.result)).toEqual(["stale", "unchanged"]);
    expect(await t.run((ctx) => ctx.db.query("cells").collect())).toEqual(before);

    // r2 moves to a later day, device and model: its old cells disappear.
    await t.mutation(api.sessions.upsert, {
      token: TOKEN,
      ...r2,
      deviceId: "C",
      hostname: "gamma",
      updatedAt: r2.updatedAt + 1,
      daily: [{ day: "2024-01-09", sessions: 1, messages: 3, cost: 4, tokens: tk(40), models: [{ model: "x/y", sessions: 1, messages: 1, cost: 4, tokens: tk(40) }] }],
    });
    expect((await report(t, "day")).map((r) => r.key)).toEqual(["2024-01-01", "2024-01-02", "2024-01-09", "2024-02-01"]);
    expect((await report(t, "device")).map((r) => [r.key, r.sessions])).toEqual([["B", 2], ["C", 1], ["A", 4]]);
    expect((await report(t, "model")).map((r) => r.key)).toEqual([GPT, "x/y", SONNET]);
    await expectAggregatesConsistent(t);
  });

  test("listCost and unpricedMessages: summed like cost; an exporter that did not price counts its assistant messages unpriced", async () => {
    const t = setup();
    const priced = sampleSession({
      sessionId: "p1",
      deviceId: "A",
      createdAt: Date.UTC(2024, 2, 1),
      listCost: 3,
      unpricedMessages: 2,
      daily: [
        {
          day: "2024-03-01",
          sessions: 1,
          messages: 6,
          cost: 0,
          listCost: 3,
          unpricedMessages: 2,
          tokens: tk(10),
          models: [
            { model: SONNET, sessions: 1, messages: 2, cost: 0, listCost: 3, tokens: tk(8) },
            { model: "x/unknown", sessions: 1, messages: 2, cost: 0, listCost: 0, unpricedMessages: 2, tokens: tk(2) },
          ],
        },
      ],
    });
    // Daily usage but no listCost anywhere: its 1 + 3 assistant messages are unpriced.
    const unpriced = sampleSession({
      sessionId: "p2",
      deviceId: "B",
      createdAt: Date.UTC(2024, 2, 1),
      daily: [
        {
          day: "2024-03-01",
          sessions: 1,
          messages: 7,
          cost: 1,
          tokens: tk(5),
          models: [
            { model: SONNET, sessions: 1, messages: 1, cost: 0.5, tokens: tk(2) },
            { model: GPT, sessions: 1, messages: 3, cost: 0.5, tokens: tk(3) },
          ],
        },
      ],
    });
    // No daily, no listCost: its assistantMessageCount (2) is unpriced, on its createdAt day.
    const old = sampleSession({ sessionId: "p3", deviceId: "B", createdAt: Date.UTC(2024, 2, 2, 5), primaryModel: GPT });
    await t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: [priced, unpriced, old] });
    const days = await t.query(api.sessions.report, { token: TOKEN, by: "day", models: true });
    expect(days.map((r) => [r.key, r.listCost, r.unpricedMessages])).toEqual([
      ["2024-03-01", 3, 2 + 4],
      ["2024-03-02", 0, 2],
    ]);
    expect(days[0].models!.map((m) => [m.key, m.listCost, m.unpricedMessages])).toEqual([
      [SONNET, 3, 1],
      [GPT, 0, 3],
      ["x/unknown", 0, 2],
    ]);
    // Present only when > 0.
    expect(days[0].models![0]).toHaveProperty("unpricedMessages");
    const devices = await t.query(api.sessions.report, { token: TOKEN, by: "device" });
    expect(devices.map((r) => [r.key, r.listCost, r.unpricedMessages])).toEqual([
      ["B", 0, 4 + 2],
      ["A", 3, 2],
    ]);
    // A pricing exporter's session with every model priced: listCost, no unpricedMessages.
    await t.mutation(api.sessions.upsert, {
      token: TOKEN,
      ...priced,
      updatedAt: priced.updatedAt + 1,
      unpricedMessages: undefined,
      daily: [{ ...priced.daily![0], unpricedMessages: undefined, models: [priced.daily![0].models![0]] }],
    });
    const a = (await t.query(api.sessions.report, { token: TOKEN, by: "device" })).find((r) => r.key === "A")!;
    expect(a.listCost).toBe(3);
    expect(a).not.toHaveProperty("unpricedMessages");
    await expectAggregatesConsistent(t);
  });

  test("a malformed daily day rejects the batch", async () => {
    const t = setup();
    const bad = sampleSession({ daily: [{ day: "2024-1-5", sessions: 1, messages: 1, cost: 0, tokens: tk(0) }] });
    await expect(t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: [bad] })).rejects.toThrow(/YYYY-MM-DD/);
    expect(await t.run((ctx) => ctx.db.query("sessions").collect())).toEqual([]);
  });

  test("from/to must be numbers of milliseconds", async () => {
    const t = await seeded();
    await expect(report(t, "day", Number.NaN)).rejects.toThrow(/from/);
  });
});

test("isoWeek: year boundaries", () => {
  expect(isoWeek("2024-01-01")).toBe("2024-W01");
  expect(isoWeek("2024-12-30")).toBe("2025-W01");
  expect(isoWeek("2021-01-03")).toBe("2020-W53");
  expect(isoWeek("2026-12-31")).toBe("2026-W53");
  expect(isoWeek("2027-01-01")).toBe("2026-W53");
  expect(isoWeek("2023-01-01")).toBe("2022-W52");
});

test("Accumulator: adding and removing the same contribution cancels out", () => {
  const acc = new Accumulator();
  const doc = genSession(prng(1), "x", { days: 10, devices: 2, projects: 2, models: 2, oldShare: 0, childShare: 0 });
  acc.add(contribution(doc), 1);
  acc.add(contribution(doc), -1);
  // Nothing to apply: apply() would make no call on the database.
  const calls: string[] = [];
  const db = new Proxy({}, { get: (_t, p) => () => calls.push(String(p)) });
  return acc.apply({ db } as never).then(() => expect(calls).toEqual([]));
});

describe("property: random inserts, updates, stale, unchanged and spoiled (NaN) upserts; day, week and month rows with models, device labels, list figures, totals in newest-session order", () => {
  test.each([1, 2, 3, 4, 5])("seed %i: rollups equal a recomputation from the stored sessions", async (seed) => {
    const rng = prng(seed);
    const shape: Shape = { days: 20, devices: 3, projects: 4, models: 3, oldShare: 0.15, childShare: 0.15, content: true };
    const t = setup();
    const latest = new Map<string, { doc: SessionDoc; version: number }>();
    const ids = Array.from({ length: 40 }, (_, i) => `s${seed}-${i}`);
    // Per device / project: the newest createdAt of a top-level version counted under it
    // while it had sessions (what orders `totals`: a key keeps it when that session moves away).
    const newest = { device: new Map<string, number>(), project: new Map<string, number>() };
    for (let step = 0; step < 30; step++) {
      const batch: SessionDoc[] = [];
      const expected: string[] = [];
      for (let j = int(rng, 1, 8); j > 0; j--) {
        const id = pick(rng, ids);
        const known = latest.get(id);
        const r = rng();
        let doc: SessionDoc;
        if (known === undefined || r < 0.45) {
          // Insert, or a newer version with new numbers (an update).
          const version = (known?.version ?? 0) + 1;
          doc = genSession(rng, id, shape, version);
          latest.set(id, { doc, version });
          expected.push(known === undefined ? "inserted" : "updated");
        } else if (r < 0.65) {
          // Stale: an older updatedAt with other numbers.
          doc = { ...genSession(rng, id, shape, 0), updatedAt: known.doc.updatedAt - 1 };
          expected.push("stale");
        } else if (r < 0.85) {
          // Unchanged: a repeat with another exportedAt.
          doc = { ...known.doc, exportedAt: known.doc.exportedAt + int(rng, 1, 100) };
          expected.push("unchanged");
        } else {
          // Same updatedAt, one field changed: an update.
          doc = { ...known.doc, title: `t${step}`, cost: known.doc.cost + 1 };
          latest.set(id, { doc, version: known.version });
          expected.push("updated");
        }
        batch.push(doc);
      }
      if (step % 10 === 5) {
        // The batch again with one number spoiled: rejected whole, nothing moves.
        const spoiled = structuredClone(batch);
        const victim = spoiled[int(rng, 0, spoiled.length - 1)];
        const bad = pick(rng, [Number.NaN, Number.POSITIVE_INFINITY, -1]);
        if (victim.daily?.length && rng() < 0.5) victim.daily[0].cost = bad;
        else victim.tokens.output = bad;
        const before = await t.run((ctx) => ctx.db.query("cells").collect());
        await expect(t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: spoiled })).rejects.toThrow(
          /not a finite number >= 0/,
        );
        expect(await t.run((ctx) => ctx.db.query("cells").collect())).toEqual(before);
      }
      // A session appearing twice in a batch: later entries see earlier ones, so
      // compare only when each id appears once; otherwise check the end state only.
      const res =
        batch.length === 1 && rng() < 0.5
          ? [await t.mutation(api.sessions.upsert, { token: TOKEN, ...batch[0] })]
          : await t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: batch });
      if (new Set(batch.map((d) => d.sessionId)).size === batch.length) {
        expect(res.map((r) => r.result)).toEqual(expected);
      }
      const live = [...latest.values()].map((l) => l.doc).filter((d) => d.parentSessionId === undefined);
      batch.forEach((doc, i) => {
        if (doc.parentSessionId !== undefined || (res[i].result !== "inserted" && res[i].result !== "updated")) return;
        for (const [by, key] of [["device", doc.deviceId], ["project", doc.projectId]] as const) {
          newest[by].set(key, Math.max(newest[by].get(key) ?? 0, doc.createdAt));
        }
      });
      for (const [by, keyOf] of [["device", (d: SessionDoc) => d.deviceId], ["project", (d: SessionDoc) => d.projectId]] as const) {
        for (const key of newest[by].keys()) if (!live.some((d) => keyOf(d) === key)) newest[by].delete(key);
      }
    }
    // Stored documents are the latest versions sent, content included.
    for (const [id, { doc }] of latest) {
      const got = await t.query(api.sessions.get, { token: READ_TOKEN, sessionId: id });
      const { _id, _creationTime, ...rest } = got!;
      expect(rest).toEqual(doc);
    }
    await expectAggregatesConsistent(t, [[], [Date.UTC(2024, 0, 5), Date.UTC(2024, 0, 12) + 7]]);
    // totals: keys in newest-session order (ties by key).
    for (const by of ["device", "project"] as const) {
      const order = [...newest[by]].sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : 1)).map(([k]) => k);
      expect((await t.query(api.sessions.totals, { token: TOKEN, by })).map((r) => r.key), `totals by ${by}`).toEqual(order);
    }
  }, 120_000);
});
