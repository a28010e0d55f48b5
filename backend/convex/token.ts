import { ConvexError } from "convex/values";

/**
 * Shared-secret check for machine clients. The secret lives in the deployment
 * environment (`npx convex env set SESSION_EXPORT_TOKEN ...`); callers pass it
 * as the `token` argument. Fails closed when the secret is not configured.
 */
export function requireToken(token: string | undefined): void {
  const expected = process.env.SESSION_EXPORT_TOKEN;
  if (!expected) {
    throw new ConvexError({
      code: "TOKEN_NOT_CONFIGURED",
      message: "SESSION_EXPORT_TOKEN is not set on this deployment (npx convex env set SESSION_EXPORT_TOKEN <secret>)",
    });
  }
  if (token === undefined || !sameString(token, expected)) {
    throw new ConvexError({ code: "UNAUTHORIZED", message: "missing or wrong token" });
  }
}

/** Compares without returning early on the first differing byte. */
function sameString(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  }
  return diff === 0;
}
