import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

/** Retention of transcripts (retention.ts); does nothing unless SESSION_EXPORT_RETENTION_DAYS is set. */
crons.daily("purge old transcripts", { hourUTC: 3, minuteUTC: 30 }, internal.retention.purge, {});

export default crons;
