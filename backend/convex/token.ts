import { ConvexError } from "convex/values";

/** The exporter's secret: upsert, report, totals, recent. */
export const WRITE_TOKEN_VAR = "SESSION_EXPORT_TOKEN";
/** The transcript reader's secret: `sessions:get`, the only function that returns content. */
export const READ_TOKEN_VAR = "SESSION_EXPORT_READ_TOKEN";

/**
 * Shared-secret check for machine clients. The secret lives in the deployment
 * environment (`npx convex env set SESSION_EXPORT_TOKEN ...`); callers pass it
 * as the `token` argument. Fails closed when the secret is not configured.
 */
export function requireToken(token: string | undefined): void {
  requireSecret(token, WRITE_TOKEN_VAR);
}

/**
 * The same check against SESSION_EXPORT_READ_TOKEN: the exporter's token,
 * which sits on every developer's machine, does not read colleagues' transcripts.
 */
export function requireReadToken(token: string | undefined): void {
  requireSecret(token, READ_TOKEN_VAR);
}

function requireSecret(token: string | undefined, variable: string): void {
  const expected = process.env[variable];
  if (!expected) {
    throw new ConvexError({
      code: "TOKEN_NOT_CONFIGURED",
      message: `${variable} is not set on this deployment (npx convex env set ${variable} <secret>)`,
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
