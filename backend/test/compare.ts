import { expect } from "vitest";
import type { ReportRow } from "../convex/validators";

const byKey = (rows: ReportRow[]) => [...rows].sort((a, b) => (a.key < b.key ? -1 : 1));

/**
 * Same keys, same counts and tokens, cost equal up to floating-point rounding. Both sides are
 * compared in key order (at every level), so rows whose costs differ only by rounding may come
 * in either order; the order itself is checked by `expectReportOrder`.
 */
export function expectRowsClose(actual: ReportRow[], expectedRows: ReportRow[], what = "") {
  const sorted = byKey(actual);
  const expected = byKey(expectedRows);
  expect(sorted.map((r) => r.key), what).toEqual(expected.map((r) => r.key));
  sorted.forEach((row, i) => {
    const exp = expected[i];
    expect(row.sessions, `${what} ${row.key} sessions`).toBe(exp.sessions);
    expect(row.messages, `${what} ${row.key} messages`).toBe(exp.messages);
    expect(row.tokens, `${what} ${row.key} tokens`).toEqual(exp.tokens);
    expect(Math.abs(row.cost - exp.cost), `${what} ${row.key} cost ${row.cost} vs ${exp.cost}`).toBeLessThan(1e-6);
    expect(Math.abs(row.listCost - exp.listCost), `${what} ${row.key} listCost ${row.listCost} vs ${exp.listCost}`).toBeLessThan(1e-6);
    // Present exactly when > 0.
    expect(row.unpricedMessages, `${what} ${row.key} unpricedMessages`).toBe(exp.unpricedMessages);
    if (exp.label !== undefined) expect(row.label, `${what} ${row.key} label`).toBe(exp.label);
    if (exp.models !== undefined) {
      expectRowsClose(row.models ?? [], exp.models, `${what} ${row.key} models`);
      expectReportOrder("model", row.models ?? []);
    }
  });
}

/** The order `sessions:report` promises: time keys ascending, others by cost descending then key. */
export function expectReportOrder(by: string, rows: ReportRow[]) {
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1], rows[i]];
    if (by === "day" || by === "week" || by === "month") expect(a.key < b.key).toBe(true);
    else expect(a.cost > b.cost || (a.cost === b.cost && a.key < b.key)).toBe(true);
  }
}
