import { v } from "convex/values";
import { mutation, query, type MutationCtx } from "./_generated/server";
import type { Doc } from "./_generated/dataModel";
import { requireToken } from "./token";
import {
  sessionDoc,
  sessionFields,
  sessionSummary,
  totalsRow,
  upsertResult,
  type SessionDoc,
  type SessionSummary,
  type TotalsRow,
  type UpsertResult,
} from "./validators";

/** Upsert one session document. Args: the document's fields, flat, plus `token`. */
export const upsert = mutation({
  args: { ...sessionFields, token: v.optional(v.string()) },
  returns: upsertResult,
  handler: async (ctx, { token, ...doc }) => {
    requireToken(token);
    return await upsertOne(ctx, doc);
  },
});

/** Upsert many documents in one transaction; one result per input, in order. */
export const upsertBatch = mutation({
  args: { token: v.optional(v.string()), sessions: v.array(sessionDoc) },
  returns: v.array(upsertResult),
  handler: async (ctx, { token, sessions }) => {
    requireToken(token);
    const results: UpsertResult[] = [];
    for (const doc of sessions) {
      results.push(await upsertOne(ctx, doc));
    }
    return results;
  },
});

/**
 * Keyed by sessionId. A stored document with a newer updatedAt wins ("stale");
 * a document equal to the stored one apart from exportedAt is not written
 * ("unchanged"), so a retry after a lost answer is harmless.
 */
async function upsertOne(ctx: MutationCtx, doc: SessionDoc): Promise<UpsertResult> {
  const { sessionId } = doc;
  const stored = await ctx.db
    .query("sessions")
    .withIndex("by_sessionId", (q) => q.eq("sessionId", sessionId))
    .unique();
  if (stored === null) {
    await ctx.db.insert("sessions", doc);
    return { sessionId, result: "inserted" };
  }
  if (stored.updatedAt > doc.updatedAt) {
    return { sessionId, result: "stale" };
  }
  const { _id, _creationTime, exportedAt: _storedExportedAt, ...storedRest } = stored;
  const { exportedAt: _incomingExportedAt, ...incomingRest } = doc;
  if (deepEqual(storedRest, incomingRest)) {
    return { sessionId, result: "unchanged" };
  }
  await ctx.db.replace("sessions", _id, doc);
  return { sessionId, result: "updated" };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => deepEqual(item, b[i]))
    );
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return false;
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every((k) =>
      deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}

const RECENT_DEFAULT = 50;
const RECENT_MAX = 500;

/** Newest sessions by createdAt (optionally of one device), without messagesJson/todosJson. */
export const recent = query({
  args: {
    token: v.optional(v.string()),
    limit: v.optional(v.number()),
    deviceId: v.optional(v.string()),
  },
  returns: v.array(sessionSummary),
  handler: async (ctx, { token, limit, deviceId }) => {
    requireToken(token);
    const n =
      limit === undefined || !Number.isFinite(limit)
        ? RECENT_DEFAULT
        : Math.min(Math.max(Math.floor(limit), 1), RECENT_MAX);
    const docs =
      deviceId === undefined
        ? await ctx.db.query("sessions").withIndex("by_createdAt").order("desc").take(n)
        : await ctx.db
            .query("sessions")
            .withIndex("by_deviceId_createdAt", (q) => q.eq("deviceId", deviceId))
            .order("desc")
            .take(n);
    return docs.map(summarize);
  },
});

function summarize(doc: Doc<"sessions">): SessionSummary {
  const { messagesJson: _messages, todosJson: _todos, ...summary } = doc;
  return summary;
}

/**
 * Sums per device or per project; keys ordered by their newest session. A
 * session counts together with its `subagents` rollup; a subagent session whose
 * parent is also stored is skipped (the parent's rollup already includes it).
 * Reads the whole table, so it is subject to Convex's per-query read limits.
 */
export const totals = query({
  args: {
    token: v.optional(v.string()),
    by: v.union(v.literal("device"), v.literal("project")),
  },
  returns: v.array(totalsRow),
  handler: async (ctx, { token, by }) => {
    requireToken(token);
    const docs = await ctx.db.query("sessions").withIndex("by_createdAt").order("desc").collect();
    const stored = new Set(docs.map((d) => d.sessionId));
    const rows = new Map<string, TotalsRow>();
    for (const d of docs) {
      if (d.parentSessionId !== undefined && stored.has(d.parentSessionId)) continue;
      const key = by === "device" ? d.deviceId : d.projectId;
      let row = rows.get(key);
      if (row === undefined) {
        row = {
          key,
          label: by === "device" ? d.hostname : d.projectDirectory,
          sessionCount: 0,
          subagentSessionCount: 0,
          messageCount: 0,
          cost: 0,
          tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
        };
        rows.set(key, row);
      }
      const sub = d.subagents;
      row.sessionCount += 1;
      row.subagentSessionCount += sub?.sessionCount ?? 0;
      row.messageCount += d.messageCount + (sub?.messageCount ?? 0);
      row.cost += d.cost + (sub?.cost ?? 0);
      for (const k of Object.keys(row.tokens) as (keyof TotalsRow["tokens"])[]) {
        row.tokens[k] += d.tokens[k] + (sub?.tokens[k] ?? 0);
      }
    }
    return [...rows.values()];
  },
});
