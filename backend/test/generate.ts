/**
 * Random but self-consistent session documents for the aggregate tests, from
 * a seeded PRNG (the same seed gives the same documents), and an independent
 * reference computation of `sessions:report` straight from documents.
 */
import type { ReportBy, ReportRow, SessionDoc, TokenCounts } from "../convex/validators";
import { sampleSession } from "./sample";

export type Rng = () => number;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

const DAY = 86_400_000;
export const START = Date.UTC(2024, 0, 1);

export interface Shape {
  days: number;
  devices: number;
  projects: number;
  models: number;
  /** Share of top-level documents without `daily` (an older exporter). */
  oldShare?: number;
  /** Share of subagent documents (parentSessionId set). */
  childShare?: number;
  /** Share of documents with subagents. */
  subagentShare?: number;
  /** Attach a todosJson / messagesJson. */
  content?: boolean;
  /** Share of documents with listCost (from an exporter that prices usage). */
  pricedShare?: number;
}

function tokens(rng: Rng): TokenCounts {
  return {
    input: int(rng, 0, 5000),
    output: int(rng, 0, 2000),
    reasoning: int(rng, 0, 300),
    cacheRead: int(rng, 0, 10000),
    cacheWrite: int(rng, 0, 500),
  };
}

function sumTokens(xs: TokenCounts[]): TokenCounts {
  const t = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 };
  for (const x of xs) for (const k of Object.keys(t) as (keyof TokenCounts)[]) t[k] += x[k];
  return t;
}

const cost = (rng: Rng) => Math.round(rng() * 1_000_000) / 1_000_000;

/** A model without a list price in the documents of a pricing exporter. */
export const UNPRICED_MODEL = "provider1/model-0";

/**
 * What a pricing exporter adds to a document: listCost on every entry (the
 * tokens at a made-up list price), unpricedMessages where a model has none
 * (UNPRICED_MODEL), summed up the same way as cost.
 */
function addListCosts(doc: SessionDoc): void {
  type Entry = { messages: number; listCost?: number; unpricedMessages?: number; tokens: TokenCounts };
  const price = (e: Entry & { model: string }) => {
    if (e.model === UNPRICED_MODEL) {
      e.listCost = 0;
      e.unpricedMessages = e.messages;
    } else {
      e.listCost = (3 * e.tokens.input + 15 * (e.tokens.output + e.tokens.reasoning) + 0.3 * e.tokens.cacheRead + 3.75 * e.tokens.cacheWrite) / 1e6;
    }
  };
  const sum = (into: { listCost?: number; unpricedMessages?: number }, parts: Entry[]) => {
    into.listCost = parts.reduce((a, p) => a + (p.listCost ?? 0), 0);
    const unpriced = parts.reduce((a, p) => a + (p.unpricedMessages ?? 0), 0);
    if (unpriced > 0) into.unpricedMessages = unpriced;
  };
  const days = (daily: Daily[] | undefined) => {
    for (const d of daily ?? []) {
      for (const m of d.models ?? []) price(m);
      sum(d, d.models ?? []);
    }
  };
  days(doc.daily);
  sum(doc, doc.daily ?? []);
  if (doc.subagents !== undefined) {
    days(doc.subagents.daily);
    sum(doc.subagents, doc.subagents.daily ?? []);
  }
}

/** A stable number from a string (FNV-1a), to seed a PRNG apart from the main one. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
const dayString = (ms: number) => new Date(ms).toISOString().slice(0, 10);

type Daily = NonNullable<SessionDoc["daily"]>[number];

/** Usage spread over 1-3 consecutive days from `firstDay`, `sessions` per day. */
function genDaily(rng: Rng, firstDay: number, shape: Shape, sessions: number): Daily[] {
  const n = int(rng, 1, 3);
  const out: Daily[] = [];
  for (let i = 0; i < n; i++) {
    const nModels = int(rng, 1, 2);
    const models = [...new Set(Array.from({ length: nModels }, () => `provider${int(rng, 0, 1)}/model-${int(rng, 0, shape.models - 1)}`))].map(
      (model) => ({ model, sessions, messages: int(rng, 1, 6), cost: cost(rng), tokens: tokens(rng) }),
    );
    const assistant = models.reduce((a, m) => a + m.messages, 0);
    out.push({
      day: dayString(firstDay + i * DAY),
      sessions,
      messages: assistant + int(rng, 1, 5),
      cost: models.reduce((a, m) => a + m.cost, 0),
      tokens: sumTokens(models.map((m) => m.tokens)),
      models,
    });
  }
  return out;
}

/** A valid document; `version` makes later versions newer (updatedAt). */
export function genSession(rng: Rng, sessionId: string, shape: Shape, version = 0): SessionDoc {
  const dayIndex = int(rng, 0, shape.days - 3);
  const createdAt = START + dayIndex * DAY + int(rng, 0, DAY - 1);
  const isChild = rng() < (shape.childShare ?? 0.1);
  const isOld = !isChild && rng() < (shape.oldShare ?? 0.1);
  const daily = genDaily(rng, START + dayIndex * DAY, shape, 1);
  const messageCount = daily.reduce((a, d) => a + d.messages, 0);
  const modelSet = [...new Set(daily.flatMap((d) => (d.models ?? []).map((m) => m.model)))];
  const doc: SessionDoc = sampleSession({
    sessionId,
    deviceId: `device-${int(rng, 0, shape.devices - 1)}`,
    projectDirectory: `/work/project-${int(rng, 0, shape.projects - 1)}`,
    projectId: "",
    createdAt,
    // Later versions are newer, whatever their (random) createdAt.
    updatedAt: START + 1000 * DAY + version * 60_000,
    exportedAt: START + 1000 * DAY + version * 60_000 + 1,
    messageCount,
    userMessageCount: 0,
    assistantMessageCount: 0,
    modelsUsed: modelSet,
    primaryModel: modelSet[0],
    cost: daily.reduce((a, d) => a + d.cost, 0),
    tokens: sumTokens(daily.map((d) => d.tokens)),
    todosJson: undefined,
  });
  doc.hostname = `host-of-${doc.deviceId}`;
  doc.projectId = `id${doc.projectDirectory}`;
  doc.assistantMessageCount = daily.reduce((a, d) => a + (d.models ?? []).reduce((b, m) => b + m.messages, 0), 0);
  doc.userMessageCount = messageCount - doc.assistantMessageCount;
  if (isChild) doc.parentSessionId = `parent-of-${sessionId}`;
  if (!isOld) doc.daily = daily;
  if (rng() < (shape.subagentShare ?? 0.3)) {
    const subDaily = genDaily(rng, START + dayIndex * DAY, shape, int(rng, 1, 2));
    doc.subagents = {
      sessionCount: Math.max(...subDaily.map((d) => d.sessions)),
      messageCount: subDaily.reduce((a, d) => a + d.messages, 0),
      cost: subDaily.reduce((a, d) => a + d.cost, 0),
      tokens: sumTokens(subDaily.map((d) => d.tokens)),
      ...(isOld ? {} : { daily: subDaily }),
    };
  }
  // Most documents come from an exporter that prices usage; the others from one that did not.
  if (prng(hash(`${sessionId}/${version}`))() < (shape.pricedShare ?? 0.7)) addListCosts(doc);
  if (shape.content) {
    doc.todosJson = JSON.stringify([{ content: `todo ${version}`, status: "completed" }]);
    if (rng() < 0.5) doc.messagesJson = JSON.stringify([{ role: "user", text: `hello ${sessionId} ${version}` }]);
  }
  return doc;
}

/** ISO week, computed differently from the backend (via the week's Monday and Jan 4th). */
function isoWeekRef(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const monday = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY);
  const thursday = new Date(monday.getTime() + 3 * DAY);
  const year = thursday.getUTCFullYear();
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const week1Monday = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * DAY;
  const week = Math.round((monday.getTime() - week1Monday) / (7 * DAY)) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/**
 * `sessions:report` computed directly from the stored documents, by the rules
 * in the README (independent of the rollup code). Rows sorted by key.
 */
export function expectedReport(
  docs: SessionDoc[],
  by: ReportBy,
  from?: number,
  to?: number,
  models = false,
): ReportRow[] {
  const split = new Map<string, Map<string, ReportRow>>();
  const rows = new Map<string, ReportRow>();
  const inRange = (day: string) => {
    const start = Date.parse(`${day}T00:00:00Z`);
    return (from === undefined || start >= from) && (to === undefined || start < to);
  };
  // An entry without listCost (an exporter that did not price usage): its assistant messages are unpriced.
  const listOf = (e: { listCost?: number; unpricedMessages?: number }, assistant: number) =>
    e.listCost === undefined ? { listCost: 0, unpriced: assistant } : { listCost: e.listCost, unpriced: e.unpricedMessages ?? 0 };
  const into = (
    map: Map<string, ReportRow>,
    key: string,
    e: { sessions: number; messages: number; cost: number; tokens: TokenCounts; listCost?: number; unpricedMessages?: number },
    assistant: number,
  ) => {
    const row = map.get(key) ?? { key, sessions: 0, messages: 0, cost: 0, listCost: 0, tokens: sumTokens([]) };
    const l = listOf(e, assistant);
    row.sessions += e.sessions;
    row.messages += e.messages;
    row.cost += e.cost;
    row.listCost += l.listCost;
    row.unpricedMessages = (row.unpricedMessages ?? 0) + l.unpriced;
    row.tokens = sumTokens([row.tokens, e.tokens]);
    map.set(key, row);
  };
  const labels = new Map<string, string>();
  for (const doc of docs) {
    if (doc.parentSessionId !== undefined) continue;
    // Without daily: the whole session on its createdAt day, its assistant messages (all of
    // the subagents' messages, not counted apart) unpriced when it has no listCost.
    const whole = (sessions: number, messages: number, c: number, t: TokenCounts, l: ReturnType<typeof listOf>): Daily => {
      const list = { listCost: l.listCost, unpricedMessages: l.unpriced };
      return {
        day: dayString(doc.createdAt),
        sessions,
        messages,
        cost: c,
        tokens: t,
        ...list,
        models: [{ model: doc.primaryModel ?? "unknown", sessions, messages, cost: c, tokens: t, ...list }],
      };
    };
    const entries: Daily[] = [
      ...(doc.daily ?? [whole(1, doc.messageCount, doc.cost, doc.tokens, listOf(doc, doc.assistantMessageCount))]),
    ];
    const sub = doc.subagents;
    if (sub !== undefined) {
      entries.push(...(sub.daily ?? [whole(sub.sessionCount, sub.messageCount, sub.cost, sub.tokens, listOf(sub, sub.messageCount))]));
    }
    for (const d of entries) {
      if (!inRange(d.day)) continue;
      if (d.sessions === 0 && d.messages === 0 && d.cost === 0) continue;
      const assistant = d.models === undefined ? d.messages : d.models.reduce((a, m) => a + m.messages, 0);
      switch (by) {
        case "day":
        case "week":
        case "month": {
          const key = by === "day" ? d.day : by === "week" ? isoWeekRef(d.day) : d.day.slice(0, 7);
          into(rows, key, d, assistant);
          if (models) {
            const sub = split.get(key) ?? new Map<string, ReportRow>();
            for (const m of d.models ?? []) into(sub, m.model, m, m.messages);
            split.set(key, sub);
          }
          break;
        }
        case "device":
          into(rows, doc.deviceId, d, assistant);
          labels.set(doc.deviceId, doc.hostname);
          break;
        case "project":
          into(rows, doc.projectDirectory, d, assistant);
          break;
        case "model":
          for (const m of d.models ?? []) into(rows, m.model, m, m.messages);
          break;
      }
    }
  }
  const dropZero = (r: ReportRow) => {
    if (r.unpricedMessages === 0) delete r.unpricedMessages;
  };
  for (const row of rows.values()) {
    dropZero(row);
    for (const m of split.get(row.key)?.values() ?? []) dropZero(m);
    const label = labels.get(row.key);
    if (label !== undefined) row.label = label;
    const sub = split.get(row.key);
    if (models) row.models = [...(sub?.values() ?? [])].sort((a, b) => (a.key < b.key ? -1 : 1));
  }
  return [...rows.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}
