// Keyset paging for lists newest first by (time, id): the next page starts below the last item's key.
import { and, eq, lt, or, type SQL, type SQLWrapper } from "drizzle-orm";
import type { PageKey } from "./communities/types";

/**
 * The rows that sort after `after` in an ORDER BY `time` DESC, `id` DESC list: older, or as old
 * with a smaller id (the tie-break). No key (the first page): no condition. `after[0]` is epoch ms.
 */
export function olderThan(after: PageKey | undefined, time: SQLWrapper, id: SQLWrapper): SQL | undefined {
  if (!after) return undefined;
  const at = new Date(after[0]);
  return or(lt(time, at), and(eq(time, at), lt(id, after[1])));
}
