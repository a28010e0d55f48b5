import type { SessionDoc } from "../convex/validators";

/** A complete, valid session document; override any field. */
export function sampleSession(overrides: Partial<SessionDoc> = {}): SessionDoc {
  return {
    schemaVersion: 1,
    sessionId: "ses_0001",
    deviceId: "device-a",
    hostname: "host-a",
    opencodeVersion: "0.15.0",
    pluginVersion: "0.1.0",
    projectDirectory: "/home/me/project",
    projectId: "proj-1",
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_100_000,
    exportedAt: 1_700_000_200_000,
    messageCount: 4,
    userMessageCount: 2,
    assistantMessageCount: 2,
    agentsUsed: ["build"],
    primaryAgent: "build",
    modelsUsed: ["anthropic/claude-sonnet-4"],
    primaryModel: "anthropic/claude-sonnet-4",
    todoStats: { total: 2, completed: 1, cancelled: 1, pending: 0 },
    tokens: { input: 100, output: 50, reasoning: 0, cacheRead: 10, cacheWrite: 5 },
    cost: 0.25,
    errorCount: 0,
    todosJson: '[{"content":"a","status":"completed"}]',
    ...overrides,
  };
}
