import { v, type Infer } from "convex/values";

/** Token counts, summed over assistant messages. */
export const tokenCounts = v.object({
  input: v.number(),
  output: v.number(),
  reasoning: v.number(),
  cacheRead: v.number(),
  cacheWrite: v.number(),
});

/** One model's share of a session's usage (assistant messages). */
const modelUsage = v.object({
  model: v.string(),
  messages: v.number(),
  cost: v.number(),
  tokens: tokenCounts,
});
/** One agent's share of a session's messages. */
const agentUsage = v.object({ agent: v.string(), messages: v.number(), cost: v.number() });
/** Usage on one UTC day (`YYYY-MM-DD`), split by model. */
const dayUsage = v.object({
  day: v.string(),
  sessions: v.number(),
  messages: v.number(),
  cost: v.number(),
  tokens: tokenCounts,
  models: v.array(
    v.object({
      model: v.string(),
      sessions: v.number(),
      messages: v.number(),
      cost: v.number(),
      tokens: tokenCounts,
    }),
  ),
});

/** Fields of the analytics document, minus the two large JSON strings. */
const summaryFields = {
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
  errorCount: v.number(),
  models: v.optional(v.array(modelUsage)),
  agents: v.optional(v.array(agentUsage)),
  activeMs: v.optional(v.number()),
  /** The project's git origin as host/owner/repo (a hash with --hash-paths). */
  repository: v.optional(v.string()),
  daily: v.optional(v.array(dayUsage)),
  /** Rolled up over all descendant sessions of a parent session. */
  subagents: v.optional(
    v.object({
      sessionCount: v.number(),
      messageCount: v.number(),
      cost: v.number(),
      tokens: tokenCounts,
      models: v.optional(v.array(modelUsage)),
      agents: v.optional(v.array(agentUsage)),
      activeMs: v.optional(v.number()),
      daily: v.optional(v.array(dayUsage)),
    }),
  ),
  /** Set when the exporter dropped or trimmed messagesJson to stay under 1 MiB. */
  messagesJsonTruncated: v.optional(v.boolean()),
};

/** Every field of a `sessions` document (one opencode session, schemaVersion 1). */
export const sessionFields = {
  ...summaryFields,
  messagesJson: v.optional(v.string()),
  todosJson: v.optional(v.string()),
};

export const sessionDoc = v.object(sessionFields);
export type SessionDoc = Infer<typeof sessionDoc>;

/** What `recent` returns per session: the document without messagesJson/todosJson. */
export const sessionSummary = v.object({
  _id: v.id("sessions"),
  _creationTime: v.number(),
  ...summaryFields,
});
export type SessionSummary = Infer<typeof sessionSummary>;

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
