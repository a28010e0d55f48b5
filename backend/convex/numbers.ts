/**
 * Convex's `v.number()` takes any float64: NaN, ±Infinity and negatives
 * included. Every number of a session document is a count, a cost, a token
 * count, a duration or a timestamp, so each must be finite and not negative;
 * one NaN summed into a cell would stay there for good (NaN - NaN is NaN, so a
 * corrected re-upsert could not take it back out).
 */
import { ConvexError } from "convex/values";

/** Fields that count things one by one, so must be whole numbers too. */
const COUNTS = new Set(["unpricedMessages"]);

/**
 * Throws INVALID_DOCUMENT naming the first number of `doc` (at any depth)
 * that is NaN, infinite or negative, or a count (`unpricedMessages`) that is
 * not an integer.
 */
export function requireSaneNumbers(doc: { sessionId: string }): void {
  const bad = firstBad(doc, "");
  if (bad !== undefined) {
    const what = bad.count ? "not an integer >= 0" : "not a finite number >= 0";
    throw new ConvexError({
      code: "INVALID_DOCUMENT",
      message: `session ${doc.sessionId}: ${bad.path} is ${bad.value}, ${what}`,
    });
  }
}

function firstBad(value: unknown, path: string, count = false): { path: string; value: number; count: boolean } | undefined {
  if (typeof value === "number") {
    const ok = Number.isFinite(value) && value >= 0 && (!count || Number.isInteger(value));
    return ok ? undefined : { path, value, count };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = firstBad(value[i], `${path}[${i}]`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const bad = firstBad(v, path === "" ? k : `${path}.${k}`, COUNTS.has(k));
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}
