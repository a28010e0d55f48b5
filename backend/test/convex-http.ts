/**
 * A stand-in Convex deployment for end-to-end tests: a Node HTTP server on
 * 127.0.0.1 that speaks Convex's HTTP API (`POST /api/mutation`, `POST /api/query`)
 * and runs the real functions of ../convex in one shared convex-test instance.
 *
 * Import it from a vitest test running in the Node environment (test/**). Start
 * child processes with `runCommand` (or any async spawn), never spawnSync/execSync:
 * a blocked event loop cannot answer the child's requests.
 */
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { convexTest, type TestConvex } from "convex-test";
import { makeFunctionReference } from "convex/server";
import { ConvexError, convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import schema from "../convex/schema";
import { detail } from "../convex/storage";
import { modules } from "../convex/test.setup";
import type { SessionDetail } from "../convex/validators";

export const DEFAULT_TOKEN = "test-token";

export type Endpoint = "mutation" | "query";

/** Injected into the next requests, one per request, in order. */
export type Fault =
  /** Answer with this HTTP status and `{code, message}` without running the function. */
  | { status: number; code?: string; retryAfterSeconds?: number }
  /** Run the function (its writes commit), then drop the connection unanswered. */
  | "lost-answer";

export interface RequestLogEntry {
  endpoint: string;
  /** The function path as sent, or null when the body had none. */
  path: string | null;
  /** How the request was answered. */
  outcome: "success" | "error" | "bad-request" | "fault";
  httpStatus: number | null;
  /** A `sessions:report` call's arguments, without the token. */
  args?: Record<string, unknown>;
  /** `errorData.code` of a `status:"error"` answer, or `code` of a 4xx/5xx answer. */
  code?: string;
}

export interface ConvexHttpOptions {
  /** The deployment's SESSION_EXPORT_TOKEN; null = not configured. Default DEFAULT_TOKEN. */
  token?: string | null;
}

export interface ConvexHttp {
  /** Base URL, e.g. http://127.0.0.1:43567 (use as SESSION_EXPORT_CONVEX_URL). */
  url: string;
  port: number;
  /** The shared convex-test instance; call functions or `t.run` directly. */
  t: TestConvex<typeof schema>;
  /**
   * Every stored session as the exporter sent it (the `sessions` row joined
   * with its `sessionContent`, as `sessions:get` returns it), with `_id` and
   * `_creationTime`.
   */
  sessions(): Promise<SessionDetail[]>;
  /** Deletes every document of every table (sessions, content, cells, legacy rollups, totals). */
  reset(): Promise<void>;
  /** Every request so far, in arrival order. */
  log: RequestLogEntry[];
  /** Requests per function path (bad requests without a path are not counted). */
  callsByPath(): Record<string, number>;
  /** Queue faults for the next requests. */
  failNext(...faults: Fault[]): void;
  /** Change the deployment's SESSION_EXPORT_TOKEN (null = unset). */
  setToken(token: string | null): void;
  /** Environment for the session-export binary: URL and (unless unset) the token. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

const TOKEN_VAR = "SESSION_EXPORT_TOKEN";

/**
 * Starts the façade on 127.0.0.1 at a random port. The token is written to
 * `process.env` (convex-test functions read the real one), so run one façade
 * at a time per test file; `close()` restores the previous value.
 */
export async function startConvexHttp(options: ConvexHttpOptions = {}): Promise<ConvexHttp> {
  const t = convexTest(schema, modules);
  const previousToken = process.env[TOKEN_VAR];
  let token = options.token === undefined ? DEFAULT_TOKEN : options.token;
  const applyToken = () => {
    if (token === null) delete process.env[TOKEN_VAR];
    else process.env[TOKEN_VAR] = token;
  };
  applyToken();

  const log: RequestLogEntry[] = [];
  const faults: Fault[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { code: "InternalServerError", message: String(e) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const route = new URL(req.url ?? "/", "http://localhost").pathname;
    const endpoint = route.replace(/^\/api\//, "");
    const entry: RequestLogEntry = { endpoint, path: null, outcome: "bad-request", httpStatus: 400 };
    log.push(entry);
    const reject = (status: number, code: string, message: string) => {
      entry.httpStatus = status;
      entry.code = code;
      send(res, status, { code, message });
    };

    if (req.method !== "POST" || (route !== "/api/mutation" && route !== "/api/query")) {
      return reject(404, "NotFound", `No route for ${req.method} ${route}`);
    }
    if (!isJsonContentType(req.headers["content-type"])) {
      return reject(400, "BadJsonBody", "Expected request with `Content-Type: application/json`");
    }
    let request: unknown;
    try {
      request = JSON.parse(body);
    } catch (e) {
      return reject(400, "BadJsonBody", `Failed to parse the request body as JSON: ${String(e)}`);
    }
    if (!isObject(request) || typeof request.path !== "string" || !("args" in request)) {
      return reject(400, "BadJsonBody", "Expected a JSON object with `path` (string) and `args`");
    }
    entry.path = request.path;
    if (request.path === "sessions:report" && isObject(request.args)) {
      const { token: _token, ...args } = request.args;
      entry.args = args;
    }
    const udfPath = canonicalPath(request.path);
    if (udfPath === null) {
      return reject(
        400,
        "BadConvexFunctionIdentifier",
        `${request.path} is not a valid path to a Convex function.`,
      );
    }

    const fault = faults.shift();
    if (fault !== undefined && fault !== "lost-answer") {
      entry.outcome = "fault";
      entry.httpStatus = fault.status;
      entry.code = fault.code ?? "InjectedFault";
      if (fault.retryAfterSeconds !== undefined) {
        res.setHeader("Retry-After", String(fault.retryAfterSeconds));
      }
      return send(res, fault.status, { code: entry.code, message: "Injected by the test" });
    }

    let answer: Record<string, JSONValue>;
    try {
      const rawArgs = Array.isArray(request.args) && request.args.length === 1 ? request.args[0] : request.args;
      const args = jsonToConvex(rawArgs as JSONValue) as Record<string, Value>;
      const value =
        endpoint === "mutation"
          ? await t.mutation(makeFunctionReference<"mutation">(udfPath), args)
          : await t.query(makeFunctionReference<"query">(udfPath), args);
      entry.outcome = "success";
      answer = { status: "success", value: convexToJson(value as Value) };
    } catch (e) {
      entry.outcome = "error";
      answer = { status: "error", errorMessage: e instanceof Error ? e.message : String(e) };
      if (isConvexError(e)) {
        answer.errorData = convexToJson(e.data);
        const code = isObject(e.data) ? e.data.code : undefined;
        if (typeof code === "string") entry.code = code;
      }
    }
    if (fault === "lost-answer") {
      entry.outcome = "fault";
      entry.httpStatus = null;
      res.socket?.destroy();
      return;
    }
    entry.httpStatus = 200;
    send(res, 200, answer);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    t,
    sessions: () =>
      t.run(async (ctx) => {
        const rows = await ctx.db.query("sessions").collect();
        return await Promise.all(rows.map((row) => detail(ctx.db, row)));
      }),
    reset: () =>
      t.run(async (ctx) => {
        for (const table of ["sessions", "sessionContent", "cells", "rollups", "groupTotals"] as const) {
          for (const d of await ctx.db.query(table).collect()) await ctx.db.delete(table, d._id);
        }
      }),
    log,
    callsByPath() {
      const counts: Record<string, number> = {};
      for (const { path } of log) if (path !== null) counts[path] = (counts[path] ?? 0) + 1;
      return counts;
    },
    failNext: (...more) => void faults.push(...more),
    setToken(next) {
      token = next;
      applyToken();
    },
    env() {
      const env: Record<string, string> = { SESSION_EXPORT_CONVEX_URL: url };
      if (token !== null) env[TOKEN_VAR] = token;
      return env;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (previousToken === undefined) delete process.env[TOKEN_VAR];
      else process.env[TOKEN_VAR] = previousToken;
    },
  };
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (so the façade keeps answering). */
export function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 30_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    // The child may exit before reading its input: a closed pipe is not an error.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** `application/json` or `application/<x>+json`, parameters allowed (as Convex). */
function isJsonContentType(header: string | undefined): boolean {
  const mime = header?.split(";")[0].trim().toLowerCase() ?? "";
  return mime === "application/json" || /^application\/[^/]+\+json$/.test(mime);
}

/** "dir/module(.js)?(:export)?" -> "dir/module:export", or null if malformed. */
function canonicalPath(path: string): string | null {
  const m = /^([A-Za-z0-9_\-]+(?:\/[A-Za-z0-9_\-]+)*)(?:\.js)?(?::([A-Za-z_$][A-Za-z0-9_$]*))?$/.exec(path);
  return m === null ? null : `${m[1]}:${m[2] ?? "default"}`;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function isConvexError(e: unknown): e is ConvexError<Value> {
  return e instanceof ConvexError || (isObject(e) && Symbol.for("ConvexError") in e);
}
