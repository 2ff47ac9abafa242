// Keyset paging: lists newest first by (time, id), where the next page starts below the last
// item's key, and the opaque cursors the API and the pages read and write for them.
import { and, eq, lt, or, type SQL, type SQLWrapper } from "drizzle-orm";
import { z } from "zod";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import type { Page, PageKey, PageRequest } from "./communities/types";

/**
 * The rows that sort after `after` in an ORDER BY `time` DESC, `id` DESC list: older, or as old
 * with a smaller id (the tie-break). No key (the first page): no condition. `after[0]` is epoch ms.
 */
export function olderThan(after: PageKey | undefined, time: SQLWrapper, id: SQLWrapper): SQL | undefined {
  if (!after) return undefined;
  const at = new Date(after[0]);
  return or(lt(time, at), and(eq(time, at), lt(id, after[1])));
}

// the opaque cursor of a keyset list: [epoch ms, id]
const PageKeyShape = z.tuple([z.number().int(), z.string()]);

/** `?limit=&cursor=` as a use case takes it; 400 invalid_cursor for a cursor we did not write. */
export function pageRequest(query: { limit: number; cursor?: string | null }): PageRequest {
  return { limit: query.limit, after: decodeCursor(query.cursor, PageKeyShape) };
}

/** A page as API.md's lists answer it: `{ items, nextCursor }` (null on the last page). */
export function pageResponse<T>(page: Page<T>): { items: T[]; nextCursor: string | null } {
  return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
}
