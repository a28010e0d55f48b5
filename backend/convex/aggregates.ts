/**
 * The rollups: what one stored session contributes to the `cells` and
 * `groupTotals` tables, and how a mutation applies the net change of all the
 * sessions it wrote, once per touched cell, in the same transaction.
 */
import { ConvexError } from "convex/values";
import type { MutationCtx } from "./_generated/server";
import type { CellGrain, DailyUsage, RollupDim, Summary, TokenCounts } from "./validators";

export const DAY_MS = 86_400_000;
const TOKEN_KEYS = ["input", "output", "reasoning", "cacheRead", "cacheWrite"] as const;
/** Below this a sum counts as zero (floating-point residue of add-then-subtract). */
const EPSILON = 1e-9;

export interface Usage {
  sessions: number;
  messages: number;
  cost: number;
  listCost: number;
  unpricedMessages: number;
  tokens: TokenCounts;
}

export interface TotalsUsage {
  sessionCount: number;
  subagentSessionCount: number;
  messageCount: number;
  cost: number;
  tokens: TokenCounts;
}

/** One cell's share of one session. */
export interface CellPart {
  dim: RollupDim;
  day: string;
  key: string;
  label?: string;
  usage: Usage;
}

export interface TotalsPart {
  by: "device" | "project";
  key: string;
  label: string;
  createdAt: number;
  usage: TotalsUsage;
}

export interface Contribution {
  cells: CellPart[];
  totals: TotalsPart[];
}

export function zeroTokens(): TokenCounts {
  return { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 };
}

export function addTokens(into: TokenCounts, from: TokenCounts, sign = 1): void {
  for (const k of TOKEN_KEYS) into[k] += sign * from[k];
}

/** "YYYY-MM-DD" of a UTC day start (epoch ms). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Dim "total" is split into this many cells per day and month, by device, so
 * exporters on different machines seldom write the same document. A day row
 * reads this many cells.
 */
export const TOTAL_SHARDS = 4;

/** The shard of the "total" cells a device's usage goes to: "0".."3". */
export function totalShard(deviceId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) h = Math.imul(h ^ deviceId.charCodeAt(i), 0x01000193);
  return String((h >>> 0) % TOTAL_SHARDS);
}

const DAY_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/**
 * The list figures of one entry of a document (a day, a day's model, a
 * session or its subagents): as sent, or, from an exporter that did not
 * price usage (no `listCost`), none at list price and all `assistant`
 * messages unpriced, so its usage is never taken as worth $0.
 */
function listOf(e: { listCost?: number; unpricedMessages?: number }, assistant: number) {
  return e.listCost === undefined
    ? { listCost: 0, unpricedMessages: assistant }
    : { listCost: e.listCost, unpricedMessages: e.unpricedMessages ?? 0 };
}

/**
 * What a stored session contributes. Only top-level sessions count: a
 * subagent's usage is already in its root's `subagents` roll-up, so a subagent
 * document exported on its own contributes nothing.
 *
 * Per UTC day, the session's own `daily` plus `subagents.daily`. A session
 * (or a subagents object) without `daily` comes from an older exporter: it is
 * attributed whole to the UTC day of `createdAt`, to model `primaryModel`
 * (or "unknown"), with messages = messageCount.
 *
 * `listCost` and `unpricedMessages` are summed as `cost` is (see `listOf`
 * for entries without them). `list: false` leaves them out: what the
 * previous version (cellsVersion 2) summed.
 */
export function contribution(s: Summary, list = true): Contribution {
  const out: Contribution = { cells: [], totals: [] };
  if (s.parentSessionId !== undefined) return out;

  const cell = (dim: RollupDim, day: string, key: string, usage: Usage, label?: string) => {
    out.cells.push({ dim, day, key, usage, ...(label === undefined ? {} : { label }) });
  };
  const addDay = (d: DailyUsage) => {
    if (!DAY_RE.test(d.day)) {
      throw new ConvexError({
        code: "INVALID_DOCUMENT",
        message: `session ${s.sessionId}: daily day "${d.day}" is not YYYY-MM-DD`,
      });
    }
    // A day's assistant messages are its models'; a day without that split counts all its messages.
    const assistant = d.models === undefined ? d.messages : d.models.reduce((n, m) => n + m.messages, 0);
    const usage: Usage = { sessions: d.sessions, messages: d.messages, cost: d.cost, ...priced(d, assistant), tokens: d.tokens };
    cell("total", d.day, totalShard(s.deviceId), usage);
    cell("device", d.day, s.deviceId, usage, s.hostname);
    cell("project", d.day, s.projectDirectory, usage);
    for (const m of d.models ?? []) {
      const mu: Usage = { sessions: m.sessions, messages: m.messages, cost: m.cost, ...priced(m, m.messages), tokens: m.tokens };
      cell("model", d.day, m.model, mu);
    }
  };
  const priced = (e: { listCost?: number; unpricedMessages?: number }, assistant: number) =>
    list ? listOf(e, assistant) : { listCost: 0, unpricedMessages: 0 };
  const addWhole = (usage: Usage) => {
    if (usage.sessions === 0 && usage.messages === 0 && usage.cost === 0) return;
    addDay({
      day: utcDay(s.createdAt),
      ...usage,
      models: [{ model: s.primaryModel ?? "unknown", ...usage }],
    });
  };

  if (s.daily !== undefined) s.daily.forEach(addDay);
  else addWhole({ sessions: 1, messages: s.messageCount, cost: s.cost, ...listOf(s, s.assistantMessageCount), tokens: s.tokens });

  const sub = s.subagents;
  if (sub !== undefined) {
    if (sub.daily !== undefined) sub.daily.forEach(addDay);
    // Subagents do not count their assistant messages apart: all their messages.
    else addWhole({ sessions: sub.sessionCount, messages: sub.messageCount, cost: sub.cost, ...listOf(sub, sub.messageCount), tokens: sub.tokens });
  }

  const whole: TotalsUsage = {
    sessionCount: 1,
    subagentSessionCount: sub?.sessionCount ?? 0,
    messageCount: s.messageCount + (sub?.messageCount ?? 0),
    cost: s.cost + (sub?.cost ?? 0),
    tokens: zeroTokens(),
  };
  addTokens(whole.tokens, s.tokens);
  if (sub !== undefined) addTokens(whole.tokens, sub.tokens);
  out.totals.push({ by: "device", key: s.deviceId, label: s.hostname, createdAt: s.createdAt, usage: whole });
  out.totals.push({ by: "project", key: s.projectId, label: s.projectDirectory, createdAt: s.createdAt, usage: whole });
  return out;
}

interface CellDelta {
  grain: CellGrain;
  dim: RollupDim;
  period: string;
  key: string;
  /** Label of the newest version added / of a version removed. */
  label?: string;
  removedLabel?: string;
  usage: Usage;
}

interface TotalsDelta {
  by: "device" | "project";
  key: string;
  label?: string;
  createdAt?: number;
  removedLabel?: string;
  removedCreatedAt?: number;
  usage: TotalsUsage;
}

/**
 * The net change of one mutation's writes, per cell. Adding the old version
 * with sign -1 and the new one with +1 leaves untouched cells at zero, and
 * several sessions on the same day/device/model share one cell, so applying
 * costs one index lookup and at most one write per distinct touched cell.
 * Each share of a day goes to that day's cell and to its month's cell.
 */
export class Accumulator {
  private cells = new Map<string, CellDelta>();
  private totals = new Map<string, TotalsDelta>();

  /** `only`: the `cells` part or the `groupTotals` part alone (a row counted in one but not the other). */
  add(c: Contribution, sign: 1 | -1, only?: "cells" | "totals"): void {
    for (const part of only === "totals" ? [] : c.cells) {
      for (const [grain, period] of [["day", part.day], ["month", part.day.slice(0, 7)]] as const) {
        const id = `${grain}\u0000${part.dim}\u0000${period}\u0000${part.key}`;
        let d = this.cells.get(id);
        if (d === undefined) {
          d = { grain, dim: part.dim, period, key: part.key, usage: emptyUsage() };
          this.cells.set(id, d);
        }
        d.usage.sessions += sign * part.usage.sessions;
        d.usage.messages += sign * part.usage.messages;
        d.usage.cost += sign * part.usage.cost;
        d.usage.listCost += sign * part.usage.listCost;
        d.usage.unpricedMessages += sign * part.usage.unpricedMessages;
        addTokens(d.usage.tokens, part.usage.tokens, sign);
        if (sign > 0 && part.label !== undefined) d.label = part.label;
        if (sign < 0 && part.label !== undefined) d.removedLabel = part.label;
      }
    }
    for (const part of only === "cells" ? [] : c.totals) {
      const id = `${part.by}\u0000${part.key}`;
      let d = this.totals.get(id);
      if (d === undefined) {
        d = { by: part.by, key: part.key, usage: emptyTotals() };
        this.totals.set(id, d);
      }
      d.usage.sessionCount += sign * part.usage.sessionCount;
      d.usage.subagentSessionCount += sign * part.usage.subagentSessionCount;
      d.usage.messageCount += sign * part.usage.messageCount;
      d.usage.cost += sign * part.usage.cost;
      addTokens(d.usage.tokens, part.usage.tokens, sign);
      if (sign > 0 && (d.createdAt === undefined || part.createdAt >= d.createdAt)) {
        d.createdAt = part.createdAt;
        d.label = part.label;
      }
      if (sign < 0) {
        d.removedCreatedAt = part.createdAt;
        d.removedLabel = part.label;
      }
    }
  }

  /** Writes the net change: one lookup per touched cell; a cell whose counts reach 0 is deleted. */
  async apply(ctx: MutationCtx): Promise<void> {
    for (const d of this.cells.values()) {
      // Nothing to add and no new label: no read, no write.
      if (isZeroUsage(d.usage) && (d.label === undefined || d.label === d.removedLabel)) continue;
      const row = await ctx.db
        .query("cells")
        .withIndex("by_grain_dim_period_key", (q) =>
          q.eq("grain", d.grain).eq("dim", d.dim).eq("period", d.period).eq("key", d.key),
        )
        .unique();
      const next: Usage =
        row === null
          ? emptyUsage()
          : {
              sessions: row.sessions,
              messages: row.messages,
              cost: row.cost,
              // A cell of the previous version has neither: its rows add them as they migrate.
              listCost: row.listCost ?? 0,
              unpricedMessages: row.unpricedMessages ?? 0,
              tokens: { ...row.tokens },
            };
      next.sessions += d.usage.sessions;
      next.messages += d.usage.messages;
      next.cost += d.usage.cost;
      next.listCost += d.usage.listCost;
      next.unpricedMessages += d.usage.unpricedMessages;
      addTokens(next.tokens, d.usage.tokens);
      const usage = tidy(next);
      const label = d.label ?? row?.label;
      if (Math.abs(usage.sessions) < EPSILON && Math.abs(usage.messages) < EPSILON) {
        if (row !== null) await ctx.db.delete("cells", row._id);
      } else if (row === null) {
        await ctx.db.insert("cells", {
          grain: d.grain,
          dim: d.dim,
          period: d.period,
          key: d.key,
          ...usage,
          ...(label === undefined ? {} : { label }),
        });
      } else {
        await ctx.db.patch("cells", row._id, { ...usage, label });
      }
    }
    for (const d of this.totals.values()) {
      const u = d.usage;
      const sameLabel =
        d.label === undefined || (d.label === d.removedLabel && d.createdAt === d.removedCreatedAt);
      if (isZeroTotals(u) && sameLabel) continue;
      const row = await ctx.db
        .query("groupTotals")
        .withIndex("by_by_key", (q) => q.eq("by", d.by).eq("key", d.key))
        .unique();
      const next = row === null ? emptyTotals() : {
        sessionCount: row.sessionCount,
        subagentSessionCount: row.subagentSessionCount,
        messageCount: row.messageCount,
        cost: row.cost,
        tokens: { ...row.tokens },
      };
      next.sessionCount += u.sessionCount;
      next.subagentSessionCount += u.subagentSessionCount;
      next.messageCount += u.messageCount;
      next.cost = snap(next.cost + u.cost);
      addTokens(next.tokens, u.tokens);
      let label = row?.label ?? d.label ?? "";
      let newestCreatedAt = row?.newestCreatedAt ?? d.createdAt ?? 0;
      if (d.createdAt !== undefined && d.createdAt >= newestCreatedAt) {
        newestCreatedAt = d.createdAt;
        label = d.label ?? label;
      }
      if (next.sessionCount < 0.5) {
        if (row !== null) await ctx.db.delete("groupTotals", row._id);
      } else if (row === null) {
        await ctx.db.insert("groupTotals", { by: d.by, key: d.key, label, newestCreatedAt, ...next });
      } else {
        await ctx.db.patch("groupTotals", row._id, { label, newestCreatedAt, ...next });
      }
    }
    this.cells.clear();
    this.totals.clear();
  }
}

export function emptyUsage(): Usage {
  return { sessions: 0, messages: 0, cost: 0, listCost: 0, unpricedMessages: 0, tokens: zeroTokens() };
}

function emptyTotals(): TotalsUsage {
  return { sessionCount: 0, subagentSessionCount: 0, messageCount: 0, cost: 0, tokens: zeroTokens() };
}

function snap(x: number): number {
  return Math.abs(x) < EPSILON ? 0 : x;
}

function tidy(u: Usage): Usage {
  const tokens = zeroTokens();
  for (const k of TOKEN_KEYS) tokens[k] = snap(u.tokens[k]);
  return {
    sessions: snap(u.sessions),
    messages: snap(u.messages),
    cost: snap(u.cost),
    listCost: snap(u.listCost),
    unpricedMessages: snap(u.unpricedMessages),
    tokens,
  };
}

function isZeroUsage(u: Usage): boolean {
  return (
    Math.abs(u.sessions) < EPSILON &&
    Math.abs(u.messages) < EPSILON &&
    Math.abs(u.cost) < EPSILON &&
    Math.abs(u.listCost) < EPSILON &&
    Math.abs(u.unpricedMessages) < EPSILON &&
    TOKEN_KEYS.every((k) => Math.abs(u.tokens[k]) < EPSILON)
  );
}

function isZeroTotals(u: TotalsUsage): boolean {
  return (
    Math.abs(u.sessionCount) < EPSILON &&
    Math.abs(u.subagentSessionCount) < EPSILON &&
    Math.abs(u.messageCount) < EPSILON &&
    Math.abs(u.cost) < EPSILON &&
    TOKEN_KEYS.every((k) => Math.abs(u.tokens[k]) < EPSILON)
  );
}
