/**
 * Optional retention of transcripts: with the deployment variable
 * SESSION_EXPORT_RETENTION_DAYS=N (a positive number), a daily cron
 * (crons.ts) deletes the stored content (`sessionContent`: messagesJson and
 * todosJson) of sessions last updated more than N days ago. Session rows,
 * rollups and totals stay; the session row records `contentPurgedAt`.
 * Unset, empty or not a positive number: nothing is deleted.
 */
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalMutation } from "./_generated/server";
import { DAY_MS } from "./aggregates";

export const RETENTION_VAR = "SESSION_EXPORT_RETENTION_DAYS";
/** Content rows per call. */
export const PURGE_BATCH = 100;
/** Stop a call once this many bytes of content were read (each is up to ~1 MiB). */
export const PURGE_BYTES = 4 * 1024 * 1024;

export function retentionDays(value = process.env[RETENTION_VAR]): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export const purge = internalMutation({
  args: {
    batchSize: v.optional(v.number()),
    /** Schedule the next call when this one stopped early (default true). */
    reschedule: v.optional(v.boolean()),
  },
  returns: v.object({ enabled: v.boolean(), deleted: v.number(), done: v.boolean() }),
  handler: async (ctx, { batchSize, reschedule }) => {
    const days = retentionDays();
    if (days === undefined) return { enabled: false, deleted: 0, done: true };
    const limit = Math.min(Math.max(Math.floor(batchSize ?? PURGE_BATCH), 1), 1000);
    const now = Date.now();
    const cutoff = now - days * DAY_MS;
    let deleted = 0;
    let bytes = 0;
    let more = false;
    for await (const content of ctx.db
      .query("sessionContent")
      .withIndex("by_updatedAt", (q) => q.lt("updatedAt", cutoff))) {
      if (deleted >= limit || bytes >= PURGE_BYTES) {
        more = true;
        break;
      }
      bytes += (content.messagesJson?.length ?? 0) + (content.todosJson?.length ?? 0);
      await ctx.db.delete("sessionContent", content._id);
      const row = await ctx.db
        .query("sessions")
        .withIndex("by_sessionId", (q) => q.eq("sessionId", content.sessionId))
        .unique();
      if (row !== null && row.contentId === content._id) {
        await ctx.db.patch("sessions", row._id, {
          contentId: undefined,
          messagesJsonDigest: undefined,
          todosJsonDigest: undefined,
          contentPurgedAt: now,
        });
      }
      deleted += 1;
    }
    if (more && reschedule !== false) {
      await ctx.scheduler.runAfter(0, internal.retention.purge, {
        ...(batchSize === undefined ? {} : { batchSize }),
      });
    }
    return { enabled: true, deleted, done: !more };
  },
});
