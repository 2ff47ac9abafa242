// Reactions on posts and comments: one row per (target, person, emoji), so PUT and DELETE are
// idempotent (INSERT OR IGNORE / DELETE). Chat message reactions join later with chat.
import { and, eq, inArray, sql } from "drizzle-orm";
import { getDb, schema, type Db } from "../../db/client";
import { chunk } from "../../lib/chunk";
import { badRequest } from "../../lib/errors";
import { reactionEmoji, type ReactionEmoji } from "../../lib/vocabulary";
import type { CommentAccess, MemberSpaceAccess, PostAccess } from "./access";

// the emoji and their display order live in lib/vocabulary.ts (the web app shows the same list)
export { reactionEmoji, type ReactionEmoji };
// a bare ❤ (what some keyboards send) means the ❤️ with VS16
const aliases: Record<string, ReactionEmoji> = { "❤": "❤️" };

export function asReactionEmoji(value: string): ReactionEmoji | null {
  const normalized = aliases[value] ?? value;
  return (reactionEmoji as readonly string[]).includes(normalized) ? (normalized as ReactionEmoji) : null;
}

/** `value` as one of the allowed emoji (aliases resolved); throws 400 validation_failed (issue code emoji_not_allowed) otherwise. */
export function requireReactionEmoji(value: string): ReactionEmoji {
  const emoji = asReactionEmoji(value);
  if (!emoji) {
    throw badRequest(`React with one of ${reactionEmoji.join(" ")}.`, { issues: [{ path: "emoji", message: "Not an allowed emoji", code: "emoji_not_allowed" }] });
  }
  return emoji;
}

export type ReactionView = { emoji: string; count: number; reacted: boolean };
type TargetType = "post" | "comment";

// ids share a statement with the target type and viewer: stay under D1's 100 bound parameters
const ID_CHUNK = 90;

/** Reaction counts per target id, with whether the viewer is among them. */
export async function reactionSummaries(
  db: Db,
  targetType: TargetType,
  ids: string[],
  viewerId: string | null,
): Promise<Map<string, ReactionView[]>> {
  const r = schema.reactions;
  const byTarget = new Map<string, ReactionView[]>();
  for (const part of chunk(ids, ID_CHUNK)) {
    const rows = await db
      .select({
        targetId: r.targetId,
        emoji: r.emoji,
        count: sql<number>`count(*)`,
        reacted: sql<number>`coalesce(max(${r.userId} = ${viewerId ?? ""}), 0)`,
      })
      .from(r)
      .where(and(eq(r.targetType, targetType), inArray(r.targetId, part)))
      .groupBy(r.targetId, r.emoji);
    for (const row of rows) {
      const list = byTarget.get(row.targetId) ?? [];
      list.push({ emoji: row.emoji, count: Number(row.count), reacted: Number(row.reacted) === 1 });
      byTarget.set(row.targetId, list);
    }
  }
  const rank = (emoji: string) => (reactionEmoji as readonly string[]).indexOf(emoji);
  for (const list of byTarget.values()) list.sort((a, b) => rank(a.emoji) - rank(b.emoji));
  return byTarget;
}

async function setReaction(
  access: MemberSpaceAccess,
  env: Env,
  target: { type: TargetType; id: string },
  emoji: ReactionEmoji,
  on: boolean,
): Promise<ReactionView[]> {
  const db = getDb(env);
  const r = schema.reactions;
  if (on) {
    await db
      .insert(r)
      .values({ communityId: access.community.id, targetType: target.type, targetId: target.id, userId: access.userId, emoji })
      .onConflictDoNothing();
  } else {
    await db
      .delete(r)
      .where(and(eq(r.targetType, target.type), eq(r.targetId, target.id), eq(r.userId, access.userId), eq(r.emoji, emoji)));
  }
  return (await reactionSummaries(db, target.type, [target.id], access.userId)).get(target.id) ?? [];
}

export const reactToPost = (env: Env, access: PostAccess<"write">, emoji: ReactionEmoji, on: boolean) =>
  setReaction(access, env, { type: "post", id: access.post.id }, emoji, on);

export const reactToComment = (env: Env, access: CommentAccess<"write">, emoji: ReactionEmoji, on: boolean) =>
  setReaction(access, env, { type: "comment", id: access.comment.id }, emoji, on);
