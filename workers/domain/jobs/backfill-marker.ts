// Where a cron backfill stands: its row in `backfills` (name, cursor, done_at). Each backfill
// reads it at the start of a step and saves it at the end, so a step picks up where the last stopped.
import { eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";

/** The backfill's saved cursor (null before its first step) and whether it is done. One read. */
export async function readBackfill<Cursor>(env: Env, name: string): Promise<{ done: boolean; cursor: Cursor | null }> {
  const [marker] = await getDb(env).select().from(schema.backfills).where(eq(schema.backfills.name, name)).limit(1);
  return { done: Boolean(marker?.doneAt), cursor: (marker?.cursor as Cursor | null) ?? null };
}

/** Save where the backfill stopped, and mark it done when it is. One write. */
export async function saveBackfill(env: Env, name: string, cursor: unknown, done: boolean): Promise<void> {
  const now = new Date();
  const state = { cursor, doneAt: done ? now : null, updatedAt: now };
  await getDb(env)
    .insert(schema.backfills)
    .values({ name, ...state })
    .onConflictDoUpdate({ target: schema.backfills.name, set: state });
}
