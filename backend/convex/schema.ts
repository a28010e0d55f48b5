import { defineSchema, defineTable } from "convex/server";
import { sessionFields } from "./validators";

export default defineSchema({
  sessions: defineTable(sessionFields)
    .index("by_sessionId", ["sessionId"])
    .index("by_deviceId", ["deviceId"])
    .index("by_projectId", ["projectId"])
    .index("by_createdAt", ["createdAt"])
    .index("by_deviceId_createdAt", ["deviceId", "createdAt"]),
});
