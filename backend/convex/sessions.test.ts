import { convexTest } from "convex-test";
import { ConvexError, type Value } from "convex/values";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { sampleSession } from "../test/sample";
import { api } from "./_generated/api";
import schema from "./schema";
import { modules } from "./test.setup";
import type { SessionDoc } from "./validators";

const TOKEN = "s3cret-token";
const READ_TOKEN = "r3ad-token";

function setup() {
  return convexTest(schema, modules);
}
type T = ReturnType<typeof setup>;

beforeEach(() => {
  (vi.stubEnv("SESSION_EXPORT_TOKEN", TOKEN), vi.stubEnv("SESSION_EXPORT_READ_TOKEN", READ_TOKEN));
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** Every row of every table: equal before and after means nothing was written. */
async function stored(t: T) {
  return await t.run(async (ctx) => [
    ...(await ctx.db.query("sessions").collect()),
    ...(await ctx.db.query("sessionContent").collect()),
    ...(await ctx.db.query("cells").collect()),
    ...(await ctx.db.query("groupTotals").collect()),
  ]);
}

async function sessionRows(t: T) {
  return await t.run((ctx) => ctx.db.query("sessions").collect());
}

/** The stored document (as `sessions:get` returns it) without system fields. */
async function storedDoc(t: T, sessionId: string) {
  const doc = await t.query(api.sessions.get, { token: READ_TOKEN, sessionId });
  if (doc === null) return undefined;
  const { _id, _creationTime, ...rest } = doc;
  return rest;
}

/** The `errorData` of a rejected call, as an HTTP client would see it. */
async function errorData(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(ConvexError);
    return (e as ConvexError<Value>).data;
  }
  throw new Error("expected the call to fail");
}

function upsert(t: T, doc: SessionDoc) {
  return t.mutation(api.sessions.upsert, { ...doc, token: TOKEN });
}

describe("upsert", () => {
  test("inserts a new session with every field", async () => {
    const t = setup();
    const doc = sampleSession({
      parentSessionId: "ses_parent",
      title: "Fix the build",
      archivedAt: 1_700_000_300_000,
      codeChanges: { additions: 10, deletions: 2, filesChanged: 3 },
      subagents: {
        sessionCount: 1,
        messageCount: 3,
        cost: 0.1,
        tokens: { input: 1, output: 2, reasoning: 3, cacheRead: 4, cacheWrite: 5 },
      },
      messagesJson: "[]",
      messagesJsonTruncated: true,
      projectDirectoryHashed: true,
    });
    expect(await upsert(t, doc)).toEqual({ sessionId: "ses_0001", result: "inserted" });
    expect(await storedDoc(t, "ses_0001")).toEqual(doc);
    expect(await sessionRows(t)).toHaveLength(1);
  });

  test("replaces with a newer updatedAt; fields absent from the new version go away", async () => {
    const t = setup();
    await upsert(t, sampleSession({ title: "old title" }));
    const newer = sampleSession({ updatedAt: 1_700_000_900_000, messageCount: 9 });
    expect(await upsert(t, newer)).toEqual({ sessionId: "ses_0001", result: "updated" });
    expect(await storedDoc(t, "ses_0001")).toEqual(newer);
    expect(await sessionRows(t)).toHaveLength(1);
  });

  test("replaces when updatedAt is equal but content differs", async () => {
    const t = setup();
    await upsert(t, sampleSession());
    const changed = sampleSession({ pluginVersion: "0.2.0" });
    expect((await upsert(t, changed)).result).toBe("updated");
    expect(await storedDoc(t, "ses_0001")).toEqual(changed);
  });

  test("an older updatedAt is answered 'stale' and leaves the stored doc untouched", async () => {
    const t = setup();
    const current = sampleSession({ updatedAt: 2_000 });
    await upsert(t, current);
    const before = await stored(t);
    const older = sampleSession({ updatedAt: 1_000, messageCount: 1, title: "older" });
    expect(await upsert(t, older)).toEqual({ sessionId: "ses_0001", result: "stale" });
    expect(await stored(t)).toEqual(before);
  });

  test("a repeat that differs only in exportedAt is 'unchanged' and writes nothing", async () => {
    const t = setup();
    const first = sampleSession({ exportedAt: 1 });
    await upsert(t, first);
    const before = await stored(t);
    expect(await upsert(t, sampleSession({ exportedAt: 2 }))).toEqual({
      sessionId: "ses_0001",
      result: "unchanged",
    });
    // exportedAt still holds the first value: the second call wrote nothing.
    expect(await stored(t)).toEqual(before);
    // A plain retry of the very same call is just as harmless.
    expect((await upsert(t, first)).result).toBe("unchanged");
  });
});

describe("upsertBatch", () => {
  test("mixed inserted/updated/unchanged/stale, one result per input, in order", async () => {
    const t = setup();
    await upsert(t, sampleSession({ sessionId: "a", updatedAt: 100 }));
    await upsert(t, sampleSession({ sessionId: "b", updatedAt: 200 }));
    await upsert(t, sampleSession({ sessionId: "c", updatedAt: 300 }));

    const results = await t.mutation(api.sessions.upsertBatch, {
      token: TOKEN,
      sessions: [
        sampleSession({ sessionId: "new", updatedAt: 50 }),
        sampleSession({ sessionId: "a", updatedAt: 150, messageCount: 7 }),
        sampleSession({ sessionId: "b", updatedAt: 199, messageCount: 99 }),
        sampleSession({ sessionId: "c", updatedAt: 300, exportedAt: 5 }),
        // The same session twice in one batch: the second sees the first's write.
        sampleSession({ sessionId: "new", updatedAt: 60 }),
      ],
    });
    expect(results).toEqual([
      { sessionId: "new", result: "inserted" },
      { sessionId: "a", result: "updated" },
      { sessionId: "b", result: "stale" },
      { sessionId: "c", result: "unchanged" },
      { sessionId: "new", result: "updated" },
    ]);
    expect((await storedDoc(t, "a"))?.messageCount).toBe(7);
    expect((await storedDoc(t, "b"))?.messageCount).toBe(4);
    expect((await storedDoc(t, "new"))?.updatedAt).toBe(60);
    expect(await sessionRows(t)).toHaveLength(4);
  });

  test("an empty batch is fine", async () => {
    const t = setup();
    expect(await t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: [] })).toEqual([]);
  });

  test("one invalid document rejects the whole batch", async () => {
    const t = setup();
    const bad = { ...sampleSession({ sessionId: "bad" }), title: null } as unknown as SessionDoc;
    await expect(
      t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: [sampleSession(), bad] }),
    ).rejects.toThrow(/title|null/);
    expect(await sessionRows(t)).toHaveLength(0);
  });
});

/** Every function that takes the exporter's token. */
const calls = (token: string | undefined) =>
  [
    ["upsert", (t: T) => t.mutation(api.sessions.upsert, { ...sampleSession(), token })],
    ["upsertBatch", (t: T) => t.mutation(api.sessions.upsertBatch, { token, sessions: [sampleSession()] })],
    ["recent", (t: T) => t.query(api.sessions.recent, { token, paginationOpts: { numItems: 5, cursor: null } })],
    ["totals", (t: T) => t.query(api.sessions.totals, { token, by: "device" })],
    ["report", (t: T) => t.query(api.sessions.report, { token, by: "day" })],
  ] as const;

describe("token", () => {

  test.each(["unset", "empty"])(
    "SESSION_EXPORT_TOKEN %s -> TOKEN_NOT_CONFIGURED, whatever the caller sends",
    async (state) => {
      if (state === "unset") vi.stubEnv("SESSION_EXPORT_TOKEN", undefined);
      else vi.stubEnv("SESSION_EXPORT_TOKEN", "");
      const t = setup();
      for (const token of [undefined, "", TOKEN]) {
        for (const [name, call] of calls(token)) {
          expect(await errorData(call(t)), name).toMatchObject({ code: "TOKEN_NOT_CONFIGURED" });
        }
      }
      expect(await sessionRows(t)).toHaveLength(0);
    },
  );

  test.each([
    ["missing", undefined],
    ["empty", ""],
    ["wrong", "nope"],
    ["a prefix of the secret", TOKEN.slice(0, -1)],
    ["the secret plus a suffix", TOKEN + "x"],
  ])("%s token -> UNAUTHORIZED", async (_label, token) => {
    const t = setup();
    for (const [name, call] of calls(token)) {
      const data = await errorData(call(t));
      expect(data, name).toMatchObject({ code: "UNAUTHORIZED" });
      expect(JSON.stringify(data)).not.toContain(TOKEN);
    }
    expect(await sessionRows(t)).toHaveLength(0);
  });
});

describe("read token", () => {
  const get = (t: T, token: string | undefined) => t.query(api.sessions.get, { token, sessionId: "ses_0001" });

  test("sessions:get takes SESSION_EXPORT_READ_TOKEN, not the exporter's token", async () => {
    const t = setup();
    await upsert(t, sampleSession());
    expect(await errorData(get(t, TOKEN))).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await errorData(get(t, undefined))).toMatchObject({ code: "UNAUTHORIZED" });
    expect((await get(t, READ_TOKEN))?.sessionId).toBe("ses_0001");
  });

  test("the read token does not write, report or list", async () => {
    const t = setup();
    for (const [name, call] of calls(READ_TOKEN)) {
      expect(await errorData(call(t)), name).toMatchObject({ code: "UNAUTHORIZED" });
    }
    expect(await sessionRows(t)).toHaveLength(0);
  });

  test.each(["unset", "empty"])("SESSION_EXPORT_READ_TOKEN %s -> get fails closed", async (state) => {
    vi.stubEnv("SESSION_EXPORT_READ_TOKEN", state === "unset" ? undefined : "");
    const t = setup();
    await upsert(t, sampleSession());
    for (const token of [undefined, "", TOKEN, READ_TOKEN]) {
      const data = await errorData(get(t, token));
      expect(data).toMatchObject({ code: "TOKEN_NOT_CONFIGURED" });
      expect(JSON.stringify(data)).toContain("SESSION_EXPORT_READ_TOKEN");
    }
  });
});

describe("numbers: NaN, infinities and negatives are rejected, nothing written", () => {
  const cases: [string, (d: SessionDoc) => SessionDoc][] = [
    ["cost NaN", (d) => ({ ...d, cost: Number.NaN })],
    ["cost Infinity", (d) => ({ ...d, cost: Number.POSITIVE_INFINITY })],
    ["cost negative", (d) => ({ ...d, cost: -0.5 })],
    ["tokens.input -Infinity", (d) => ({ ...d, tokens: { ...d.tokens, input: Number.NEGATIVE_INFINITY } })],
    ["tokens.cacheRead negative", (d) => ({ ...d, tokens: { ...d.tokens, cacheRead: -1 } })],
    [
      "daily[0].models[0].cost NaN",
      (d) => ({
        ...d,
        daily: [{ day: "2024-01-01", sessions: 1, messages: 1, cost: 0, tokens: d.tokens, models: [{ model: "a/b", sessions: 1, messages: 1, cost: Number.NaN, tokens: d.tokens }] }],
      }),
    ],
    [
      "subagents.tokens.output negative",
      (d) => ({ ...d, subagents: { sessionCount: 1, messageCount: 1, cost: 0, tokens: { ...d.tokens, output: -3 } } }),
    ],
    ["messageCount NaN", (d) => ({ ...d, messageCount: Number.NaN })],
    ["listCost NaN", (d) => ({ ...d, listCost: Number.NaN })],
    ["listCost negative", (d) => ({ ...d, listCost: -1 })],
    ["unpricedMessages 1.5 (a count)", (d) => ({ ...d, listCost: 0, unpricedMessages: 1.5 })],
    [
      "daily[0].models[0].listCost Infinity",
      (d) => ({
        ...d,
        daily: [{ day: "2024-01-01", sessions: 1, messages: 1, cost: 0, listCost: 0, tokens: d.tokens, models: [{ model: "a/b", sessions: 1, messages: 1, cost: 0, listCost: Number.POSITIVE_INFINITY, tokens: d.tokens }] }],
      }),
    ],
    [
      "subagents.models[0].unpricedMessages -1",
      (d) => ({
        ...d,
        subagents: { sessionCount: 1, messageCount: 1, cost: 0, listCost: 0, tokens: d.tokens, models: [{ model: "a/b", messages: 1, cost: 0, listCost: 0, unpricedMessages: -1, tokens: d.tokens }] },
      }),
    ],
  ];

  test.each(cases)("%s", async (what, spoil) => {
    const t = setup();
    await upsert(t, sampleSession({ sessionId: "good" }));
    const before = await stored(t);
    const bad = spoil(sampleSession({ sessionId: "bad" }));
    const path = what.split(" ")[0];
    for (const call of [
      () => upsert(t, bad),
      () => t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: [sampleSession({ sessionId: "fine" }), bad] }),
      // A corrupted update of a stored session is refused as well.
      () => upsert(t, { ...spoil(sampleSession({ sessionId: "good" })), updatedAt: 10 ** 13 }),
    ]) {
      const data = await errorData(call());
      expect(data).toMatchObject({ code: "INVALID_DOCUMENT" });
      expect((data as { message: string }).message).toContain(path);
    }
    expect(await stored(t)).toEqual(before);
  });
});

describe("argument validation", () => {
  test("null for an optional field is rejected (omit it instead)", async () => {
    const t = setup();
    const args = { ...sampleSession(), token: TOKEN, primaryAgent: null };
    await expect(t.mutation(api.sessions.upsert, args as never)).rejects.toThrow(/primaryAgent|null/);
    expect(await sessionRows(t)).toHaveLength(0);
  });

  test("an unknown extra field is rejected, at the top level and nested", async () => {
    const t = setup();
    const extra = { ...sampleSession(), token: TOKEN, surprise: 1 };
    await expect(t.mutation(api.sessions.upsert, extra as never)).rejects.toThrow(/surprise/);
    const nested = {
      ...sampleSession(),
      token: TOKEN,
      tokens: { ...sampleSession().tokens, total: 1 },
    };
    await expect(t.mutation(api.sessions.upsert, nested as never)).rejects.toThrow(/total/);
    expect(await sessionRows(t)).toHaveLength(0);
  });

  test("a missing required field is rejected", async () => {
    const t = setup();
    const { errorCount: _omit, ...missing } = sampleSession();
    await expect(
      t.mutation(api.sessions.upsert, { ...missing, token: TOKEN } as never),
    ).rejects.toThrow(/errorCount/);
  });
});

describe("recent", () => {
  async function seed(t: T) {
    const docs = [
      sampleSession({ sessionId: "s1", deviceId: "d1", createdAt: 10, messagesJson: "[1]" }),
      sampleSession({ sessionId: "s2", deviceId: "d2", createdAt: 30, todosJson: undefined }),
      sampleSession({ sessionId: "s3", deviceId: "d1", createdAt: 20 }),
      sampleSession({ sessionId: "s4", deviceId: "d1", createdAt: 40, messagesJson: "[4]" }),
    ];
    await t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: docs });
  }
  const page = (numItems: number, cursor: string | null = null) => ({ numItems, cursor });

  test("newest first by createdAt, summaries without messagesJson/todosJson", async () => {
    const t = setup();
    await seed(t);
    const res = await t.query(api.sessions.recent, { token: TOKEN, paginationOpts: page(10) });
    expect(res.isDone).toBe(true);
    const rows = res.page;
    expect(rows.map((r) => r.sessionId)).toEqual(["s4", "s2", "s3", "s1"]);
    for (const row of rows) {
      expect(row).not.toHaveProperty("messagesJson");
      expect(row).not.toHaveProperty("todosJson");
      expect(row).not.toHaveProperty("contentId");
      expect(row).not.toHaveProperty("aggregated");
      expect(row).toHaveProperty("_id");
    }
    const { messagesJson: _m, todosJson: _t, ...summary } = sampleSession({
      sessionId: "s4",
      deviceId: "d1",
      createdAt: 40,
    });
    expect(rows[0]).toMatchObject({ ...summary, hasMessagesJson: true, hasTodosJson: true });
    expect(rows[1]).toMatchObject({ hasMessagesJson: false, hasTodosJson: false });
  });

  test("pages with a cursor; deviceId", async () => {
    const t = setup();
    await seed(t);
    const first = await t.query(api.sessions.recent, { token: TOKEN, paginationOpts: page(2) });
    expect(first.page.map((r) => r.sessionId)).toEqual(["s4", "s2"]);
    expect(first.isDone).toBe(false);
    const second = await t.query(api.sessions.recent, {
      token: TOKEN,
      paginationOpts: page(2, first.continueCursor),
    });
    expect(second.page.map((r) => r.sessionId)).toEqual(["s3", "s1"]);
    const d1 = await t.query(api.sessions.recent, { token: TOKEN, deviceId: "d1", paginationOpts: page(2) });
    expect(d1.page.map((r) => r.sessionId)).toEqual(["s4", "s3"]);
    const none = await t.query(api.sessions.recent, { token: TOKEN, deviceId: "nope", paginationOpts: page(2) });
    expect(none.page).toEqual([]);
    expect(none.isDone).toBe(true);
  });

  test("numItems is clamped to 1..500", async () => {
    const t = setup();
    const docs = Array.from({ length: 505 }, (_, i) =>
      sampleSession({ sessionId: `s${i}`, createdAt: i, todosJson: undefined }),
    );
    await t.mutation(api.sessions.upsertBatch, { token: TOKEN, sessions: docs });
    const q = (numItems: number) => t.query(api.sessions.recent, { token: TOKEN, paginationOpts: page(numItems) });
    expect((await q(10_000)).page).toHaveLength(500);
    expect((await q(0)).page).toHaveLength(1);
    expect((await q(2.7)).page).toHaveLength(2);
  });
});

describe("get", () => {
  test("the whole document with its content; null for an unknown id", async () => {
    const t = setup();
    const doc = sampleSession({ messagesJson: '[{"role":"user"}]' });
    await upsert(t, doc);
    const got = await t.query(api.sessions.get, { token: READ_TOKEN, sessionId: "ses_0001" });
    const { _id, _creationTime, ...rest } = got!;
    expect(rest).toEqual(doc);
    expect(await t.query(api.sessions.get, { token: READ_TOKEN, sessionId: "nope" })).toBeNull();
  });
});

describe("content split", () => {
  test("session rows hold no content; content lives in sessionContent", async () => {
    const t = setup();
    await upsert(t, sampleSession({ messagesJson: "[1]" }));
    const [row] = await sessionRows(t);
    expect(row).not.toHaveProperty("messagesJson");
    expect(row).not.toHaveProperty("todosJson");
    expect(row.aggregated).toBe(true);
    const content = await t.run((ctx) => ctx.db.query("sessionContent").collect());
    expect(content).toHaveLength(1);
    expect(content[0]).toMatchObject({ sessionId: "ses_0001", messagesJson: "[1]", todosJson: sampleSession().todosJson });
    expect(row.contentId).toBe(content[0]._id);
  });

  test("a change of content alone is 'updated'; the old content row goes", async () => {
    const t = setup();
    await upsert(t, sampleSession({ messagesJson: "[1]" }));
    expect((await upsert(t, sampleSession({ messagesJson: "[2]" }))).result).toBe("updated");
    expect((await upsert(t, sampleSession({ messagesJson: "[2]", exportedAt: 9 }))).result).toBe("unchanged");
    expect((await storedDoc(t, "ses_0001"))?.messagesJson).toBe("[2]");
    // Same length, different text: the digest differs, and equality is checked on the strings anyway.
    expect((await upsert(t, sampleSession({ messagesJson: "[3]" }))).result).toBe("updated");
    expect((await upsert(t, sampleSession({ messagesJson: undefined, todosJson: undefined }))).result).toBe("updated");
    expect(await t.run((ctx) => ctx.db.query("sessionContent").collect())).toHaveLength(0);
    expect(await storedDoc(t, "ses_0001")).toEqual(sampleSession({ messagesJson: undefined, todosJson: undefined }));
  });

  test("a summary change keeps the content row", async () => {
    const t = setup();
    await upsert(t, sampleSession({ messagesJson: "[1]" }));
    const before = await t.run((ctx) => ctx.db.query("sessionContent").collect());
    expect((await upsert(t, sampleSession({ messagesJson: "[1]", title: "new" }))).result).toBe("updated");
    expect(await t.run((ctx) => ctx.db.query("sessionContent").collect())).toEqual(before);
  });
});

describe("totals", () => {
  const tokens = (n: number) => ({ input: n, output: 2 * n, reasoning: 0, cacheRead: n, cacheWrite: 0 });

  async function seed(t: T) {
    await t.mutation(api.sessions.upsertBatch, {
      token: TOKEN,
      sessions: [
        sampleSession({
          sessionId: "p1",
          deviceId: "d1",
          hostname: "alpha",
          projectId: "projA",
          projectDirectory: "/a",
          createdAt: 1,
          messageCount: 10,
          cost: 1,
          tokens: tokens(100),
          subagents: { sessionCount: 2, messageCount: 5, cost: 0.5, tokens: tokens(10) },
        }),
        // A subagent of p1, also exported: already counted in p1's rollup.
        sampleSession({
          sessionId: "p1-child",
          parentSessionId: "p1",
          deviceId: "d1",
          projectId: "projA",
          createdAt: 2,
          messageCount: 3,
          cost: 0.3,
          tokens: tokens(7),
        }),
        // A subagent whose parent was never exported: stored, not counted.
        sampleSession({
          sessionId: "orphan",
          parentSessionId: "not-stored",
          deviceId: "d2",
          hostname: "beta",
          projectId: "projA",
          projectDirectory: "/a",
          createdAt: 3,
          messageCount: 1,
          cost: 0.25,
          tokens: tokens(1),
        }),
        sampleSession({
          sessionId: "p2",
          deviceId: "d1",
          hostname: "alpha",
          projectId: "projB",
          projectDirectory: "/b",
          createdAt: 4,
          messageCount: 2,
          cost: 2,
          tokens: tokens(20),
        }),
        sampleSession({
          sessionId: "p3",
          deviceId: "d3",
          hostname: "gamma",
          projectId: "projA",
          projectDirectory: "/a",
          createdAt: 3,
          messageCount: 1,
          cost: 0.25,
          tokens: tokens(1),
        }),
      ],
    });
  }

  test("by device", async () => {
    const t = setup();
    await seed(t);
    const rows = await t.query(api.sessions.totals, { token: TOKEN, by: "device" });
    expect(rows).toEqual([
      {
        key: "d1",
        label: "alpha",
        sessionCount: 2,
        subagentSessionCount: 2,
        messageCount: 10 + 5 + 2,
        cost: 1 + 0.5 + 2,
        tokens: { input: 130, output: 260, reasoning: 0, cacheRead: 130, cacheWrite: 0 },
      },
      {
        key: "d3",
        label: "gamma",
        sessionCount: 1,
        subagentSessionCount: 0,
        messageCount: 1,
        cost: 0.25,
        tokens: tokens(1),
      },
    ]);
  });

  test("by project", async () => {
    const t = setup();
    await seed(t);
    const rows = await t.query(api.sessions.totals, { token: TOKEN, by: "project" });
    expect(rows.map((r) => [r.key, r.label, r.sessionCount, r.messageCount, r.cost])).toEqual([
      ["projB", "/b", 1, 2, 2],
      ["projA", "/a", 2, 16, 1.75],
    ]);
    expect(rows[1].tokens).toEqual({ input: 111, output: 222, reasoning: 0, cacheRead: 111, cacheWrite: 0 });
  });

  test("an update moves a session between keys; a key whose last session left disappears", async () => {
    const t = setup();
    await seed(t);
    await upsert(t, sampleSession({
      sessionId: "p3", deviceId: "d1", hostname: "alpha", projectId: "projA", projectDirectory: "/a",
      createdAt: 3, updatedAt: 1_800_000_000_000, messageCount: 1, cost: 0.25, tokens: tokens(1),
    }));
    const rows = await t.query(api.sessions.totals, { token: TOKEN, by: "device" });
    expect(rows.map((r) => [r.key, r.sessionCount])).toEqual([["d1", 3]]);
  });

  test("an empty table has no rows; an unknown grouping is rejected", async () => {
    const t = setup();
    expect(await t.query(api.sessions.totals, { token: TOKEN, by: "device" })).toEqual([]);
    await expect(
      t.query(api.sessions.totals, { token: TOKEN, by: "model" } as never),
    ).rejects.toThrow();
  });
});
