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
 * Reads the cells a report needs: for day/week/month one "total" cell per day
 * in range; for device/project/model one cell per (day in range, key), or with
 * no range at all one all-time cell per key.
 */
export async function readCells(
  db: DatabaseReader,
  by: ReportBy,
  range: DayRange,
): Promise<Doc<"rollups">[]> {
  const dim = DIM_OF[by];
  if (range.lo !== undefined && range.hi !== undefined && range.lo >= range.hi) return [];
  if (dim !== "total" && range.lo === undefined && range.hi === undefined) {
    return await db
      .query("rollups")
      .withIndex("by_dim_day_key", (q) => q.eq("dim", dim).eq("day", ""))
      .collect();
  }
  return await readDated(db, dim, range);
}

/** The dated cells of one dimension over the days in range (all days when open). */
async function readDated(db: DatabaseReader, dim: RollupDim, range: DayRange): Promise<Doc<"rollups">[]> {
  return await db
    .query("rollups")
    .withIndex("by_dim_day_key", (q) => {
      const withDim = q.eq("dim", dim);
      // Every dated cell has day >= "0000-..." > "" (the all-time cells).
      const lower = range.lo === undefined ? withDim.gt("day", "") : withDim.gte("day", range.lo);
      return range.hi === undefined ? lower : lower.lt("day", range.hi);
    })
    .collect();
}

/**
 * Day, week or month rows split by model under each row, as the CLI's table
 * and `--json` rows show them: one more index range, one "model" cell per day
 * in range and model.
 */
export async function withModels(
  db: DatabaseReader,
  by: "day" | "week" | "month",
  range: DayRange,
  rows: ReportRow[],
): Promise<ReportRow[]> {
  if (range.lo !== undefined && range.hi !== undefined && range.lo >= range.hi) return rows;
  const byPeriod = new Map<string, Doc<"rollups">[]>();
  for (const c of await readDated(db, "model", range)) {
    const period = by === "day" ? c.day : by === "week" ? isoWeek(c.day) : c.day.slice(0, 7);
    const list = byPeriod.get(period) ?? [];
    list.push(c);
    byPeriod.set(period, list);
  }
  return rows.map((r) => ({ ...r, models: toRows("model", byPeriod.get(r.key) ?? []) }));
}

/** Groups cells into report rows and orders them. */
export function toRows(by: ReportBy, cells: Doc<"rollups">[]): ReportRow[] {
  const keyOf = (c: Doc<"rollups">): string => {
    switch (by) {
      case "day":
        return c.day;
      case "week":
        return isoWeek(c.day);
      case "month":
        return c.day.slice(0, 7);
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
      row = { key, sessions: 0, messages: 0, cost: 0, tokens: zeroTokens() };
      rows.set(key, row);
    }
    row.sessions += c.sessions;
    row.messages += c.messages;
    row.cost += c.cost;
    addTokens(row.tokens, c.tokens);
    // by device: the hostname of the latest day in range.
    if (by === "device" && c.label !== undefined && c.day >= (labelDay.get(key) ?? "")) {
      row.label = c.label;
      labelDay.set(key, c.day);
    }
  }
  const out = [...rows.values()];
  if (by === "day" || by === "week" || by === "month") {
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  } else {
    out.sort((a, b) => b.cost - a.cost || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  return out;
}
