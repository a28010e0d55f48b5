/**
 * Convex's `v.number()` takes any float64: NaN, ±Infinity and negatives
 * included. Every number of a session document is a count, a cost, a token
 * count, a duration or a timestamp, so each must be finite and not negative;
 * one NaN summed into a cell would stay there for good (NaN - NaN is NaN, so a
 * corrected re-upsert could not take it back out).
 */
import { ConvexError } from "convex/values";

/**
 * Throws INVALID_DOCUMENT naming the first number of `doc` (at any depth)
 * that is NaN, infinite or negative.
 */
export function requireSaneNumbers(doc: { sessionId: string }): void {
  const bad = firstBad(doc, "");
  if (bad !== undefined) {
    throw new ConvexError({
      code: "INVALID_DOCUMENT",
      message: `session ${doc.sessionId}: ${bad.path} is ${bad.value}, not a finite number >= 0`,
    });
  }
}

function firstBad(value: unknown, path: string): { path: string; value: number } | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? undefined : { path, value };
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
      const bad = firstBad(v, path === "" ? k : `${path}.${k}`);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}
