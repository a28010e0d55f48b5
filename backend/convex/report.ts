/** Reading the rollups back: day ranges, ISO weeks, grouping and ordering of report rows. */
import { ConvexError } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import type { DatabaseReader } from "./_generated/server";
import { addTokens, DAY_MS, utcDay, zeroTokens } from "./aggregates";
import type { ReportBy, ReportRow, RollupDim } from "./validators";

/** A range of UTC days, as index bounds on `day`: lo inclusive, hi exclusive. */
export interface DayRange {
  lo?: string;
  hi?: string;
}

/**
 * A day is in range when its UTC start is >= from and < to: the first day in
 * range starts at ceil(from / day), the first day out of range at ceil(to / day).
 */
export function dayRange(from: number | undefined, to: number | undefined): DayRange {
  for (const [name, ms] of [["from", from], ["to", to]] as const) {
    if (ms !== undefined && Number.isNaN(ms)) {
      throw new ConvexError({ code: "INVALID_ARGUMENT", message: `${name} must be epoch milliseconds` });
    }
  }
  if (from === Infinity || to === -Infinity) return { lo: "1", hi: "0" }; // nothing in range
  const bound = (ms: number | undefined): string | undefined => {
    if (ms === undefined || !Number.isFinite(ms)) return undefined; // -Infinity / Infinity: open
    const day = Math.ceil(ms / DAY_MS) * DAY_MS;
    // Beyond what "YYYY-MM-DD" spells: clamp (every stored day is inside).
    if (day < Date.parse("0000-01-01T00:00:00Z")) return "0000-01-01";
    if (day > Date.parse("9999-12-31T00:00:00Z")) return "9999-12-32";
    return utcDay(day);
  };
  const lo = bound(from);
  const hi = bound(to);
  return { ...(lo === undefined ? {} : { lo }), ...(hi === undefined ? {} : { hi }) };
}

/** ISO 8601 week of a "YYYY-MM-DD" day: "YYYY-Www". */
export function isoWeek(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`);
  const weekday = (new Date(t).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(t + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return `${String(year).padStart(4, "0")}-W${String(week).padStart(2, "0")}`;
}

const DIM_OF: Record<ReportBy, RollupDim> = {
  day: "total",
  week: "total",
  month: "total",
  device: "device",
  project: "project",
  model: "model",
};

/**
 * Most cells one report may read: under Convex's 32,000 documents and 16 MiB
 * per query, with room to spare. Past either, the report fails with
 * REPORT_TOO_LARGE rather than with Convex's own error (or a half answer).
 */
export const READ_BUDGET_DOCS = 30_000;
export const READ_BUDGET_BYTES = 12 * 1024 * 1024;

/** Counts the cells a report reads, and stops it cleanly at the budget. */
export class Budget {
  docs = 0;
  bytes = 0;
  constructor(private readonly what: string) {}

  take(cell: Cell): void {
    this.docs += 1;
    // About the size Convex counts for the document.
    this.bytes += JSON.stringify(cell).length;
    if (this.docs > READ_BUDGET_DOCS || this.bytes > READ_BUDGET_BYTES) {
      throw new ConvexError({
        code: "REPORT_TOO_LARGE",
        message:
          `${this.what} needs more than ${READ_BUDGET_DOCS} cells or ${READ_BUDGET_BYTES / 1024 / 1024} MiB: ` +
          "ask for a shorter range (from/to) or a coarser grouping",
      });
    }
  }
}

type Cell = Doc<"cells">;

/** A range of periods ("YYYY-MM-DD" or "YYYY-MM"): lo inclusive, hi exclusive. */
interface PeriodRange {
  lo?: string;
  hi?: string;
}

/** Later than any day "YYYY-MM-DD" can spell. */
const PAST_LAST_DAY = "9999-12-31";

function nextMonth(month: string): string {
  const [y, m] = month.split("-").map(Number);
  return m === 12 ? `${String(y + 1).padStart(4, "0")}-01` : `${String(y).padStart(4, "0")}-${String(m + 1).padStart(2, "0")}`;
}

/**
 * The whole months of a day range, and the days at its ragged ends (at most
 * 30 before the first whole month and 30 after the last): reading month cells
 * for the one and day cells for the other costs keys x (months + 62) cells at
 * most, whatever the range.
 */
export function monthsAndEdges(range: DayRange): { months?: PeriodRange; days: PeriodRange[] } {
  const { lo, hi } = range;
  const mLo = lo === undefined ? undefined : lo.endsWith("-01") ? lo.slice(0, 7) : nextMonth(lo.slice(0, 7));
  const mHi = hi?.slice(0, 7);
  if (mLo !== undefined && mHi !== undefined && mLo >= mHi) return { days: [range] };
  const days: PeriodRange[] = [];
  if (lo !== undefined && mLo !== undefined && lo < `${mLo}-01`) days.push({ lo, hi: `${mLo}-01` });
  if (hi !== undefined && mHi !== undefined && `${mHi}-01` < hi) days.push({ lo: `${mHi}-01`, hi });
  return {
    months: { ...(mLo === undefined ? {} : { lo: mLo }), ...(mHi === undefined ? {} : { hi: mHi }) },
    days,
  };
}

/** The cells of one grain and dimension whose period is in range: one index range. */
async function scan(
  db: DatabaseReader,
  budget: Budget,
  grain: "day" | "month",
  dim: RollupDim,
  range: PeriodRange,
): Promise<Cell[]> {
  if (range.lo !== undefined && range.hi !== undefined && range.lo >= range.hi) return [];
  const out: Cell[] = [];
  const cells = db.query("cells").withIndex("by_grain_dim_period_key", (q) => {
    const withDim = q.eq("grain", grain).eq("dim", dim);
    const lower = range.lo === undefined ? withDim : withDim.gte("period", range.lo);
    return range.hi === undefined ? lower : lower.lt("period", range.hi);
  });
  for await (const cell of cells) {
    budget.take(cell);
    out.push(cell);
  }
  return out;
}

/** One dimension over a day range: month cells for the whole months, day cells at the edges. */
async function overRange(db: DatabaseReader, budget: Budget, dim: RollupDim, range: DayRange): Promise<Cell[]> {
  if (range.lo !== undefined && range.lo > PAST_LAST_DAY) return [];
  const { months, days } = monthsAndEdges(range);
  const out = months === undefined ? [] : await scan(db, budget, "month", dim, months);
  for (const d of days) out.push(...(await scan(db, budget, "day", dim, d)));
  return out;
}

/**
 * Reads the cells a report needs. Day and week rows need day cells: the
 * "total" shards of each day in range (TOTAL_SHARDS per day). Everything else
 * reads month cells plus day cells at the range's ragged ends.
 */
export async function readCells(
  db: DatabaseReader,
  budget: Budget,
  by: ReportBy,
  range: DayRange,
): Promise<Cell[]> {
  if (range.lo !== undefined && range.hi !== undefined && range.lo >= range.hi) return [];
  if (by === "day" || by === "week") return await scan(db, budget, "day", "total", range);
  return await overRange(db, budget, DIM_OF[by], range);
}

/**
 * Day, week or month rows split by model under each row, as the CLI's table
 * and `--json` rows show them: the "model" cells of the same periods.
 */
export async function withModels(
  db: DatabaseReader,
  budget: Budget,
  by: "day" | "week" | "month",
  range: DayRange,
  rows: ReportRow[],
): Promise<ReportRow[]> {
  if (range.lo !== undefined && range.hi !== undefined && range.lo >= range.hi) return rows;
  const cells = by === "month" ? await overRange(db, budget, "model", range) : await scan(db, budget, "day", "model", range);
  const byPeriod = new Map<string, Cell[]>();
  for (const c of cells) {
    const period = by === "day" ? c.period : by === "week" ? isoWeek(c.period) : c.period.slice(0, 7);
    const list = byPeriod.get(period) ?? [];
    list.push(c);
    byPeriod.set(period, list);
  }
  return rows.map((r) => ({ ...r, models: toRows("model", byPeriod.get(r.key) ?? []) }));
}

/** Groups cells into report rows and orders them. */
export function toRows(by: ReportBy, cells: Cell[]): ReportRow[] {
  const keyOf = (c: Cell): string => {
    switch (by) {
      case "day":
        return c.period;
      case "week":
        return isoWeek(c.period);
      case "month":
        return c.period.slice(0, 7);
      default:
        return c.key;
    }
  };
  const rows = new Map<string, ReportRow>();
  const labelDay = new Map<string, string>();
  for (const c of cells) {
    const key = keyOf(c);
    let row = rows.get(key);
    if (row === undefined) {
      row = { key, sessions: 0, messages: 0, cost: 0, listCost: 0, tokens: zeroTokens() };
      rows.set(key, row);
    }
    row.sessions += c.sessions;
    row.messages += c.messages;
    row.cost += c.cost;
    row.listCost += c.listCost ?? 0;
    // Kept only when > 0 (below); a cell of the previous version has none.
    row.unpricedMessages = (row.unpricedMessages ?? 0) + (c.unpricedMessages ?? 0);
    addTokens(row.tokens, c.tokens);
    // by device: the hostname of the latest period in range. A month cell and
    // day cells of the same month are never read together, so "YYYY-MM" and
    // "YYYY-MM-DD" compare in time order.
    if (by === "device" && c.label !== undefined && c.period >= (labelDay.get(key) ?? "")) {
      row.label = c.label;
      labelDay.set(key, c.period);
    }
  }
  const out = [...rows.values()];
  for (const r of out) if (r.unpricedMessages === 0) delete r.unpricedMessages;
  if (by === "day" || by === "week" || by === "month") {
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  } else {
    out.sort((a, b) => b.cost - a.cost || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  return out;
}
