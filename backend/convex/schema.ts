import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import {
  cellGrain,
  contentFields,
  rollupDim,
  storageFields,
  summaryFields,
  tokenCounts,
} from "./validators";

export default defineSchema({
  /**
   * One small row per session: the document without messagesJson/todosJson,
   * plus bookkeeping (storageFields). `messagesJson`/`todosJson` are allowed
   * only for rows stored by the seed's backend until `migrations:run` moves
   * them out; nothing in this version writes them here.
   */
  sessions: defineTable({ ...summaryFields, ...storageFields, ...contentFields })
    .index("by_sessionId", ["sessionId"])
    .index("by_deviceId", ["deviceId"])
    .index("by_projectId", ["projectId"])
    .index("by_createdAt", ["createdAt"])
    .index("by_deviceId_createdAt", ["deviceId", "createdAt"])
    .index("by_aggregated", ["aggregated"])
    .index("by_cellsVersion", ["cellsVersion"]),

  /** The heavy part of a session; read only by `sessions:get` (and upsert, to compare). */
  sessionContent: defineTable({
    sessionId: v.string(),
    /** The session's updatedAt when this content was stored; retention keys on it. */
    updatedAt: v.number(),
    ...contentFields,
  })
    .index("by_sessionId", ["sessionId"])
    .index("by_updatedAt", ["updatedAt"]),

  /**
   * Pre-aggregated usage of top-level sessions (own + subagents): one cell per
   * (grain, dim, period, key), `period` a UTC day "YYYY-MM-DD" (grain "day")
   * or a UTC month "YYYY-MM" (grain "month"). `key` is the deviceId /
   * projectDirectory / "provider/model", or for dim "total" a shard of the
   * deviceId ("0".."3"): the day's total is the sum of its shards, so no cell
   * is written by every exporter. A range report reads month cells for the
   * whole months in range and day cells only at its ragged ends.
   */
  cells: defineTable({
    grain: cellGrain,
    dim: rollupDim,
    period: v.string(),
    key: v.string(),
    /** dim "device": the hostname last seen. */
    label: v.optional(v.string()),
    sessions: v.number(),
    messages: v.number(),
    cost: v.number(),
    /** Absent on cells last written by the previous version (nothing until `migrations:run` adds it). */
    listCost: v.optional(v.number()),
    unpricedMessages: v.optional(v.number()),
    tokens: tokenCounts,
  }).index("by_grain_dim_period_key", ["grain", "dim", "period", "key"]),

  /**
   * The previous version's cells (one per dim, UTC day and key, plus an
   * all-time cell per key with day ""). Nothing reads or writes them any more;
   * `migrations:run` deletes them once every session counts in `cells`.
   */
  rollups: defineTable({
    dim: rollupDim,
    day: v.string(),
    key: v.string(),
    label: v.optional(v.string()),
    sessions: v.number(),
    messages: v.number(),
    cost: v.number(),
    tokens: tokenCounts,
  }).index("by_dim_day_key", ["dim", "day", "key"]),

  /** All-time sums per device / project for `sessions:totals` (whole sessions, not per day). */
  groupTotals: defineTable({
    by: v.union(v.literal("device"), v.literal("project")),
    /** deviceId or projectId. */
    key: v.string(),
    /** hostname / projectDirectory of the newest session counted here. */
    label: v.string(),
    newestCreatedAt: v.number(),
    sessionCount: v.number(),
    subagentSessionCount: v.number(),
    messageCount: v.number(),
    cost: v.number(),
    tokens: tokenCounts,
  }).index("by_by_key", ["by", "key"]),
});
