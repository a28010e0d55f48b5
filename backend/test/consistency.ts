import type { TestConvex } from "convex-test";
import { expect } from "vitest";
import { api } from "../convex/_generated/api";
import { contribution } from "../convex/aggregates";
import type schema from "../convex/schema";
import { summaryOf } from "../convex/storage";
import type { ReportBy, SessionDoc } from "../convex/validators";
import { expectReportOrder, expectRowsClose } from "./compare";
import { expectedReport } from "./generate";

type T = TestConvex<typeof schema>;
const BYS: ReportBy[] = ["day", "week", "month", "device", "project", "model"];

/** Every stored session, as sent. */
export async function storedDocs(t: T): Promise<SessionDoc[]> {
  return await t.run(async (ctx) => (await ctx.db.query("sessions").collect()).map(summaryOf));
}

/**
 * The invariant: the incrementally maintained rollups/groupTotals equal a
 * rebuild from the stored sessions, and every report equals the reference
 * computation from the documents.
 */
export async function expectAggregatesConsistent(t: T, token: string, ranges: [number?, number?][] = [[]]) {
  const docs = await storedDocs(t);
  const rebuilt = new Map<string, { sessions: number; messages: number; cost: number; listCost: number; unpriced: number }>();
  for (const doc of docs) {
    for (const c of contribution(doc).cells) {
      // Each share of a day is in that day's cell and in its month's.
      for (const k of [`day|${c.dim}|${c.day}|${c.key}`, `month|${c.dim}|${c.day.slice(0, 7)}|${c.key}`]) {
        const r = rebuilt.get(k) ?? { sessions: 0, messages: 0, cost: 0, listCost: 0, unpriced: 0 };
        r.sessions += c.usage.sessions;
        r.messages += c.usage.messages;
        r.cost += c.usage.cost;
        r.listCost += c.usage.listCost;
        r.unpriced += c.usage.unpricedMessages;
        rebuilt.set(k, r);
      }
    }
  }
  for (const [k, r] of rebuilt) if (r.sessions === 0 && r.messages === 0) rebuilt.delete(k);
  const rows = await t.run((ctx) => ctx.db.query("cells").collect());
  const id = (r: (typeof rows)[number]) => `${r.grain}|${r.dim}|${r.period}|${r.key}`;
  expect(rows.map(id).sort()).toEqual([...rebuilt.keys()].sort());
  for (const r of rows) {
    const exp = rebuilt.get(id(r))!;
    expect([r.sessions, r.messages, r.unpricedMessages ?? 0]).toEqual([exp.sessions, exp.messages, exp.unpriced]);
    expect(Math.abs(r.cost - exp.cost)).toBeLessThan(1e-6);
    expect(Math.abs((r.listCost ?? 0) - exp.listCost)).toBeLessThan(1e-6);
  }
  for (const [from, to] of ranges) {
    for (const by of BYS) {
      const actual = await t.query(api.sessions.report, { token, by, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
      expectRowsClose(actual, expectedReport(docs, by, from, to), `${by} [${from}, ${to})`);
      expectReportOrder(by, actual);
      if (by === "day" || by === "week" || by === "month") {
        const range = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
        const split = await t.query(api.sessions.report, { token, by, models: true, ...range });
        expectRowsClose(split, expectedReport(docs, by, from, to, true), `${by} with models [${from}, ${to})`);
      }
    }
  }
  // groupTotals: whole top-level sessions per device / project.
  for (const by of ["device", "project"] as const) {
    const totals = await t.query(api.sessions.totals, { token, by });
    const exp = new Map<string, { sessionCount: number; messageCount: number; cost: number }>();
    for (const d of docs) {
      if (d.parentSessionId !== undefined) continue;
      const key = by === "device" ? d.deviceId : d.projectId;
      const e = exp.get(key) ?? { sessionCount: 0, messageCount: 0, cost: 0 };
      e.sessionCount += 1;
      e.messageCount += d.messageCount + (d.subagents?.messageCount ?? 0);
      e.cost += d.cost + (d.subagents?.cost ?? 0);
      exp.set(key, e);
    }
    expect(totals.map((r) => r.key).sort()).toEqual([...exp.keys()].sort());
    for (const r of totals) {
      const e = exp.get(r.key)!;
      expect([r.sessionCount, r.messageCount]).toEqual([e.sessionCount, e.messageCount]);
      expect(Math.abs(r.cost - e.cost)).toBeLessThan(1e-6);
    }
  }
}

