/**
 * Migration of rows stored by the seed's backend (messagesJson/todosJson
 * inline, no rollups) to this version's shape: content moved to
 * `sessionContent`, contribution added to `rollups`/`groupTotals`, row marked
 * `aggregated: true`.
 *
 * The rows still to do are exactly those without `aggregated`, found through
 * the `by_aggregated` index, so each call takes the next page of them; a
 * migrated row leaves that range. Calls are idempotent and the migration is
 * resumable at any point; upserts may run meanwhile (an upsert of an old row
 * migrates it too).
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

export const run = internalMutation({
  args: {
    batchSize: v.optional(v.number()),
    /** Schedule the next batch when this one leaves rows to do (default true). */
    reschedule: v.optional(v.boolean()),
  },
  returns: v.object({ migrated: v.number(), done: v.boolean() }),
  handler: async (ctx, { batchSize, reschedule }) => {
    const limit = Math.min(Math.max(Math.floor(batchSize ?? MIGRATION_BATCH), 1), 1000);
    const acc = new Accumulator();
    let migrated = 0;
    let bytes = 0;
    let more = false;
    for await (const row of ctx.db
      .query("sessions")
      .withIndex("by_aggregated", (q) => q.eq("aggregated", undefined))) {
      if (migrated >= limit || bytes >= MIGRATION_BYTES) {
        more = true;
        break;
      }
      bytes += JSON.stringify(row).length;
      const summary = summaryOf(row);
      const content = hasInlineContent(row)
        ? await insertContent(ctx, row.sessionId, row.updatedAt, row.messagesJson, row.todosJson)
        : {};
      await ctx.db.replace("sessions", row._id, { ...summary, ...content, aggregated: true });
      acc.add(contribution(summary), 1);
      migrated += 1;
    }
    await acc.apply(ctx);
    if (more && reschedule !== false) {
      await ctx.scheduler.runAfter(0, internal.migrations.run, {
        ...(batchSize === undefined ? {} : { batchSize }),
      });
    }
    return { migrated, done: !more };
  },
});

/** Whether any row still waits for `run`. Reads at most one row. */
export const status = internalQuery({
  args: {},
  returns: v.object({ done: v.boolean() }),
  handler: async (ctx) => {
    const next = await ctx.db
      .query("sessions")
      .withIndex("by_aggregated", (q) => q.eq("aggregated", undefined))
      .first();
    return { done: next === null };
  },
});
