/**
 * How a session document is stored: a small `sessions` row (summary +
 * bookkeeping) and, when the document has messagesJson/todosJson, one
 * `sessionContent` row beside it.
 */
import type { Doc, Id } from "./_generated/dataModel";
import type { DatabaseReader, MutationCtx } from "./_generated/server";
import type { SessionDetail, SessionSummary, Summary } from "./validators";

export type SessionRow = Doc<"sessions">;

/** The document's summary part of a stored row: no system fields, bookkeeping or content. */
export function summaryOf(row: SessionRow): Summary {
  const {
    _id,
    _creationTime,
    contentId,
    messagesJsonDigest,
    todosJsonDigest,
    contentPurgedAt,
    aggregated,
    cellsVersion,
    messagesJson,
    todosJson,
    ...summary
  } = row;
  return summary;
}

/** A row stored by the seed's backend, content still inline (see migrations.ts). */
export function hasInlineContent(row: SessionRow): boolean {
  return row.messagesJson !== undefined || row.todosJson !== undefined;
}

/**
 * Length and a 64-bit hash of a string: a cheap pre-check, so an upsert reads
 * the stored content (up to ~1 MiB) only when it probably is unchanged.
 * Equality is always confirmed on the full strings.
 */
export function digest(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  let h1 = 0x811c9dc5 ^ s.length;
  let h2 = 0x9e3779b9;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 13;
  }
  return `${s.length}:${(h1 >>> 0).toString(16).padStart(8, "0")}${(h2 >>> 0).toString(16).padStart(8, "0")}`;
}

export interface ContentRef {
  contentId?: Id<"sessionContent">;
  messagesJsonDigest?: string;
  todosJsonDigest?: string;
}

/** Stores the content (if any) in its own row; returns what the session row keeps of it. */
export async function insertContent(
  ctx: MutationCtx,
  sessionId: string,
  updatedAt: number,
  messagesJson: string | undefined,
  todosJson: string | undefined,
): Promise<ContentRef> {
  if (messagesJson === undefined && todosJson === undefined) return {};
  const contentId = await ctx.db.insert("sessionContent", {
    sessionId,
    updatedAt,
    ...(messagesJson === undefined ? {} : { messagesJson }),
    ...(todosJson === undefined ? {} : { todosJson }),
  });
  return {
    contentId,
    ...(messagesJson === undefined ? {} : { messagesJsonDigest: digest(messagesJson) }),
    ...(todosJson === undefined ? {} : { todosJsonDigest: digest(todosJson) }),
  };
}

/** The content of a stored row, wherever it lives; null when its content row is gone. */
export async function contentOf(
  db: DatabaseReader,
  row: SessionRow,
): Promise<{ messagesJson?: string; todosJson?: string; updatedAt?: number; id?: Id<"sessionContent"> }> {
  if (hasInlineContent(row)) {
    return {
      ...(row.messagesJson === undefined ? {} : { messagesJson: row.messagesJson }),
      ...(row.todosJson === undefined ? {} : { todosJson: row.todosJson }),
    };
  }
  if (row.contentId === undefined) return {};
  const content = await db.get("sessionContent", row.contentId);
  if (content === null) return {};
  return {
    id: content._id,
    updatedAt: content.updatedAt,
    ...(content.messagesJson === undefined ? {} : { messagesJson: content.messagesJson }),
    ...(content.todosJson === undefined ? {} : { todosJson: content.todosJson }),
  };
}

/** `recent`'s view of a row. */
export function summarize(row: SessionRow): SessionSummary {
  return {
    _id: row._id,
    _creationTime: row._creationTime,
    ...summaryOf(row),
    hasMessagesJson: row.messagesJsonDigest !== undefined || row.messagesJson !== undefined,
    hasTodosJson: row.todosJsonDigest !== undefined || row.todosJson !== undefined,
    ...(row.contentPurgedAt === undefined ? {} : { contentPurgedAt: row.contentPurgedAt }),
  };
}

/** `get`'s view of a row: the whole document as the exporter sent it. */
export async function detail(db: DatabaseReader, row: SessionRow): Promise<SessionDetail> {
  const { id: _id, updatedAt: _u, ...content } = await contentOf(db, row);
  return {
    _id: row._id,
    _creationTime: row._creationTime,
    ...summaryOf(row),
    ...content,
    ...(row.contentPurgedAt === undefined ? {} : { contentPurgedAt: row.contentPurgedAt }),
  };
}
