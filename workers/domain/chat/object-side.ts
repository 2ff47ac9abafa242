// What a ChatChannel object asks of D1 (ADR 024): turning a member's text into a stored message
// (mentions, images, the same Markdown bounds as posts) and forwarding its outbox to the spine.
// The object calls these; nothing here holds socket state.
import { and, eq, inArray } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import type { Role } from "../../db/schema";
import { derivedId } from "../../lib/ids";
import type { Token } from "markdown-it";
import { assertMarkdownWithin, excerpt, renderChatMarkdown } from "../../lib/markdown";
import { DomainError } from "../../lib/errors";
import { cleanText, hasVisible } from "../../lib/text";
import { MAX_MESSAGE_CHARS, isConversationId, messageIdOf } from "../../../durable-objects/protocol";
import { mentionNamesOf, prepareMentions } from "../notifications/mentions";
import { uploadUrl } from "../uploads/images";
import { announceEvents, eventInsert } from "../events/emit";
import type { InboxMirror } from "../../../durable-objects/chat-reads";
import { inboxMirrorStatements } from "./inbox";
import { missedMessageWrites, type MissedCandidate } from "./missed-messages";

/**
 * Who is acting in a channel, as the Worker established it (cookie, Origin, access) and the object
 * keeps it: ids, the display name at the time, the role, and the community's access epoch read
 * with the access check. `userId` is "" for a signed-out reader of a public community's history.
 */
export type Identity = {
  userId: string;
  userName: string;
  role: Role | null;
  epoch: number;
  communityId: string;
  channelId: string;
  /** a socket's session tag (sessionTag), so signing out closes the sockets it opened; absent on RPC calls */
  session?: string;
  /** the members this one blocked, sorted (protocol.ts parseHiddenAuthors): their messages are left out of what this identity reads */
  hiddenAuthors?: string[];
  /** a 1:1 conversation with a block between its two members: sends are refused (ADR 033) */
  sendRefused?: boolean;
};

/** The one refusal of a DM, 403 `dm_not_allowed` (ADR 033): it does not say which member or which rule refused. */
export const DM_NOT_ALLOWED = "You cannot message one of these members.";

/** A refusal, shaped as the API.md error envelope's fields plus the HTTP status the Worker answers with. */
export type ChatError = { status: number; code: string; message: string; retryAfter?: number; [extra: string]: unknown };
export type Result<T> = { ok: true; value: T } | { ok: false; error: ChatError };

/** A message as the member wrote it. */
export type ComposeInput = { body: string; replyTo: string | null; imageIds: string[]; mentionIds: string[] };

/** A message ready to store: cleaned body (mentions as tokens), its HTML and excerpt, its images. */
export type Composed = { body: string; html: string; excerpt: string; images: Array<{ id: string; url: string }>; unreachableMentions: string[] };

const refuse = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): { ok: false; error: ChatError } => ({
  ok: false,
  error: { status, code, message, ...extra },
});

/**
 * Clean, bound and render a message (the rules posts follow, with chat's 4,000 characters): 400
 * validation_failed for nothing to show, 413 too_large past MAX_MESSAGE_CHARS code points, 400
 * markdown_too_deep past the nesting bound, 400 for images that are not the author's uploads for
 * this channel. D1: none for plain text; one or two reads for mentions, one for images.
 */
export async function composeMessage(env: Env, identity: Identity, input: ComposeInput, options: { keepImages: boolean }): Promise<Result<Composed>> {
  const body = cleanText(input.body).trim();
  if (!hasVisible(body) && input.imageIds.length === 0 && !options.keepImages) {
    return refuse(400, "validation_failed", "A message needs some text or an image.", { issues: [{ path: "body", message: "Write something.", code: "too_small" }] });
  }
  // the bounds every Markdown write meets (413 too_large, 400 markdown_too_deep), as a refusal
  let tokens: Token[];
  try {
    tokens = assertMarkdownWithin(body, { path: "body", maxChars: MAX_MESSAGE_CHARS, what: "A message" });
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return refuse(error.status, error.code, error.message, error.extra);
  }
  const images = await ownImages(env, identity, [...new Set(input.imageIds)]);
  if (images === null) {
    return refuse(400, "validation_failed", "An image must be one you uploaded for this channel.", { issues: [{ path: "imageIds", message: "Not your upload for this channel.", code: "invalid_value" }] });
  }
  const prepared = await prepareMentions(env, { id: identity.channelId, communityId: identity.communityId }, identity.userId, body, input.mentionIds);
  return {
    ok: true,
    value: {
      body: prepared.body,
      // the checked parse serves the render when the mentions left the text as it was (no "@")
      ...rendered(prepared.body, prepared.names, prepared.body === body ? tokens : undefined),
      images,
      unreachableMentions: prepared.unreachable,
    },
  };
}

/**
 * A stored message's HTML and excerpt rendered again with the names its mention tokens carry now
 * (notifications/mentions.ts mentionNamesOf: a renamed member's new name, an erased one's
 * "Deleted member"), as composeMessage renders them. D1: one read of names when the body holds a token.
 */
export async function renderedWithNamesNow(env: Env, communityId: string, body: string): Promise<{ html: string; excerpt: string }> {
  return rendered(body, await mentionNamesOf(env, communityId, [body]));
}

/** What a message stores beside its body: its HTML and its 200-character excerpt, mentions shown with `names` (`tokens`: the checked parse of exactly `body`). */
function rendered(body: string, names: Map<string, string>, tokens?: Token[]): { html: string; excerpt: string } {
  return { html: renderChatMarkdown(body, { mentionNames: names, tokens }), excerpt: excerpt(body, names, 200) };
}

/** The uploads named, if every one is the author's and tied to this channel (else null). */
async function ownImages(env: Env, identity: Identity, ids: string[]): Promise<Array<{ id: string; url: string }> | null> {
  if (ids.length === 0) return [];
  const u = schema.uploads;
  const rows = await getDb(env)
    .select({ id: u.id, key: u.key })
    .from(u)
    .where(and(inArray(u.id, ids), eq(u.userId, identity.userId), isConversationId(identity.channelId) ? eq(u.conversationId, identity.channelId) : eq(u.spaceId, identity.channelId)));
  if (rows.length !== ids.length) return null;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => ({ id, url: uploadUrl(byId.get(id)!.key) }));
}

/** The outbox's kinds: each becomes a domain event of the same name. */
export const outboxKinds = ["message.created", "message.updated", "message.removed"] as const;
type OutboxKind = (typeof outboxKinds)[number];

/**
 * Forward outbox rows to the spine: a domain event per row that has a consequence of its own (its
 * id derived from the object and the row, so a forward that runs twice — an alarm may fire twice
 * — writes each event once; of an author's new messages without mentions only the last, and in a
 * space those last ones together as one `chat.activity`), one `chat.indexed` for search, and the
 * record that this channel holds each author's messages (export, erasure; skipped for those in
 * `where.recordedAuthors`, which the caller keeps per object instance and this fills once the batch
 * committed), in one D1 batch; then
 * wake the consumer. Answers the authors among them who were erased meanwhile (`erased`) and the
 * others' names now (`names`, by user id). Throws when D1 refuses: the object keeps the rows.
 *
 * `inbox` rides in the same batch (ADR 033): the channel's head and the read positions that moved
 * (inbox.ts inboxMirrorStatements), and the missed-message rows and delayed jobs of new DM
 * messages and mentions (missed-messages.ts).
 */
export async function forwardOutbox(
  env: Env,
  where: { objectId: string; channelId: string | null; communityId: string | null; recordedAuthors?: Set<string> },
  rows: Array<{ id: number; kind: string; payload: string }>,
  inbox?: { mirror: InboxMirror; missed: MissedCandidate[] },
): Promise<{ erased: string[]; names: Map<string, string> }> {
  const { channelId, communityId } = where;
  if (!channelId || !communityId) throw new Error("chat object without a channel: nothing was sent here yet");
  const db = getDb(env);
  const ids: string[] = [];
  const statements = [];
  const parsed = rows.map((row) => ({ row, payload: JSON.parse(row.payload) as { seq: number; authorId?: string; mentions?: boolean } }));
  // a new message without a mention token has one consequence, the channel's "all" notice, which
  // each message brings up to date (its author, its time) for everyone but its author: an author's
  // last such message in this forward leaves every notice as all of theirs would, so theirs
  // before it raise no event (search and chat_authors still see every row); one deleted within
  // the same forward would tell nobody (the handler skips what is not live), so it is not "last"
  const removed = new Set(parsed.filter(({ row }) => row.kind === "message.removed").map(({ payload }) => payload.seq));
  const lastPlain = new Map<string, { rowId: number; seq: number }>();
  for (const { row, payload } of parsed) {
    if (row.kind === "message.created" && payload.mentions === false && payload.authorId && !removed.has(payload.seq)) lastPlain.set(payload.authorId, { rowId: row.id, seq: payload.seq });
  }
  // in a space those last plain messages are one chat.activity event below, not one event each
  const activity = !isConversationId(channelId) && lastPlain.size > 0;
  const authorsSeen = new Set<string>();
  for (const { row, payload } of parsed) {
    if (!(outboxKinds as readonly string[]).includes(row.kind)) continue;
    const kind = row.kind as OutboxKind;
    if (kind === "message.created" && payload.authorId && !authorsSeen.has(payload.authorId)) {
      authorsSeen.add(payload.authorId);
      // an author this object already recorded in D1 since it woke needs no statement (a restart records them once more, harmlessly)
      if (!where.recordedAuthors?.has(payload.authorId)) {
        statements.push(db.insert(schema.chatAuthors).values({ channelId, userId: payload.authorId, communityId }).onConflictDoNothing());
      }
    }
    if (kind === "message.created" && payload.mentions === false && payload.authorId && (activity || lastPlain.get(payload.authorId)?.rowId !== row.id)) continue;
    const id = await derivedId("evt", `${where.objectId}\n${row.id}`);
    ids.push(id);
    statements.push(
      eventInsert(
        env,
        {
          kind,
          communityId,
          subject: { type: "message", id: messageIdOf(channelId, payload.seq) },
          payload: { channelId, seq: payload.seq, ...(kind === "message.created" && payload.mentions !== undefined ? { mentions: payload.mentions } : {}) },
        },
        { id },
      ).statement,
    );
  }
  if (activity) {
    const id = await derivedId("evt", `${where.objectId}\nactivity\n${rows[0].id}`);
    ids.push(id);
    const latest = [...lastPlain].map(([authorId, { seq }]) => ({ seq, authorId })).sort((a, b) => a.seq - b.seq).slice(-100);
    statements.push(eventInsert(env, { kind: "chat.activity", communityId, subject: { type: "space", id: channelId }, payload: { channelId, latest } }, { id }).statement);
  }
  // search indexes what this forward touched in one go (search/sync.ts syncChatMessages)
  const touched = [...new Set(parsed.filter(({ row }) => (outboxKinds as readonly string[]).includes(row.kind)).map(({ payload }) => payload.seq))];
  if (touched.length) {
    const id = await derivedId("evt", `${where.objectId}\nindex\n${rows[0].id}`);
    ids.push(id);
    statements.push(eventInsert(env, { kind: "chat.indexed", communityId, subject: { type: "space", id: channelId }, payload: { channelId, seqs: touched.slice(0, 100) } }, { id }).statement);
  }
  if (inbox) {
    statements.push(...inboxMirrorStatements(env, { channelId, communityId }, inbox.mirror));
    const missed = await missedMessageWrites(env, { channelId, communityId }, inbox.missed);
    statements.push(...missed.statements);
    ids.push(...missed.eventIds);
  }
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
  for (const author of authorsSeen) where.recordedAuthors?.add(author);
  await announceEvents(env, ids);
  // an author erased while their message waited here: the purge may have run before this row
  // named the channel, so the object anonymises them itself (forgetErasedAuthors after); one
  // renamed meanwhile: the rename's handler may have run before chat_authors named the channel,
  // so the object learns the name now (`names`)
  const authors = [...authorsSeen];
  if (authors.length === 0) return { erased: [], names: new Map() };
  const u = schema.users;
  const found = await db.select({ id: u.id, name: u.name, deletedAt: u.deletedAt }).from(u).where(inArray(u.id, authors));
  return { erased: found.filter((r) => r.deletedAt !== null).map((r) => r.id), names: new Map(found.filter((r) => r.deletedAt === null).map((r) => [r.id, r.name])) };
}

/** After the object anonymised erased authors' messages: drop their chat_authors rows for it. */
export async function forgetErasedAuthors(env: Env, channelId: string, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  const a = schema.chatAuthors;
  await getDb(env).delete(a).where(and(eq(a.channelId, channelId), inArray(a.userId, userIds)));
}
