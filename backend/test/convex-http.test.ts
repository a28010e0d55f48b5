import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { DEFAULT_TOKEN, runCommand, startConvexHttp, type ConvexHttp } from "./convex-http";
import { sampleSession } from "./sample";

let convex: ConvexHttp;
beforeEach(async () => {
  convex = await startConvexHttp();
});
afterEach(async () => {
  await convex.close();
});

async function post(
  endpoint: string,
  body: unknown,
  headers: Record<string, string> = { "Content-Type": "application/json" },
) {
  const res = await fetch(`${convex.url}/api/${endpoint}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const call = (endpoint: string, path: string, args: unknown) =>
  post(endpoint, { path, args, format: "json" });

describe("Convex HTTP façade", () => {
  test("mutation success: status success, value, and the row is stored", async () => {
    const res = await call("mutation", "sessions:upsert", { ...sampleSession(), token: DEFAULT_TOKEN });
    expect(res).toEqual({
      status: 200,
      body: { status: "success", value: { sessionId: "ses_0001", result: "inserted" } },
    });
    const rows = await convex.sessions();
    expect(rows.map((r) => r.sessionId)).toEqual(["ses_0001"]);
    expect(convex.env()).toEqual({
      SESSION_EXPORT_CONVEX_URL: convex.url,
      SESSION_EXPORT_TOKEN: DEFAULT_TOKEN,
    });
  });

  test("batch, then a query; the log counts calls per path", async () => {
    const sessions = [1, 2, 3].map((i) => sampleSession({ sessionId: `s${i}`, createdAt: i }));
    const batch = await call("mutation", "sessions:upsertBatch", { token: DEFAULT_TOKEN, sessions });
    expect(batch.body.value).toEqual(sessions.map((s) => ({ sessionId: s.sessionId, result: "inserted" })));
    const recent = await call("query", "sessions:recent", {
      token: DEFAULT_TOKEN,
      paginationOpts: { numItems: 2, cursor: null },
    });
    const page = recent.body.value as { page: { sessionId: string }[]; isDone: boolean; continueCursor: string };
    expect(page.page.map((r) => r.sessionId)).toEqual(["s3", "s2"]);
    expect(page.isDone).toBe(false);
    expect(typeof page.continueCursor).toBe("string");
    expect(convex.callsByPath()).toEqual({ "sessions:upsertBatch": 1, "sessions:recent": 1 });
    expect(convex.log.map((e) => e.outcome)).toEqual(["success", "success"]);
  });

  test("POST /api/query serves sessions:report (what `report --convex` calls)", async () => {
    const tokens = { input: 10, output: 5, reasoning: 0, cacheRead: 2, cacheWrite: 1 };
    const daily = (day: string, cost: number) => ({
      day,
      sessions: 1,
      messages: 4,
      cost,
      listCost: 2 * cost,
      tokens,
      models: [{ model: "anthropic/claude-sonnet-4", sessions: 1, messages: 2, cost, listCost: 2 * cost, tokens }],
    });
    const sessions = [
      sampleSession({ sessionId: "a", daily: [daily("2024-03-01", 0.5), daily("2024-03-02", 0.25)] }),
      sampleSession({ sessionId: "b", deviceId: "device-b", daily: [daily("2024-03-02", 1)] }),
    ];
    const stored = await call("mutation", "sessions:upsertBatch", { token: DEFAULT_TOKEN, sessions });
    expect(stored.body.status).toBe("success");

    const byDay = await call("query", "sessions:report", { token: DEFAULT_TOKEN, by: "day" });
    expect(byDay).toEqual({
      status: 200,
      body: {
        status: "success",
        value: [
          { key: "2024-03-01", sessions: 1, messages: 4, cost: 0.5, listCost: 1, tokens },
          {
            key: "2024-03-02",
            sessions: 2,
            messages: 8,
            cost: 1.25,
            listCost: 2.5,
            tokens: { input: 20, output: 10, reasoning: 0, cacheRead: 4, cacheWrite: 2 },
          },
        ],
      },
    });
    const byModel = await call("query", "sessions:report", {
      token: DEFAULT_TOKEN,
      by: "model",
      from: Date.UTC(2024, 2, 2),
      to: Date.UTC(2024, 2, 3),
    });
    expect(byModel.body.value).toEqual([
      {
        key: "anthropic/claude-sonnet-4",
        sessions: 2,
        messages: 4,
        cost: 1.25,
        listCost: 2.5,
        tokens: { input: 20, output: 10, reasoning: 0, cacheRead: 4, cacheWrite: 2 },
      },
    ]);
    const wrongToken = await call("query", "sessions:report", { token: "nope", by: "day" });
    expect(wrongToken.body).toMatchObject({ status: "error", errorData: { code: "UNAUTHORIZED" } });
    const badBy = await call("query", "sessions:report", { token: DEFAULT_TOKEN, by: "agent" });
    expect(badBy.status).toBe(200);
    expect(badBy.body.status).toBe("error");
    expect(badBy.body).not.toHaveProperty("errorData");
    expect(convex.log.filter((e) => e.endpoint === "query").map((e) => e.outcome)).toEqual([
      "success",
      "success",
      "error",
      "error",
    ]);
  });

  test("ConvexError: HTTP 200, status error, errorData with the code", async () => {
    const res = await call("mutation", "sessions:upsert", { ...sampleSession(), token: "wrong" });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("error");
    expect(typeof res.body.errorMessage).toBe("string");
    expect(res.body.errorData).toMatchObject({ code: "UNAUTHORIZED" });
    expect(convex.log[0]).toMatchObject({ outcome: "error", code: "UNAUTHORIZED", httpStatus: 200 });
    expect(await convex.sessions()).toEqual([]);
  });

  test("token not configured on the deployment", async () => {
    convex.setToken(null);
    expect(convex.env()).not.toHaveProperty("SESSION_EXPORT_TOKEN");
    const res = await call("mutation", "sessions:upsert", { ...sampleSession(), token: DEFAULT_TOKEN });
    expect(res.body.errorData).toMatchObject({ code: "TOKEN_NOT_CONFIGURED" });
  });

  test("argument validation and unknown functions: status error without errorData", async () => {
    const withNull = await call("mutation", "sessions:upsert", {
      ...sampleSession(),
      token: DEFAULT_TOKEN,
      title: null,
    });
    const unknownFn = await call("mutation", "sessions:nope", { token: DEFAULT_TOKEN });
    const unknownModule = await call("mutation", "nope:upsert", {});
    const wrongKind = await call("query", "sessions:upsert", { ...sampleSession(), token: DEFAULT_TOKEN });
    for (const res of [withNull, unknownFn, unknownModule, wrongKind]) {
      expect(res.status).toBe(200);
      expect(res.body.status).toBe("error");
      expect(res.body).not.toHaveProperty("errorData");
    }
    expect(await convex.sessions()).toEqual([]);
  });

  test("request-level failures: 400 with code and message", async () => {
    const body = { path: "sessions:upsert", args: {}, format: "json" };
    const noContentType = await post("mutation", body, {});
    const textPlain = await post("mutation", body, { "Content-Type": "text/plain" });
    const badJson = await post("mutation", "{not json");
    const noPath = await post("mutation", { args: {} });
    const noArgs = await post("mutation", { path: "sessions:upsert" });
    const badPath = await post("mutation", { path: "sessions:up:sert", args: {} });
    for (const res of [noContentType, textPlain, badJson, noPath, noArgs]) {
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: "BadJsonBody", message: expect.any(String) });
    }
    expect(badPath.status).toBe(400);
    expect(badPath.body).toMatchObject({ code: "BadConvexFunctionIdentifier" });
    // Charset parameters are fine.
    const withCharset = await post("query", { path: "sessions:report", args: { token: DEFAULT_TOKEN, by: "day" } }, {
      "Content-Type": "application/json; charset=utf-8",
    });
    expect(withCharset.body).toEqual({ status: "success", value: [] });
  });

  test("injected faults: HTTP status with Retry-After, and a lost answer after commit", async () => {
    convex.failNext({ status: 429, code: "TooManyConcurrentRequests", retryAfterSeconds: 1 }, "lost-answer");
    const args = { ...sampleSession(), token: DEFAULT_TOKEN };

    const res = await fetch(`${convex.url}/api/mutation`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ path: "sessions:upsert", args, format: "json" }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ code: "TooManyConcurrentRequests" });
    expect(await convex.sessions()).toEqual([]);

    await expect(call("mutation", "sessions:upsert", args)).rejects.toThrow();
    expect(await convex.sessions()).toHaveLength(1);

    // The client's retry is safe.
    const retry = await call("mutation", "sessions:upsert", { ...args, exportedAt: args.exportedAt + 1 });
    expect(retry.body.value).toEqual({ sessionId: "ses_0001", result: "unchanged" });
    expect(convex.callsByPath()).toEqual({ "sessions:upsert": 3 });
  });

  test("concurrent requests are serialized like transactions", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call("mutation", "sessions:upsert", {
          ...sampleSession({ sessionId: `s${i % 5}`, updatedAt: i }),
          token: DEFAULT_TOKEN,
        }),
      ),
    );
    expect(results.every((r) => r.body.status === "success")).toBe(true);
    expect(await convex.sessions()).toHaveLength(5);
  });

  test("runCommand keeps the façade answering while a child process calls it", async () => {
    const script = `
      const res = await fetch(process.env.SESSION_EXPORT_CONVEX_URL + "/api/query", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ path: "sessions:totals", args: { token: process.env.SESSION_EXPORT_TOKEN, by: "device" }, format: "json" }),
      });
      console.log(JSON.stringify(await res.json()));`;
    const out = await runCommand(process.execPath, ["--input-type=module", "-e", script], {
      env: { ...process.env, ...convex.env() },
    });
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ status: "success", value: [] });
  });
});
