// The reader's notifications: newest first, each re-checked against what the reader may read now
// (a lost tier, a private space, a hidden or deleted post make it vanish from the list and from
// the unread count), with its sentence rendered in the reader's language.
import { pageRequest, pageResponse } from "../paging";
import { and, desc, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { isLocale, type Locale } from "../../lib/locale";
import type { Page, PageKey, PageRequest } from "../communities/types";
import { canReadSpace, chunk, filterInScope, inChunks, loadReaderScope, type ReadableItem, type SpaceFacts } from "../readable";
import { channelStub } from "../chat/channels";
import { conversationNamesOf } from "../chat/conversations";
import { parseMessageId } from "../../../durable-objects/protocol";
import type { NotificationKind } from "./deliver";
import { notificationText } from "./text";
import { olderThan } from "../paging";

type NotificationRow = typeof schema.notifications.$inferSelect;

export type NotificationView = {
  id: string;
  kind: NotificationKind;
  text: string;
  url: string;
  readAt: string | null;
  createdAt: string;
  /** the post's title and the space's name as `text` quotes them, so a client can isolate them (bidi); a chat notice has no title ("") */
  title: string;
  spaceName: string;
  /** a chat mention's message, its first words as plain text; null for other notices */
  excerpt: string | null;
  community: { slug: string; name: string };
  actor: { id: string; name: string } | null;
};

type Ref = { postId?: string; commentId?: string; row: NotificationRow };

/**
 * A notice about chat (ADR 025): a mention in a message (subject "message", whose id names its
 * space and seq) or a space's new messages (subject "space"). `excerpt` is filled from the
 * channel's object for a page that is shown (withMessages), not for the unread count.
 */
type ChatItem = { row: NotificationRow; space: SpaceFacts; seq: number | null; excerpt: string | null };

/** A DM's notice (subject "conversation"): the conversation as the reader names it ("" unnamed). */
type DmItem = { row: NotificationRow; name: string };

/** A row the reader may read now, with what was loaded to decide. */
type Found = { content: ReadableItem<Ref> } | { chat: ChatItem } | { dm: DmItem };

const rowOf = (found: Found) => ("content" in found ? found.content.ref.row : "chat" in found ? found.chat.row : found.dm.row);

/** The chat space and seq a chat notice is about; null for a post's or comment's notice. */
function chatTarget(row: NotificationRow): { spaceId: string; seq: number | null } | null {
  if (row.subjectType === "space") return { spaceId: row.subjectId, seq: null };
  if (row.subjectType !== "message") return null;
  const named = parseMessageId(row.subjectId);
  return named ? { spaceId: named.channelId, seq: named.seq } : { spaceId: "", seq: null };
}

/** The rows whose subject the reader may read now, in order, with what was loaded to decide. */
async function readableRows(env: Env, readerId: string, rows: NotificationRow[]): Promise<Found[]> {
  const byCommunity = new Map<string, NotificationRow[]>();
  for (const row of rows) byCommunity.set(row.communityId, [...(byCommunity.get(row.communityId) ?? []), row]);
  const items = new Map<string, Found>();
  for (const [communityId, ofCommunity] of byCommunity) {
    const scope = await loadReaderScope(env, readerId, communityId);
    if (!scope) continue;
    const refs: Ref[] = [];
    // a DM's notice: only while the reader is still in the conversation
    const dms = ofCommunity.filter((row) => row.subjectType === "conversation");
    const names = dms.length ? await conversationNamesOf(env, communityId, readerId) : new Map<string, string>();
    for (const row of dms) {
      const name = names.get(row.subjectId);
      if (name !== undefined) items.set(row.id, { dm: { row, name } });
    }
    for (const row of ofCommunity) {
      if (row.subjectType === "conversation") continue;
      const chat = chatTarget(row);
      if (!chat) {
        refs.push(row.subjectType === "comment" ? { commentId: row.subjectId, row } : { postId: row.subjectId, row });
        continue;
      }
      // a chat space's rules are its space's: tier, private listing, archived
      const space = scope.spaces.get(chat.spaceId);
      if (space && canReadSpace(scope.viewer, space, scope.communityPrivate)) items.set(row.id, { chat: { row, space, seq: chat.seq, excerpt: null } });
    }
    for (const item of await filterInScope(env, scope, refs)) items.set(item.ref.row.id, { content: item });
  }
  return rows.flatMap((r) => items.get(r.id) ?? []);
}

/**
 * The chat mentions among `found` with their message's excerpt, read from the channels' objects
 * (one call per message, in parallel); a message deleted since (or erased) is left out, as a
 * deleted post is.
 */
async function withMessages(env: Env, found: Found[]): Promise<Found[]> {
  const read = await Promise.all(
    found.map(async (item) => {
      if (!("chat" in item) || item.chat.seq === null) return item;
      const message = await channelStub(env, item.chat.space.id).message(item.chat.seq);
      return message && !message.deleted ? { chat: { ...item.chat, excerpt: message.excerpt } } : null;
    }),
  );
  return read.flatMap((item) => item ?? []);
}

async function namesOf(env: Env, ids: string[]): Promise<Map<string, string>> {
  const db = getDb(env);
  const u = schema.users;
  const rows = await inChunks(ids, (part) => db.select({ id: u.id, name: u.name }).from(u).where(inArray(u.id, part)));
  return new Map(rows.map((r) => [r.id, r.name]));
}

async function render(env: Env, locale: Locale, readerId: string, items: Found[]): Promise<NotificationView[]> {
  if (items.length === 0) return [];
  const db = getDb(env);
  const c = schema.communities;
  const rows = items.map(rowOf);
  const communityIds = [...new Set(rows.map((row) => row.communityId))];
  const parentIds = items.flatMap((i) => ("content" in i && i.content.ref.row.kind === "reply" && i.content.comment?.parentId ? [i.content.comment.parentId] : []));
  const [communities, actors, parents] = await Promise.all([
    inChunks(communityIds, (part) => db.select({ id: c.id, slug: c.slug, name: c.name }).from(c).where(inArray(c.id, part))),
    namesOf(
      env,
      rows.flatMap((row) => (row.actorId ? [row.actorId] : [])),
    ),
    inChunks(parentIds, (part) =>
      db
        .select({ id: schema.comments.id, authorId: schema.comments.authorId })
        .from(schema.comments)
        .where(inArray(schema.comments.id, part)),
    ),
  ]);
  const communityById = new Map(communities.map((r) => [r.id, r]));
  const parentAuthor = new Map(parents.map((r) => [r.id, r.authorId]));
  return items.map((item) => {
    const row = rowOf(item);
    const community = communityById.get(row.communityId) ?? { slug: "", name: "" };
    const actorName = row.actorId ? (actors.get(row.actorId) ?? null) : null;
    const common = {
      id: row.id,
      kind: row.kind,
      readAt: row.readAt ? row.readAt.toISOString() : null,
      createdAt: row.createdAt.toISOString(),
      community: { slug: community.slug, name: community.name },
      actor: row.actorId && actorName !== null ? { id: row.actorId, name: actorName } : null,
    };
    if ("dm" in item) {
      return {
        ...common,
        text: notificationText(locale, { kind: row.kind, actor: actorName, title: "", spaceName: item.dm.name, onComment: false, replyToComment: false, inChat: true }),
        url: `/c/${community.slug}/messages/${row.subjectId}`,
        title: "",
        spaceName: item.dm.name,
        excerpt: null,
      };
    }
    if ("chat" in item) {
      const { space, seq, excerpt } = item.chat;
      return {
        ...common,
        text: notificationText(locale, { kind: row.kind, actor: actorName, title: "", spaceName: space.name, onComment: false, replyToComment: false, inChat: true }),
        url: `/c/${community.slug}/s/${space.id}${seq !== null ? `?seq=${seq}#msg-${seq}` : ""}`,
        title: "",
        spaceName: space.name,
        excerpt,
      };
    }
    const { post, comment, space } = item.content;
    return {
      ...common,
      text: notificationText(locale, {
        kind: row.kind,
        actor: actorName,
        title: post.title,
        spaceName: space.name,
        onComment: comment !== null,
        replyToComment: comment?.parentId ? parentAuthor.get(comment.parentId) === readerId : false,
        inChat: false,
      }),
      url: `/c/${community.slug}/posts/${post.id}${comment ? `#comment-${comment.id}` : ""}`,
      title: post.title,
      spaceName: space.name,
      excerpt: null,
    };
  });
}

/**
 * A page of the reader's notification rows, newest first, after `after`. Those whose actor the
 * reader blocked in that community are left out (ADR 033: also ones raised before the block; they
 * show again after an unblock), whatever their kind.
 */
function pageOfRows(env: Env, userId: string, unreadOnly: boolean, after: PageKey | undefined, size: number) {
  const n = schema.notifications;
  const b = schema.blocks;
  return getDb(env)
    .select()
    .from(n)
    .where(
      and(
        eq(n.userId, userId),
        unreadOnly ? isNull(n.readAt) : undefined,
        sql`not exists (select 1 from ${b} where ${b.communityId} = ${n.communityId} and ${b.blockerId} = ${userId} and ${b.blockedId} = ${n.actorId})`,
        olderThan(after, n.createdAt, n.id),
      ),
    )
    .orderBy(desc(n.createdAt), desc(n.id))
    .limit(size);
}

const keyOf = (row: NotificationRow): PageKey => [row.createdAt.getTime(), row.id];

/** Rows read per round and rounds per request: most rows are readable, so one round is usual. */
const MAX_ROUNDS = 5;

export async function listNotifications(
  env: Env,
  userId: string,
  page: PageRequest & { unreadOnly: boolean },
): Promise<Page<NotificationView>> {
  const [reader] = await getDb(env)
    .select({ locale: schema.users.locale })
    .from(schema.users)
    .where(eq(schema.users.id, userId))
    .limit(1);
  const locale: Locale = reader && isLocale(reader.locale) ? reader.locale : "en";
  const size = Math.min(200, page.limit * 2 + 1);
  const found: Found[] = [];
  let after = page.after;
  let exhausted = false;
  for (let round = 0; round < MAX_ROUNDS && found.length <= page.limit && !exhausted; round++) {
    const rows = await pageOfRows(env, userId, page.unreadOnly, after, size);
    exhausted = rows.length < size;
    if (rows.length > 0) after = keyOf(rows[rows.length - 1]);
    found.push(...(await withMessages(env, await readableRows(env, userId, rows))));
  }
  const items = await render(env, locale, userId, found.slice(0, page.limit));
  let next: PageKey | null = null;
  if (found.length > page.limit) next = keyOf(rowOf(found[page.limit - 1]));
  // rounds ran out before the page filled: continue from the last row looked at
  else if (!exhausted && after) next = after;
  return { items, next };
}

/** Unread notifications the reader may still read; the newest UNREAD_SCAN are counted. */
export const UNREAD_SCAN = 1000;

export async function countUnread(env: Env, userId: string): Promise<number> {
  let count = 0;
  let after: PageKey | undefined;
  for (let scanned = 0; scanned < UNREAD_SCAN; ) {
    const rows = await pageOfRows(env, userId, true, after, 200);
    count += (await readableRows(env, userId, rows)).length;
    scanned += rows.length;
    if (rows.length < 200) break;
    after = keyOf(rows[rows.length - 1]);
  }
  return count;
}

/** Mark the caller's notifications read: the given ids, or all of them. Others' ids are ignored. */
export async function markRead(env: Env, userId: string, ids?: string[]): Promise<void> {
  const db = getDb(env);
  const n = schema.notifications;
  const now = new Date();
  const mine = and(eq(n.userId, userId), isNull(n.readAt));
  if (!ids) {
    await db.update(n).set({ readAt: now }).where(mine);
    return;
  }
  const statements = chunk([...new Set(ids)]).map((part) => db.update(n).set({ readAt: now }).where(and(mine, inArray(n.id, part))));
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

/**
 * GET /me/notifications as answered: a page of what `userId` may still read (newest first, opaque
 * cursor), and the unread count the bell shows. Throws 400 invalid_cursor.
 */
export async function readNotifications(env: Env, userId: string, query: { limit: number; cursor?: string | null; unreadOnly: boolean }) {
  const [page, unreadCount] = await Promise.all([
    listNotifications(env, userId, { ...pageRequest(query), unreadOnly: query.unreadOnly }),
    countUnread(env, userId),
  ]);
  return { ...pageResponse(page), unreadCount };
}
