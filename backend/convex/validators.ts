import { paginationResultValidator } from "convex/server";
import { v, type Infer } from "convex/values";

/** Token counts, summed over assistant messages. */
export const tokenCounts = v.object({
  input: v.number(),
  output: v.number(),
  reasoning: v.number(),
  cacheRead: v.number(),
  cacheWrite: v.number(),
});
export type TokenCounts = Infer<typeof tokenCounts>;

/**
 * What the same usage would have cost at list price, beside `cost` (what
 * opencode stored, the spend). Sent by exporters that price usage; absent in
 * documents from older ones (see `contribution` in aggregates.ts for how
 * those count). `unpricedMessages`: assistant messages with no list price
 * (left out of `listCost`), an integer; absent when none.
 */
export const listFields = {
  listCost: v.optional(v.number()),
  unpricedMessages: v.optional(v.number()),
};

/** One model's share of a session's assistant messages. */
export const modelUsage = v.object({
  /** "provider/model". */
  model: v.string(),
  /** Assistant messages of this model. */
  messages: v.number(),
  cost: v.number(),
  ...listFields,
  tokens: tokenCounts,
});

/** One agent's share of a session's messages. */
export const agentUsage = v.object({
  agent: v.string(),
  messages: v.number(),
  cost: v.number(),
});

/** One model's usage on one UTC day. */
export const dailyModelUsage = v.object({
  model: v.string(),
  /** Sessions with an assistant message of this model that day. */
  sessions: v.number(),
  /** Assistant messages of this model that day. */
  messages: v.number(),
  cost: v.number(),
  ...listFields,
  tokens: tokenCounts,
});

/** Usage on one UTC day (the day of each message's time.created). */
export const dailyUsage = v.object({
  /** "YYYY-MM-DD", UTC. */
  day: v.string(),
  /** Sessions with a message that day (1 in a session's own `daily`). */
  sessions: v.number(),
  /** All messages (user + assistant) that day. */
  messages: v.number(),
  /** Over the assistant messages of that day. */
  cost: v.number(),
  ...listFields,
  tokens: tokenCounts,
  models: v.optional(v.array(dailyModelUsage)),
});
export type DailyUsage = Infer<typeof dailyUsage>;

/** Fields of the analytics document, minus the two large JSON strings. */
export const summaryFields = {
  schemaVersion: v.number(),
  sessionId: v.string(),
  deviceId: v.string(),
  hostname: v.string(),
  opencodeVersion: v.string(),
  pluginVersion: v.string(),
  projectDirectory: v.string(),
  /** Set when projectDirectory holds a hash instead of a path. */
  projectDirectoryHashed: v.optional(v.boolean()),
  projectId: v.string(),
  parentSessionId: v.optional(v.string()),
  title: v.optional(v.string()),
  createdAt: v.number(),
  updatedAt: v.number(),
  exportedAt: v.number(),
  archivedAt: v.optional(v.number()),
  messageCount: v.number(),
  userMessageCount: v.number(),
  assistantMessageCount: v.number(),
  agentsUsed: v.array(v.string()),
  primaryAgent: v.optional(v.string()),
  modelsUsed: v.array(v.string()),
  primaryModel: v.optional(v.string()),
  todoStats: v.object({
    total: v.number(),
    completed: v.number(),
    cancelled: v.number(),
    pending: v.number(),
  }),
  codeChanges: v.optional(
    v.object({
      additions: v.number(),
      deletions: v.number(),
      filesChanged: v.number(),
    }),
  ),
  tokens: tokenCounts,
  cost: v.number(),
  ...listFields,
  errorCount: v.number(),
  /** Rolled up over all descendant sessions of a parent session. */
  subagents: v.optional(
    v.object({
      sessionCount: v.number(),
      messageCount: v.number(),
      cost: v.number(),
      ...listFields,
      tokens: tokenCounts,
      models: v.optional(v.array(modelUsage)),
      agents: v.optional(v.array(agentUsage)),
      activeMs: v.optional(v.number()),
      /** Summed over all descendants; `sessions` = distinct descendants active that day. */
      daily: v.optional(v.array(dailyUsage)),
    }),
  ),
  /** The session's own tool calls per tool, most called first (exported with --include-tools). */
  tools: v.optional(
    v.array(v.object({ tool: v.string(), calls: v.number(), errors: v.number(), ms: v.number() })),
  ),
  /** Set when the exporter dropped or trimmed messagesJson to stay under 1 MiB. */
  messagesJsonTruncated: v.optional(v.boolean()),
  /** The session's own assistant messages per model. */
  models: v.optional(v.array(modelUsage)),
  /** The session's own messages per agent. */
  agents: v.optional(v.array(agentUsage)),
  /** Sum of (completed - created) over the session's assistant messages, ms. */
  activeMs: v.optional(v.number()),
  /** Normalised git remote `host/owner/repo`, or a `sha256:` hash. */
  repository: v.optional(v.string()),
  /** The session's own messages per UTC day. */
  daily: v.optional(v.array(dailyUsage)),
};

/** The two large JSON strings; stored in `sessionContent`, not in `sessions`. */
export const contentFields = {
  messagesJson: v.optional(v.string()),
  todosJson: v.optional(v.string()),
};

/** Every field of the document the exporter sends (one opencode session, schemaVersion 1). */
export const sessionFields = { ...summaryFields, ...contentFields };

export const sessionDoc = v.object(sessionFields);
export type SessionDoc = Infer<typeof sessionDoc>;
const summaryDoc = v.object(summaryFields);
export type Summary = Infer<typeof summaryDoc>;

/**
 * Backend bookkeeping on a `sessions` row; never part of the document.
 * A row written by this version has `aggregated: true`; a row stored by the
 * seed's backend has none of these fields and its content inline (see
 * migrations.ts).
 */
export const storageFields = {
  /** The `sessionContent` row holding messagesJson/todosJson, if any. */
  contentId: v.optional(v.id("sessionContent")),
  /** Length and hash of the stored messagesJson/todosJson (a cheap pre-check for "unchanged"). */
  messagesJsonDigest: v.optional(v.string()),
  todosJsonDigest: v.optional(v.string()),
  /** When retention deleted this session's stored content. */
  contentPurgedAt: v.optional(v.number()),
  /** The row's contribution is in `groupTotals`. Absent on rows stored by the seed's backend, not yet migrated. */
  aggregated: v.optional(v.boolean()),
  /**
   * 3: the row's contribution is in `cells`, listCost and unpricedMessages
   * included. 2: it is there without those two (written by the previous
   * version, which did not keep them). Absent on rows not yet migrated (the
   * seed's shape, or rows whose usage is only in the legacy `rollups`).
   */
  cellsVersion: v.optional(v.union(v.literal(2), v.literal(3))),
};

/** What `recent` returns per session: the summary, without content or bookkeeping. */
export const sessionSummary = v.object({
  _id: v.id("sessions"),
  _creationTime: v.number(),
  ...summaryFields,
  /** Whether messagesJson / todosJson are stored (read them with `sessions:get`). */
  hasMessagesJson: v.boolean(),
  hasTodosJson: v.boolean(),
  contentPurgedAt: v.optional(v.number()),
});
export type SessionSummary = Infer<typeof sessionSummary>;

export const recentPage = paginationResultValidator(sessionSummary);

/** What `get` returns: the whole document, content included. */
export const sessionDetail = v.object({
  _id: v.id("sessions"),
  _creationTime: v.number(),
  ...sessionFields,
  contentPurgedAt: v.optional(v.number()),
});
export type SessionDetail = Infer<typeof sessionDetail>;

export const upsertOutcome = v.union(
  v.literal("inserted"),
  v.literal("updated"),
  v.literal("unchanged"),
  v.literal("stale"),
);
export const upsertResult = v.object({ sessionId: v.string(), result: upsertOutcome });
export type UpsertResult = Infer<typeof upsertResult>;

export const totalsRow = v.object({
  /** deviceId or projectId. */
  key: v.string(),
  /** hostname or projectDirectory of the newest session with this key. */
  label: v.string(),
  sessionCount: v.number(),
  subagentSessionCount: v.number(),
  messageCount: v.number(),
  cost: v.number(),
  tokens: tokenCounts,
});
export type TotalsRow = Infer<typeof totalsRow>;

/**
 * Rollup dimensions: `total` is keyed by a shard of the device (a handful of
 * cells per day, none shared by every exporter); the others by deviceId,
 * projectDirectory and "provider/model".
 */
export const rollupDim = v.union(
  v.literal("total"),
  v.literal("device"),
  v.literal("project"),
  v.literal("model"),
);
export type RollupDim = Infer<typeof rollupDim>;

/** A cell sums one UTC day ("YYYY-MM-DD") or one UTC month ("YYYY-MM"). */
export const cellGrain = v.union(v.literal("day"), v.literal("month"));
export type CellGrain = Infer<typeof cellGrain>;

export const reportBy = v.union(
  v.literal("day"),
  v.literal("week"),
  v.literal("month"),
  v.literal("device"),
  v.literal("project"),
  v.literal("model"),
);
export type ReportBy = Infer<typeof reportBy>;

const reportRowFields = {
  key: v.string(),
  /** by device: the hostname last seen for the device. */
  label: v.optional(v.string()),
  sessions: v.number(),
  messages: v.number(),
  cost: v.number(),
  /** Summed as `cost` is; 0 when no document in the row had a list price. */
  listCost: v.number(),
  /** Present when > 0. */
  unpricedMessages: v.optional(v.number()),
  tokens: tokenCounts,
};

/** One row of `sessions:report`, shaped like the CLI's `report --json` rows. */
export const reportRow = v.object({
  ...reportRowFields,
  /** With `models: true`, under a day, week or month: the same split by model. */
  models: v.optional(v.array(v.object(reportRowFields))),
});
export type ReportRow = Infer<typeof reportRow>;
