// Chat spaces from the Worker's side (ADR 024): the access check before anything reaches a
// channel object, the identity handed to it, and the use cases the API and the pages share.
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import type { ChatNotifyLevel } from "../../db/schema";
import { DomainError, conflict, forbidden, notFound, unauthenticated } from "../../lib/errors";
import { hasRole } from "../access";
import type { Reader } from "../auth/reader";
import { openSpace, type Mode, type SpaceAccess } from "../discussions/access";
import { onAccessChanged, currentAccessEpoch, type PendingAccessChange } from "../access-changes";
import { IdentityHeader, MAX_PAGE_MESSAGES, isConversationId, parseMessageId, withoutAuthors, type ChatMessage, type ClientFrame } from "../../../durable-objects/protocol";
import type { ComposeInput, Identity, Result } from "./object-side";
import { inChunks } from "../readable";
import { sessionTag } from "../auth/sessions";
import { hiddenAuthorsOf } from "./blocks";
import { openConversation } from "./conversations";
import { presenceStub } from "./inbox";

/**
 * The channel object of a chat space (`space:<id>`) or of a DM conversation
 * (`conversation:<id>`, ADR 033), with a location hint from CHAT_LOCATION_HINT when set.
 */
export function channelStub(env: Env, channelId: string) {
  const ns = env.CHAT_CHANNEL;
  const hint = String(env.CHAT_LOCATION_HINT ?? "") as DurableObjectLocationHint | "";
  const name = isConversationId(channelId) ? `conversation:${channelId}` : `space:${channelId}`;
  return ns.get(ns.idFromName(name), hint ? { locationHint: hint } : undefined);
}

/** A chat space as the caller may use it, with the identity its object will know them by. */
export type ChannelAccess = SpaceAccess & { identity: Identity };

/** What the message use cases need of a channel, a chat space's or a conversation's: who is acting in which channel. */
export type ChannelRef = { identity: Identity };

/**
 * The members the identity's user blocked (blocks.ts), whose messages a history read, a message
 * read and a socket leave out: a conversation's identity carries them (openConversation); for a
 * chat space, D1: one read (none signed out).
 */
function hiddenAuthorsFor(env: Env, identity: Identity): Promise<string[]> {
  if (identity.hiddenAuthors !== undefined || !identity.userId || isConversationId(identity.channelId)) return Promise.resolve(identity.hiddenAuthors ?? []);
  return hiddenAuthorsOf(env, identity.communityId, identity.userId);
}

/**
 * The chat space `spaceId` as the caller may use it: openSpace's 401/403/404 (a space the caller
 * may not know of is 404, one above their tier 403 tier_required), then 409 when it is not a chat
 * space. "write" needs an active membership.
 */
export async function openChannel(env: Env, spaceId: string, reader: Reader, mode: Mode): Promise<ChannelAccess> {
  const access = await openSpace(env, spaceId, reader, mode);
  if (access.space.kind !== "chat") throw conflict("This space is not a chat space.");
  const found = access.userId ? await reader.session() : null;
  const identity: Identity = {
    userId: access.userId ?? "",
    userName: found?.user.name ?? "",
    role: access.role,
    epoch: access.community.accessEpoch,
    communityId: access.community.id,
    channelId: access.space.id,
    ...(found?.sessionId ? { session: sessionTag(found.sessionId) } : {}),
  };
  return Object.assign(access, { identity });
}

/**
 * The channel of a message id, opened as openChannel does (a DM's as openConversation does: its
 * participants only); 404 for an id that names no channel.
 */
export async function openMessageChannel(env: Env, messageId: string, reader: Reader, mode: Mode): Promise<ChannelRef> {
  const named = parseMessageId(messageId);
  if (!named) {
    // signed out, a write is 401 whatever the id's shape, as for a well-shaped one
    if (mode === "write" && !(await reader.user())) throw unauthenticated();
    throw notFound("No such message.");
  }
  try {
    if (isConversationId(named.channelId)) return await openConversation(env, named.channelId, reader);
    return await openChannel(env, named.channelId, reader, mode);
  } catch (error) {
    // a message in a space the caller may not see, or in no chat space, does not exist for them
    if (error instanceof DomainError && (error.status === 404 || error.status === 409)) throw notFound("No such message.");
    throw error;
  }
}

/** The object's refusal as the API's error (API.md envelope, Retry-After from retryAfter). */
export function settle<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  const { status, code, message, ...extra } = result.error;
  const headers: Record<string, string> = extra.retryAfter !== undefined ? { "Retry-After": String(extra.retryAfter) } : {};
  throw new DomainError(status as DomainError["status"], code, message, extra, headers);
}

/** A page of history by seq, oldest first; `before` pages back, `after` forward. */
export async function listMessages(env: Env, access: ChannelRef, page: { before?: number; after?: number; limit?: number }) {
  const limit = Math.min(Math.max(page.limit ?? 50, 1), MAX_PAGE_MESSAGES);
  const identity = access.identity;
  // the blocks are read beside the object's call, not before it
  const [answer, hidden] = await Promise.all([
    channelStub(env, identity.channelId).history(identity, { before: page.before, after: page.after, limit }),
    hiddenAuthorsFor(env, identity),
  ]);
  const value = settle(answer);
  // the cursor goes by the page as stored: a page of nothing but hidden messages still leads on
  const edge = page.after !== undefined ? value.messages.at(-1) : value.messages[0];
  return {
    items: withoutAuthors(value.messages, hidden),
    nextCursor: value.hasMore && edge ? String(edge.seq) : null,
    head: value.head,
    slowModeSeconds: value.slowModeSeconds,
    pinned: withoutAuthors(value.pinned, hidden),
  };
}

/** A window of history around one message, as a page starts from it (listMessagesAround). */
export type HistoryWindow = Awaited<ReturnType<typeof listMessages>> & {
  /** the seq to pass as `after` for the next newer page; null when the window reaches the newest message */
  newerCursor: string | null;
};

/**
 * The messages around `seq`, oldest first: `seq` itself and up to `before` older and `after` newer
 * ones (each clamped to 1..MAX_PAGE_MESSAGES), so a link to an old message (search, notifications:
 * `?seq=N#msg-N`) opens where it stands. `nextCursor` pages older, `newerCursor` newer. `head` is
 * the lower of the two reads' heads: a resume from it replays anything that changed between them
 * (a client keeps the higher rev of a message), never skips it. A seq past the newest message
 * gives the newest page. Two history calls to the channel object; its 404 as openChannel's.
 */
export async function listMessagesAround(env: Env, access: ChannelRef, seq: number, span: { before: number; after: number }): Promise<HistoryWindow> {
  const [older, newer] = await Promise.all([
    listMessages(env, access, { before: seq + 1, limit: span.before + 1 }),
    // a seq past the channel's head (an old link to a reset channel, a typed number) has nothing
    // newer: the object refuses `after` past its head, and the page shows the newest instead
    listMessages(env, access, { after: seq, limit: span.after }).catch((error: unknown) => {
      if (error instanceof DomainError && error.status === 400) return null;
      throw error;
    }),
  ]);
  if (!newer) return { ...older, newerCursor: null };
  return { ...older, items: [...older.items, ...newer.items], newerCursor: newer.nextCursor, head: Math.min(older.head, newer.head) };
}

/** Send a message over HTTP: the socket's path, so both are stored and broadcast alike. */
export async function postMessage(env: Env, access: ChannelRef, input: ComposeInput & { clientId: string | null }) {
  return settle(await channelStub(env, access.identity.channelId).send(access.identity, input));
}

/** Edit, delete, react or pin: the socket's frames over HTTP. */
export async function actOnMessage(env: Env, access: ChannelRef, frame: Exclude<ClientFrame, { type: "send" | "seen" | "read" | "typing" }>): Promise<ChatMessage> {
  return settle(await channelStub(env, access.identity.channelId).act(access.identity, frame)).message;
}

/** One message, if the caller may read its channel (404 otherwise, and for a deleted one). */
export async function readMessage(env: Env, access: ChannelRef, messageId: string): Promise<ChatMessage> {
  const named = parseMessageId(messageId)!;
  const found = await channelStub(env, access.identity.channelId).message(named.seq);
  if (!found || found.deleted) throw notFound("No such message.");
  // a blocker does not see the blocked member's messages, one at a time either, nor their words quoted
  const [shown] = withoutAuthors([found.message], await hiddenAuthorsFor(env, access.identity));
  if (!shown) throw notFound("No such message.");
  return shown;
}

/** Slow mode: moderators and up (403 otherwise). */
export async function configureChannel(env: Env, access: ChannelAccess, settings: { slowModeSeconds: number }) {
  if (!hasRole(access.role, "moderator")) throw forbidden("This needs the moderator role or higher.");
  return settle(await channelStub(env, access.space.id).configure(access.identity, settings));
}

/**
 * The headers of an upgrade forwarded to an object (a channel, the community's presence): the
 * WebSocket handshake's and the identity set here and only here, nothing else the client sent.
 */
export function upgradeHeaders(request: Request, id: Omit<Identity, "channelId">): Headers {
  const headers = new Headers();
  for (const name of ["Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol"]) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  headers.set(IdentityHeader.userId, id.userId);
  headers.set(IdentityHeader.userName, encodeURIComponent(id.userName));
  headers.set(IdentityHeader.role, id.role ?? "");
  headers.set(IdentityHeader.epoch, String(id.epoch));
  headers.set(IdentityHeader.communityId, id.communityId);
  if (id.session) headers.set(IdentityHeader.session, id.session);
  return headers;
}

/**
 * The upgrade, forwarded to the channel object with identity headers set here and only here: a
 * new request carries the WebSocket handshake headers and ours, nothing else the client sent.
 */
export async function openSocket(env: Env, access: ChannelRef, request: Request): Promise<Response> {
  const incoming = new URL(request.url);
  const url = new URL(`https://chat.internal/socket`);
  const after = incoming.searchParams.get("after");
  if (after !== null) {
    if (!/^(0|[1-9][0-9]{0,14})$/.test(after)) throw new DomainError(400, "validation_failed", "`after` is a seq (a whole number).", { issues: [{ path: "after", message: "Expected a whole number.", code: "invalid_format" }] });
    url.searchParams.set("after", after);
  }
  const id = access.identity;
  const hidden = await hiddenAuthorsFor(env, id);
  const headers = upgradeHeaders(request, id);
  headers.set(IdentityHeader.channelId, id.channelId);
  if (hidden.length) headers.set(IdentityHeader.hiddenAuthors, hidden.join(","));
  if (id.sendRefused) headers.set(IdentityHeader.sendRefused, "1");
  const response = await channelStub(env, id.channelId).fetch(new Request(url, { headers }));
  if (response.status === 404) throw notFound(isConversationId(id.channelId) ? "No such conversation." : "No such space.");
  return response;
}

/** Members' notification levels for a channel, by user id (default "mentions"). D1: one read per 90 ids. */
export async function notifyLevels(env: Env, spaceId: string, userIds: string[]): Promise<Map<string, ChatNotifyLevel>> {
  const s = schema.chatSettings;
  const db = getDb(env);
  const rows = await inChunks(userIds, (part) => db.select({ userId: s.userId, notify: s.notify }).from(s).where(and(eq(s.spaceId, spaceId), inArray(s.userId, part))));
  const stored = new Map(rows.map((r) => [r.userId, r.notify]));
  return new Map(userIds.map((id) => [id, stored.get(id) ?? "mentions"]));
}

/** A member's notification level for a channel (default "mentions"). */
export async function notifyLevelOf(env: Env, spaceId: string, userId: string): Promise<ChatNotifyLevel> {
  return (await notifyLevels(env, spaceId, [userId])).get(userId) ?? "mentions";
}

/** A stored message as the spine's handlers see it: its chat space and what the object holds. */
export type LoadedMessage = {
  channel: { id: string; communityId: string; name: string };
  found: NonNullable<Awaited<ReturnType<ReturnType<typeof channelStub>["message"]>>>;
  /** false once deleted or erased, or when its space was archived: nothing of it is shown */
  live: boolean;
};

/**
 * The message `messageId` names (protocol.ts messageIdOf), read from its channel's object, with
 * its chat space from D1; null for an id that names no message of a chat space. D1: one read;
 * one object call.
 */
export async function loadChatMessage(env: Env, messageId: string): Promise<LoadedMessage | null> {
  const named = parseMessageId(messageId);
  if (!named) return null;
  const channel = await chatChannelOf(env, named.channelId);
  if (!channel) return null;
  const found = await channelStub(env, channel.id).message(named.seq);
  if (!found) return null;
  return { channel: { id: channel.id, communityId: channel.communityId, name: channel.name }, found, live: !found.deleted && !channel.archived };
}

/**
 * The chat channel an id names, from D1: a chat space (named as it is; archived once its space
 * was) or a DM conversation (its name, or ""; never archived). Null for anything else. D1: one read.
 */
export async function chatChannelOf(env: Env, channelId: string): Promise<{ id: string; communityId: string; name: string; archived: boolean } | null> {
  if (isConversationId(channelId)) {
    const cv = schema.conversations;
    const [conversation] = await getDb(env).select({ id: cv.id, communityId: cv.communityId, name: cv.name }).from(cv).where(eq(cv.id, channelId)).limit(1);
    return conversation ? { ...conversation, name: conversation.name ?? "", archived: false } : null;
  }
  const s = schema.spaces;
  const [space] = await getDb(env)
    .select({ id: s.id, communityId: s.communityId, name: s.name, kind: s.kind, archivedAt: s.archivedAt })
    .from(s)
    .where(eq(s.id, channelId))
    .limit(1);
  if (!space || space.kind !== "chat") return null;
  return { id: space.id, communityId: space.communityId, name: space.name, archived: space.archivedAt !== null };
}

/** Set a member's notification level for a channel (all, mentions, none). */
export async function setNotifyLevel(env: Env, access: ChannelAccess, level: ChatNotifyLevel): Promise<ChatNotifyLevel> {
  const s = schema.chatSettings;
  await getDb(env)
    .insert(s)
    .values({ spaceId: access.space.id, userId: access.identity.userId, notify: level, updatedAt: new Date() })
    .onConflictDoUpdate({ target: [s.spaceId, s.userId], set: { notify: level, updatedAt: new Date() } });
  return level;
}

// ---- live revocation ---------------------------------------------------------------------------

/** Changes that can take access away or change a role: the ones chat objects must hear. */
const widening = new Set(["community_created", "member_joined", "space_created", "member_unbanned", "space_member_added"]);

/** Changes that end a membership: the community's presence sockets of that member close too. */
const presenceEnding = new Set(["member_removed", "member_left", "member_banned", "community_deleted", "account_erased"]);

/**
 * The channels a change touches: its space, or every chat space of the community, and — for a
 * change of the community's access, not one space's — the conversations of the member it names
 * (every conversation of the community when it names no one).
 */
async function channelsOf(env: Env, change: PendingAccessChange["change"]): Promise<string[]> {
  const s = schema.spaces;
  const cv = schema.conversations;
  const cm = schema.conversationMembers;
  const db = getDb(env);
  const [spaces, conversations] = await db.batch([
    db
      .select({ id: s.id })
      .from(s)
      .where(and(eq(s.communityId, change.communityId), eq(s.kind, "chat"), change.spaceId ? eq(s.id, change.spaceId) : undefined, isNull(s.archivedAt))),
    change.spaceId
      ? db.select({ id: cv.id }).from(cv).where(sql`0`)
      : change.userId
        ? db
            .select({ id: cv.id })
            .from(cm)
            .innerJoin(cv, eq(cv.id, cm.conversationId))
            .where(and(eq(cm.userId, change.userId), eq(cv.communityId, change.communityId), isNull(cm.leftAt)))
        : db.select({ id: cv.id }).from(cv).where(eq(cv.communityId, change.communityId)),
  ]);
  return [...spaces, ...conversations].map((r) => r.id);
}

/**
 * Tell every chat object the change touches (ARCHITECTURE.md "Real time"): their sockets of that
 * member (or everyone's, when the change names no one) authorised before the community's current
 * access epoch close at once, and cannot come back without a fresh check. Called right after the
 * commit by access-changes.ts, and again by the spine as the retry; idempotent.
 */
export async function revokeChatAccess(env: Env, pending: PendingAccessChange): Promise<void> {
  const { change } = pending;
  if (widening.has(change.reason)) return;
  const channels = await channelsOf(env, change);
  // the community's presence sockets close with a community-wide change (removed, banned, left, erased)
  const presence = change.spaceId === null && presenceEnding.has(change.reason);
  if (channels.length === 0 && !presence) return;
  const epoch = await currentAccessEpoch(env, change.communityId);
  await Promise.all([
    // in a conversation the others' facts changed too (someone left the community: a 1:1 or a group
    // down to one takes no more messages), so they reconnect and are checked afresh (4409)
    ...channels.map((id) =>
      channelStub(env, id)
        .revoke(change.userId, epoch)
        .then(() => (isConversationId(id) && change.userId && presenceEnding.has(change.reason) ? channelStub(env, id).refresh(null) : 0)),
    ),
    ...(presence ? [presenceStub(env, change.communityId).revoke(change.userId, epoch)] : []),
  ]);
}

/**
 * A chat space was archived (discussions/spaces.ts archiveSpace, right after its batch; the
 * spine's space.archived is the retry): its object closes every socket and refuses from now on.
 * Nothing for a space of another kind (no object is made for it).
 */
export async function closeArchivedChannel(env: Env, spaceId: string): Promise<void> {
  const s = schema.spaces;
  const [space] = await getDb(env).select({ kind: s.kind }).from(s).where(eq(s.id, spaceId)).limit(1);
  if (space?.kind !== "chat") return;
  await channelStub(env, spaceId).archive();
}

/** The live chat spaces of every community `userId` is an active member of, and the conversations they are in. */
async function chatChannelsOfMember(env: Env, userId: string): Promise<string[]> {
  const s = schema.spaces;
  const m = schema.memberships;
  const cm = schema.conversationMembers;
  const db = getDb(env);
  const [spaces, conversations] = await db.batch([
    db
      .select({ id: s.id })
      .from(s)
      .innerJoin(m, and(eq(m.communityId, s.communityId), eq(m.userId, userId), eq(m.status, "active")))
      .where(and(eq(s.kind, "chat"), isNull(s.archivedAt))),
    db.select({ id: cm.conversationId }).from(cm).where(and(eq(cm.userId, userId), isNull(cm.leftAt))),
  ]);
  return [...spaces, ...conversations].map((r) => r.id);
}

/**
 * Calls `each` on the object of every chat channel `userId` is in (chatChannelsOfMember), and
 * `alongside` beside them; a failure is logged under `at`, never thrown (best effort: the caller's
 * change is committed and the objects refuse stale identities at their next check anyway).
 */
async function callChannelsOfMember(env: Env, userId: string, at: string, each: (stub: ReturnType<typeof channelStub>) => Promise<unknown>, alongside: () => Promise<unknown> = async () => {}): Promise<void> {
  try {
    const [channels] = await Promise.all([chatChannelsOfMember(env, userId), alongside()]);
    await Promise.all(channels.map((id) => each(channelStub(env, id))));
  } catch (error) {
    console.error(JSON.stringify({ at, userId, error: String(error) }));
  }
}

/**
 * Sessions of `userId` ended (sign-out, a password reset): the chat and presence sockets they opened close
 * (4403) and cannot send again. Best effort after the sessions' rows are gone — a socket of an
 * ended session is refused at its next upgrade anyway; never throws.
 */
export async function endChatSessions(env: Env, userId: string, sessionIds: string[]): Promise<void> {
  const tags = sessionIds.filter(Boolean).map(sessionTag);
  if (tags.length === 0) return;
  const m = schema.memberships;
  await callChannelsOfMember(env, userId, "chat.end_sessions", (stub) => stub.endSessions(tags), async () => {
    // the community pages' presence sockets opened by those sessions close too (ADR 033)
    const communities = await getDb(env).select({ id: m.communityId }).from(m).where(and(eq(m.userId, userId), eq(m.status, "active")));
    await Promise.all(communities.map((c) => presenceStub(env, c.id).endSessions(tags)));
  });
}

/** `userId`'s display name changed: their chat sockets reconnect (4409) as the new identity. Never throws. */
export async function refreshChatIdentity(env: Env, userId: string): Promise<void> {
  await callChannelsOfMember(env, userId, "chat.refresh", (stub) => stub.refresh(userId));
}

/** Register chat's revocation with the access module (once per isolate, at module load). */
export const unregisterChatRevocation = onAccessChanged(revokeChatAccess);
