/**
 * Brings rows stored by earlier versions to this version's shape:
 * - rows of the seed's backend (messagesJson/todosJson inline, no rollups):
 *   content moved to `sessionContent`, contribution added to `groupTotals`;
 * - rows of the version before cells (usage in the legacy `rollups` table,
 *   with all-time cells and a per-day total cell that every upsert wrote) and
 *   the seed's rows: contribution added to `cells` (day and month cells);
 * - rows of the previous version (cellsVersion 2: in `cells` without
 *   listCost and unpricedMessages): those two added to their cells;
 * then the legacy `rollups` documents are deleted.
 *
 * The rows still to do are exactly those without `cellsVersion` or with
 * cellsVersion 2, found through the `by_cellsVersion` index, so each call
 * takes the next page of them; a migrated row (cellsVersion 3) leaves those ranges. Calls are idempotent and the
 * migration is resumable at any point; upserts may run meanwhile (an upsert
 * of an old row migrates it too). Until a row is migrated its usage is
 * missing from `report` (reports read `cells` only); `totals` counts it all along.
 *
 *   npx convex run migrations:run                       # migrates everything, one batch per scheduled call
 *   npx convex run migrations:run '{"reschedule": false}'   # one batch only; repeat until "done": true
 *   npx convex run migrations:status                    # { done }
 */
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalMutation, internalQuery } from "./_generated/server";
import { Accumulator, contribution } from "./aggregates";
import { hasInlineContent, insertContent, summaryOf } from "./storage";

/** Rows per call. */
export const MIGRATION_BATCH = 100;
/**
 * Stop a batch once the rows read reach this many bytes (estimated as UTF-16
 * string length of their JSON): an old row may carry ~1 MiB of content, which
 * is read once and written once, against Convex's 16 MiB read and 16 MiB write
 * per transaction.
 */
export const MIGRATION_BYTES = 4 * 1024 * 1024;
/** Legacy `rollups` documents (~300 bytes each) deleted per call, once every row is migrated. */
export const LEGACY_BATCH = 4000;

export const run = internalMutation({
  args: {
    batchSize: v.optional(v.number()),
    /** Schedule the next batch when this one leaves rows to do (default true). */
    reschedule: v.optional(v.boolean()),
  },
  returns: v.object({ migrated: v.number(), done: v.boolean() }),
  handler: async (ctx, { batchSize, reschedule }) => {
    const next = async () => {
      if (reschedule !== false) {
        await ctx.scheduler.runAfter(0, internal.migrations.run, {
          ...(batchSize === undefined ? {} : { batchSize }),
        });
      }
    };
    const limit = Math.min(Math.max(Math.floor(batchSize ?? MIGRATION_BATCH), 1), 1000);
    const acc = new Accumulator();
    let migrated = 0;
    let bytes = 0;
    let more = false;
    for (const version of [undefined, 2] as const) {
      if (more) break;
      for await (const row of ctx.db
        .query("sessions")
        .withIndex("by_cellsVersion", (q) => q.eq("cellsVersion", version))) {
        if (migrated >= limit || bytes >= MIGRATION_BYTES) {
          more = true;
          break;
        }
        bytes += JSON.stringify(row).length;
        const summary = summaryOf(row);
        if (hasInlineContent(row)) {
          const content = await insertContent(ctx, row.sessionId, row.updatedAt, row.messagesJson, row.todosJson);
          await ctx.db.replace("sessions", row._id, { ...summary, ...content, aggregated: true, cellsVersion: 3 });
        } else {
          await ctx.db.patch("sessions", row._id, { aggregated: true, cellsVersion: 3 });
        }
        if (version === 2) {
          // Its cells hold all but the list figures: the difference adds just those.
          acc.add(contribution(summary), 1, "cells");
          acc.add(contribution(summary, false), -1, "cells");
        } else {
          // A row of the version before cells is in groupTotals already.
          acc.add(contribution(summary), 1, row.aggregated === true ? "cells" : undefined);
        }
        migrated += 1;
      }
    }
    await acc.apply(ctx);
    if (more) {
      await next();
      return { migrated, done: false };
    }
    // Every row counts in `cells`: the legacy cells go, a batch per call.
    const legacy = await ctx.db.query("rollups").take(LEGACY_BATCH + 1);
    for (const cell of legacy.slice(0, LEGACY_BATCH)) await ctx.db.delete("rollups", cell._id);
    if (legacy.length > LEGACY_BATCH) {
      await next();
      return { migrated, done: false };
    }
    return { migrated, done: true };
  },
});

/** Whether anything still waits for `run`. Reads at most three documents. */
export const status = internalQuery({
  args: {},
  returns: v.object({ done: v.boolean() }),
  handler: async (ctx) => {
    const todo = async (version: undefined | 2) =>
      (await ctx.db
        .query("sessions")
        .withIndex("by_cellsVersion", (q) => q.eq("cellsVersion", version))
        .first()) !== null;
    const legacy = await ctx.db.query("rollups").first();
    return { done: !(await todo(undefined)) && !(await todo(2)) && legacy === null };
  },
});
