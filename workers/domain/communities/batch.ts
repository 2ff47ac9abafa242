import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client";

export type Statement = BatchItem<"sqlite">;

/** One D1 batch (atomic: all statements commit or none do) for a list built at run time. */
export async function runBatch(db: Db, statements: Statement[]): Promise<void> {
  const [first, ...rest] = statements;
  if (!first) return;
  await db.batch([first, ...rest]);
}
