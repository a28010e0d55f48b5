import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { mutation, query, type MutationCtx } from "./_generated/server";
import { Accumulator, contribution } from "./aggregates";
import { requireSaneNumbers } from "./numbers";
import { Budget, dayRange, readCells, toRows, withModels } from "./report";
import {
  contentOf,
  detail,
  digest,
  hasInlineContent,
  insertContent,
  summarize,
  summaryOf,
  type ContentRef,
} from "./storage";
import { requireReadToken, requireToken } from "./token";
import {
  recentPage,
  reportBy,
  reportRow,
  sessionDetail,
  sessionDoc,
  sessionFields,
  totalsRow,
  upsertResult,
  type SessionDoc,
  type UpsertResult,
} from "./validators";

/** Upsert one session document. Args: the document's fields, flat, plus `token`. */
export const upsert = mutation({
  args: { ...sessionFields, token: v.optional(v.string()) },
  returns: upsertResult,
  handler: async (ctx, { token, ...doc }) => {
    requireToken(token);
    requireSaneNumbers(doc);
    const acc = new Accumulator();
    const result = await upsertOne(ctx, doc, acc);
    await acc.apply(ctx);
    return result;
  },
});

/** Upsert many documents in one transaction; one result per input, in order. */
export const upsertBatch = mutation({
  args: { token: v.optional(v.string()), sessions: v.array(sessionDoc) },
  returns: v.array(upsertResult),
  handler: async (ctx, { token, sessions }) => {
    requireToken(token);
    // Every document is checked before anything is written.
    sessions.forEach(requireSaneNumbers);
    const acc = new Accumulator();
    const results: UpsertResult[] = [];
    for (const doc of sessions) {
      results.push(await upsertOne(ctx, doc, acc));
    }
    // The rollups change once per touched cell, for the whole batch.
    await acc.apply(ctx);
    return results;
  },
});

/**
 * Keyed by sessionId. A stored document with a newer updatedAt wins ("stale");
 * a document equal to the stored one apart from exportedAt, content included,
 * is not written ("unchanged"), so a retry after a lost answer is harmless.
 * The session's rollup contribution moves from the old version to the new one
 * (into `acc`, applied by the caller in the same transaction).
 */
async function upsertOne(ctx: MutationCtx, doc: SessionDoc, acc: Accumulator): Promise<UpsertResult> {
  const { messagesJson, todosJson, ...summary } = doc;
  const { sessionId } = doc;
  const stored = await ctx.db
    .query("sessions")
    .withIndex("by_sessionId", (q) => q.eq("sessionId", sessionId))
    .unique();
  if (stored === null) {
    const content = await insertContent(ctx, sessionId, doc.updatedAt, messagesJson, todosJson);
    await ctx.db.insert("sessions", { ...summary, ...content, aggregated: true, cellsVersion: 3 });
    acc.add(contribution(summary), 1);
    return { sessionId, result: "inserted" };
  }
  if (stored.updatedAt > doc.updatedAt) {
    return { sessionId, result: "stale" };
  }
  const storedSummary = summaryOf(stored);
  const { exportedAt: _storedExportedAt, ...storedRest } = storedSummary;
  const { exportedAt: _incomingExportedAt, ...incomingRest } = summary;
  const sameSummary = deepEqual(storedRest, incomingRest);

  // Content: compare digests first; read the stored content only when they match.
  let sameContent: boolean;
  let storedContent: Awaited<ReturnType<typeof contentOf>> | undefined;
  if (
    !hasInlineContent(stored) &&
    (stored.messagesJsonDigest !== digest(messagesJson) || stored.todosJsonDigest !== digest(todosJson))
  ) {
    sameContent = false;
  } else {
    storedContent = await contentOf(ctx.db, stored);
    sameContent = storedContent.messagesJson === messagesJson && storedContent.todosJson === todosJson;
  }
  if (sameSummary && sameContent) {
    return { sessionId, result: "unchanged" };
  }

  let content: ContentRef;
  if (sameContent && !hasInlineContent(stored)) {
    content = {
      ...(stored.contentId === undefined ? {} : { contentId: stored.contentId }),
      ...(stored.messagesJsonDigest === undefined ? {} : { messagesJsonDigest: stored.messagesJsonDigest }),
      ...(stored.todosJsonDigest === undefined ? {} : { todosJsonDigest: stored.todosJsonDigest }),
    };
    if (storedContent?.id !== undefined && storedContent.updatedAt !== doc.updatedAt) {
      await ctx.db.patch("sessionContent", storedContent.id, { updatedAt: doc.updatedAt });
    }
  } else {
    // contentId always names a live row: retention clears it when it deletes one.
    if (stored.contentId !== undefined) await ctx.db.delete("sessionContent", stored.contentId);
    content = await insertContent(ctx, sessionId, doc.updatedAt, messagesJson, todosJson);
  }
  await ctx.db.replace("sessions", stored._id, { ...summary, ...content, aggregated: true, cellsVersion: 3 });
  // Take back what the stored version contributed, where it did: a row of the
  // seed's shape nothing; a row of the version before cells its groupTotals
  // only (its cells are in the legacy `rollups` table, which nothing reads);
  // a row of the previous version (cellsVersion 2) its cells without list figures.
  if (stored.cellsVersion === 3) acc.add(contribution(storedSummary), -1);
  else if (stored.cellsVersion === 2) acc.add(contribution(storedSummary, false), -1);
  else if (stored.aggregated === true) acc.add(contribution(storedSummary), -1, "totals");
  acc.add(contribution(summary), 1);
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

const PAGE_MAX = 500;

/**
 * Newest sessions by createdAt (optionally of one device), one page at a time
 * (Convex pagination: pass `continueCursor` back as `cursor` until `isDone`).
 * Summaries only: no messagesJson/todosJson (see `get`).
 */
export const recent = query({
  args: {
    token: v.optional(v.string()),
    paginationOpts: paginationOptsValidator,
    deviceId: v.optional(v.string()),
  },
  returns: recentPage,
  handler: async (ctx, { token, paginationOpts, deviceId }) => {
    requireToken(token);
    const numItems = Number.isFinite(paginationOpts.numItems)
      ? Math.min(Math.max(Math.floor(paginationOpts.numItems), 1), PAGE_MAX)
      : PAGE_MAX;
    const opts = { ...paginationOpts, numItems };
    const result =
      deviceId === undefined
        ? await ctx.db.query("sessions").withIndex("by_createdAt").order("desc").paginate(opts)
        : await ctx.db
            .query("sessions")
            .withIndex("by_deviceId_createdAt", (q) => q.eq("deviceId", deviceId))
            .order("desc")
            .paginate(opts);
    return { ...result, page: result.page.map(summarize) };
  },
});

/**
 * One session with its content: the document as last stored, or null. The
 * only function that returns transcripts, so it takes the read secret
 * (SESSION_EXPORT_READ_TOKEN), not the exporter's.
 */
export const get = query({
  args: { token: v.optional(v.string()), sessionId: v.string() },
  returns: v.union(v.null(), sessionDetail),
  handler: async (ctx, { token, sessionId }) => {
    requireReadToken(token);
    const row = await ctx.db
      .query("sessions")
      .withIndex("by_sessionId", (q) => q.eq("sessionId", sessionId))
      .unique();
    return row === null ? null : await detail(ctx.db, row);
  },
});

/**
 * All-time sums per device or project, from `groupTotals` (one row per key);
 * keys ordered by their newest session. Each top-level session counts together
 * with its `subagents` roll-up; subagent sessions are not counted on their own.
 */
export const totals = query({
  args: {
    token: v.optional(v.string()),
    by: v.union(v.literal("device"), v.literal("project")),
  },
  returns: v.array(totalsRow),
  handler: async (ctx, { token, by }) => {
    requireToken(token);
    const rows = await ctx.db
      .query("groupTotals")
      .withIndex("by_by_key", (q) => q.eq("by", by))
      .collect();
    rows.sort((a, b) => b.newestCreatedAt - a.newestCreatedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return rows.map((r) => ({
      key: r.key,
      label: r.label,
      sessionCount: r.sessionCount,
      subagentSessionCount: r.subagentSessionCount,
      messageCount: r.messageCount,
      cost: r.cost,
      tokens: r.tokens,
    }));
  },
});

/**
 * The team report: rows shaped like `session-export report --json`, grouped
 * by UTC day / ISO week / month, device, project or model, over the UTC days
 * whose start is in [from, to). Reads only `cells`: day and week rows
 * TOTAL_SHARDS per day in range; month, device, project and model rows one
 * cell per key and whole month in range plus one per key and day at the
 * range's ragged ends (keys x (months + 62) at most). Past READ_BUDGET_DOCS
 * cells it fails with REPORT_TOO_LARGE.
 */
export const report = query({
  args: {
    token: v.optional(v.string()),
    by: reportBy,
    from: v.optional(v.number()),
    to: v.optional(v.number()),
    /** day/week/month: split each row by model too (one more index range). */
    models: v.optional(v.boolean()),
  },
  returns: v.array(reportRow),
  handler: async (ctx, { token, by, from, to, models }) => {
    requireToken(token);
    const range = dayRange(from, to);
    const budget = new Budget(`report by ${by}${models ? " with models" : ""}`);
    const rows = toRows(by, await readCells(ctx.db, budget, by, range));
    if (models && (by === "day" || by === "week" || by === "month")) {
      return await withModels(ctx.db, budget, by, range, rows);
    }
    return rows;
  },
});
