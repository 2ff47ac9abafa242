// Posts and comments written before mention tokens (ADR 017) hold "@Name" as typed, or the old
// explicit form "@[Name](user:usr_…)". This rewrites them into tokens, a bounded step per cron
// tick (D1 allows 1,000 queries per invocation), remembering where it stopped in `backfills` until
// done. Only texts that mentioned someone are touched, and only for the people they mentioned:
// the `mentions` rows say who that was when the text was saved. A rewritten post gets its excerpt
// again; both are indexed again (the names shown stay the same, the words found too).
import { and, asc, eq, gt, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { excerpt } from "../../lib/markdown";
import { mentionToken } from "../../lib/mention-tokens";
import { mentionNamesOf, tokenizeMentions } from "../notifications/mentions";
import { syncSearchDocument } from "../search/sync";
import { readBackfill, saveBackfill } from "./backfill-marker";

/** The backfill's marker in the `backfills` table. */
export const MENTION_BACKFILL = "mention-tokens-2026-11";

/** The explicit form the old composer was meant to write: "@[Name](user:id)". */
const EXPLICIT_FORM = /@\[[^\]\n]{1,80}\]\(user:(usr_[A-Za-z0-9_]{1,64})\)/g;

type Cursor = { after: string };
export type MentionBackfillStep = { sources: number; rewritten: number; done: boolean };

/** Sources per step: ~12 D1 queries each, well under 1,000 with the rest of the tick. */
const SOURCES_PER_STEP = 40;

/**
 * One step: the next SOURCES_PER_STEP distinct sources in the `mentions` table (by "type:id"
 * after the cursor), each rewritten if its text still holds typed mentions. An update applies only
 * if the text is still the one read, so an edit made meanwhile (already tokenized) is kept.
 */
export async function continueMentionBackfill(env: Env): Promise<MentionBackfillStep> {
  const db = getDb(env);
  const marker = await readBackfill<Cursor>(env, MENTION_BACKFILL);
  if (marker.done) return { sources: 0, rewritten: 0, done: true };
  const cursor = marker.cursor ?? { after: "" };
  const mt = schema.mentions;
  // one key per source, "type:id", in order: where a step stopped is a string to continue after
  const key = sql<string>`${mt.sourceType} || ':' || ${mt.sourceId}`;
  const rows = await db
    .selectDistinct({ key: key.as("source_key"), sourceType: mt.sourceType, sourceId: mt.sourceId })
    .from(mt)
    .where(gt(key, cursor.after))
    .orderBy(asc(key))
    .limit(SOURCES_PER_STEP);
  let rewritten = 0;
  for (const row of rows) {
    if (row.sourceType !== "post" && row.sourceType !== "comment") continue;
    if (await rewriteSource(env, row.sourceType, row.sourceId)) rewritten++;
  }
  const done = rows.length < SOURCES_PER_STEP;
  const last = rows[rows.length - 1];
  const next: Cursor = last ? { after: last.key } : cursor;
  await saveBackfill(env, MENTION_BACKFILL, next, done);
  return { sources: rows.length, rewritten, done };
}

async function rewriteSource(env: Env, type: "post" | "comment", id: string): Promise<boolean> {
  const db = getDb(env);
  const table = type === "post" ? schema.posts : schema.comments;
  const [row] = await db.select({ body: table.body, communityId: table.communityId }).from(table).where(eq(table.id, id)).limit(1);
  if (!row) return false;
  const mentioned = await db
    .select({ userId: schema.mentions.mentionedUserId })
    .from(schema.mentions)
    .where(and(eq(schema.mentions.sourceType, type), eq(schema.mentions.sourceId, id)));
  const explicit = row.body.replace(EXPLICIT_FORM, (_whole, userId: string) => mentionToken(userId));
  const body = await tokenizeMentions(
    env,
    row.communityId,
    explicit,
    mentioned.map((m) => m.userId),
  );
  if (body === row.body) return false;
  if (type === "post") {
    const names = await mentionNamesOf(env, row.communityId, [body]);
    await db
      .update(schema.posts)
      .set({ body, excerpt: excerpt(body, names) })
      .where(and(eq(schema.posts.id, id), eq(schema.posts.body, row.body)));
  } else {
    await db
      .update(schema.comments)
      .set({ body })
      .where(and(eq(schema.comments.id, id), eq(schema.comments.body, row.body)));
  }
  await syncSearchDocument(env, { type, id });
  return true;
}
