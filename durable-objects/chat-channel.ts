// One chat channel (a chat space; later a DM conversation): its sockets, its history and its
// outbox, in one Durable Object (ARCHITECTURE.md "Real time", ADR 024).
//
// - Identity arrives only in headers the Worker set after checking cookie, Origin and access
//   (protocol.ts IdentityHeader); a socket keeps it (ids, role, access epoch) in its attachment, so
//   it survives hibernation.
// - A change is written to SQLite with the next rev and its outbox row in one transaction, then
//   broadcast (acknowledged means stored). The alarm forwards the outbox to the spine.
// - Access follows membership live: `revoke(userId, epoch)` closes that member's sockets and
//   refuses any socket or call authorised at an older epoch of the community's access.
// - Each member's frames and calls run one after another (a lane per member), so a member's
//   messages keep the order they were sent in even when one of them waits on D1 (mentions, images).
import { DurableObject } from "cloudflare:workers";
import { answerClose } from "./sockets";
import { ChatStore, messageView, type MessageRow } from "./chat-store";
import {
  CloseCode,
  hereWithout,
  IdentityHeader,
  MAX_CLIENT_FRAME_UNITS,
  MAX_PAGE_MESSAGES,
  PING,
  PONG,
  isConversationId,
  parseClientFrame,
  parseHiddenAuthors,
  parseMessageId,
  withoutAuthors,
  type ChatMessage,
  type ClientFrame,
  type ServerFrame,
} from "./protocol";
import { DM_NOT_ALLOWED, composeMessage, forgetErasedAuthors, forwardOutbox, renderedWithNamesNow, type ChatError, type ComposeInput, type Identity, type Result } from "../workers/domain/chat/object-side";
import { ReadPositions, type InboxMirror } from "./chat-reads";
import { announceInboxChange } from "../workers/domain/chat/inbox";
import type { MissedCandidate } from "../workers/domain/chat/missed-messages";
import { mentionedIds } from "../workers/lib/markdown";
import { mentionToken } from "../workers/lib/mention-tokens";
import { hasRole } from "../workers/domain/access";
import type { Role } from "../workers/db/schema";

/** Messages one member may send in RATE_WINDOW_MS (moderators included): a flood brake, not slow mode. */
export const RATE_LIMIT_MESSAGES = 10;
export const RATE_WINDOW_MS = 10_000;
/** Longest slow mode a moderator may set, in seconds (Discord's is 6 hours). */
export const MAX_SLOW_MODE_SECONDS = 6 * 60 * 60;
/** A socket more than this many revs behind what it has confirmed (`seen`) is closed as a slow reader. */
export const MAX_UNREAD_MESSAGES = 2_000;
/** A resume may replay at most this many changes; past it the client reloads history over HTTP. */
const MAX_RESUME = 10_000;
/** The error frame that tells a client to load the history again instead of resuming (app/lib/chat-socket.ts reloads on it). */
const RESUME_RESET = "resume_too_far";
/** Sockets one member may hold open to one channel (tabs, devices). */
export const MAX_SOCKETS_PER_MEMBER = 20;
/**
 * Changes to existing messages (edits, deletes, reactions, pins) one member may make in
 * RATE_WINDOW_MS: each is a frame to every socket, so a flood of them would push every reader
 * past the slow-reader limit. A person toggling reactions stays far below it.
 */
export const CHANGE_LIMIT = 30;
/** The shortest time between two announcements of a space's new messages to every reader online (ms). */
const INBOX_EVERYONE_EVERY_MS = 5_000;
/** The shortest time between two `here` frames (ms). */
const HERE_EVERY_MS = 2_000;
/** Distinct emoji one message may carry. */
const MAX_EMOJI_PER_MESSAGE = 20;
/**
 * How long the outbox gathers before its alarm forwards it: one D1 batch and one queue send carry
 * what a busy channel wrote meanwhile (measured: per-message forwarding cost a channel at 20 msg/s
 * more CPU than its broadcast). Consequences (search, mentions) follow within about this long.
 */
const OUTBOX_DELAY_MS = 500;
/**
 * The longest a change waits for others to share its frame (ms): the zero timer runs after the
 * events already waiting, and under a steady stream of them this bounds the wait.
 */
const MAX_COALESCE_MS = 20;
/**
 * The spacing of broadcast frames per socket held (µs): sending one frame to N sockets costs the
 * object's thread about N × this (measured: ~20 µs a send under wrangler dev, bench/RESULTS.md), so
 * frames closer together than that only queue behind each other. A change arriving sooner after the
 * last frame waits out the rest of the spacing and rides in the next frame with whatever else came.
 */
const FRAME_SPACING_US_PER_SOCKET = 20;
/** The most a change waits for that spacing (ms), however many sockets. */
const MAX_FRAME_SPACING_MS = 40;
/** Outbox rows forwarded per alarm run (one D1 batch). */
const OUTBOX_BATCH = 50;
/**
 * After this many failed forwards the outbox goes one row at a time, so that one row D1 refuses for
 * good cannot hold back the rows behind it; a single row refused this many times more for a
 * constraint (a permanent refusal, not an outage) is dropped and logged (`chat.outbox.dropped`).
 */
const OUTBOX_ISOLATE_AFTER = 3;
const OUTBOX_DROP_AFTER = 6;
/** D1's answer for a statement that can never succeed as written (a foreign key, a CHECK, NOT NULL). */
const permanentRefusal = (error: unknown) => /constraint failed|SQLITE_CONSTRAINT/i.test(String(error));
/** Read positions one forward mirrors into D1 at most (one upsert each in its batch). */
const READS_BATCH = 100;
/** A socket's typing frames closer together than this are dropped (ADR 033: clients send one every 3 s). */
export const TYPING_INTERVAL_MS = 2_000;

/**
 * What a socket remembers across hibernation (serializeAttachment, kept by the runtime with the
 * socket): who it is, its connection id, the highest rev it confirmed (`seen`), so a reader
 * that stopped reading is still measured after the object was evicted, and the answers (acks,
 * error frames) sent to its own frames since it last sent a `seen`.
 */
type Attachment = Identity & { conn: string; seen: number; replies: number };

const fail = (status: number, code: string, message: string, extra: Partial<ChatError> = {}): { ok: false; error: ChatError } => ({
  ok: false,
  error: { status, code, message, ...extra },
});

export class ChatChannel extends DurableObject<Env> {
  private readonly store: ChatStore;
  /**
   * Each socket's attachment by connection id: the live copy (`seen` moves here first). Keyed by
   * the id rather than by the WebSocket object, whose wrapper the runtime does not promise to keep
   * from one getWebSockets() call to the next (and does not keep across hibernation).
   */
  private readonly readers = new Map<string, Attachment>();
  /** a cache of which connection a wrapper is, so a broadcast reads no attachment it has read before */
  private readonly connOf = new WeakMap<WebSocket, string>();
  /**
   * The sockets this instance holds, by connection id, each with its live attachment: what a
   * broadcast walks. Built from getWebSockets() once per instance (after a wake), then kept by
   * accept and close — asking the runtime for every socket per broadcast built a wrapper per socket
   * each time (5 % of the object's CPU at N = 500, bench/RESULTS.md).
   */
  private sockets: Map<string, { ws: WebSocket; reader: Attachment }> | null = null;
  private readonly lanes = new Map<string, Promise<unknown>>();
  /** each member's window of changes (changeAllowance) */
  private readonly changeWindows = new Map<string, { start: number; count: number }>();
  /** each hidden set's variant key (its ids joined), by the attachment's array: joined once, not per broadcast */
  private readonly hiddenKeys = new WeakMap<string[], string>();
  private pending: ChatMessage[] = [];
  /** authors whose chat_authors row (D1) this instance has written: a forward writes only new ones */
  private readonly recordedAuthors = new Set<string>();
  /** MAX_UNREAD_MESSAGES, or CHAT_MAX_UNREAD from env (tests use a small one) */
  private readonly maxUnread: number;
  /**
   * The `seen` each connection's stored attachment holds. A confirmation rewrites the attachment
   * only once it moved a quarter of maxUnread past it (every reader confirms about once a second:
   * N rewrites a second otherwise); after an eviction a reader counts as at most that much further
   * behind than it is, which never closes one that keeps confirming.
   */
  private readonly storedSeen = new Map<string, number>();
  /** what `ready` asks readers to confirm by (a quarter of maxUnread) */
  private get confirmEvery(): number {
    return Math.max(1, Math.floor(this.maxUnread / 4));
  }
  /** the zero timer that sends `pending` (null: nothing queued) */
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** when the oldest change in `pending` was queued (ms) */
  private pendingSince = 0;
  /** when the last frame of changes went out (ms): the next waits for frameSpacingMs after it */
  private flushedAt = 0;
  /** acks waiting for the frame that carries their message */
  private afterFlush: Array<() => void> = [];
  /**
   * An outbox alarm is set or being set by this instance: later writes skip storage.getAlarm().
   * Reset when the alarm runs; a fresh instance (after eviction) starts false, which only costs one
   * getAlarm() — "not armed" when armed is harmless, the reverse never happens.
   */
  private outboxArmed = false;
  /** each member's read position here (ADR 033), mirrored into D1 by the outbox forward */
  private readonly reads: ReadPositions;
  /** when each connection's last typing frame was relayed (ms): the 2 s brake, in memory only */
  private readonly typedAt = new Map<string, number>();
  /** the `here` set last broadcast (sorted ids joined), and the zero timer that sends the next */
  private hereSent = "";
  /** when a space's new messages were last announced to every reader online, and the announcement owed meanwhile */
  private inboxEveryoneAt = 0;
  private inboxOwed: ReturnType<typeof setTimeout> | null = null;
  /** every member here at the last walk (sent to a new socket at once), and when it was (ms) */
  private hereAll: Map<string, string> | null = null;
  /** the `here` frame each connection last heard (count and ids): the same one is not sent twice */
  private readonly hereSentTo = new Map<string, string>();
  private hereAt = 0;
  private hereTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new ChatStore(ctx.storage.sql);
    this.reads = new ReadPositions(ctx.storage.sql);
    const configured = Number((env as { CHAT_MAX_UNREAD?: string }).CHAT_MAX_UNREAD);
    this.maxUnread = Number.isSafeInteger(configured) && configured > 0 ? configured : MAX_UNREAD_MESSAGES;
    // answered by the runtime without waking the object
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  // ---- sockets --------------------------------------------------------------------------------

  /** The upgrade, forwarded by the Worker with identity headers it set itself (ADR 024). */
  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return new Response("Expected a WebSocket upgrade.", { status: 426 });
    const identity = identityFromHeaders(request.headers);
    if (!identity) return new Response("Missing identity.", { status: 400 });
    this.learn(identity);
    if (this.isRevoked(identity)) return new Response("No such space.", { status: 404 });
    const asked = new URL(request.url).searchParams.get("after");
    const after = asked === null ? null : Number(asked);
    if (after !== null && !(Number.isSafeInteger(after) && after >= 0)) {
      return Response.json({ error: { code: "validation_failed", message: "`after` is a rev (a whole number)." } }, { status: 400 });
    }
    // what is waiting to be broadcast goes to the sockets already here: the new one gets it in
    // its replay, once
    this.flush();
    const meta = this.store.readMeta();
    // a rev past the head was never sent from here (a client bug, or a channel reset): resume from
    // the head and say so — a browser cannot read a refused upgrade's status, and its reconnecting
    // client would ask again with the same rev for ever
    const ahead = after !== null && after > meta.head;
    const resumeFrom = after === null || ahead ? meta.head : after;
    const pair = new WebSocketPair();
    const server = pair[1];
    // a bound per member: many tabs are fine, an unbounded number of sockets is not
    if (this.ctx.getWebSockets(`user:${identity.userId}`).length >= MAX_SOCKETS_PER_MEMBER) {
      return Response.json({ error: { code: "rate_limited", message: `At most ${MAX_SOCKETS_PER_MEMBER} open connections to one channel.` } }, { status: 429, headers: { "Retry-After": "10" } });
    }
    this.ctx.acceptWebSocket(server, identity.session ? [`user:${identity.userId}`, `session:${identity.session}`] : [`user:${identity.userId}`]);
    const attachment: Attachment = { ...identity, conn: crypto.randomUUID(), seen: resumeFrom, replies: 0 };
    server.serializeAttachment(attachment);
    this.readers.set(attachment.conn, attachment);
    this.connOf.set(server, attachment.conn);
    this.sockets?.set(attachment.conn, { ws: server, reader: attachment });
    this.sendTo(server, { type: "ready", userId: identity.userId, head: meta.head, slowModeSeconds: meta.slowModeSeconds, resumeTo: meta.head, confirmEvery: this.confirmEvery });
    if (ahead) this.sendTo(server, { type: "error", code: RESUME_RESET, message: `This channel has no rev ${after} (its head is ${meta.head}): load the history again.` });
    if (resumeFrom < meta.head) this.replay(server, identity.channelId, resumeFrom, meta.head);
    this.arrived(server);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /**
   * Everything after `from` up to `to`, in pages, in rev order. A resume longer than a socket may
   * leave unconfirmed (maxUnread) is not replayed: it would be closed as a slow reader at the next
   * broadcast before it could confirm, and reconnect into the same replay.
   */
  private replay(ws: WebSocket, channelId: string, from: number, to: number): void {
    if (to - from > Math.min(MAX_RESUME, this.maxUnread)) {
      this.sendTo(ws, { type: "error", code: RESUME_RESET, message: "Too much was missed to replay; load the history again." });
      return;
    }
    let cursor = from;
    while (cursor < to) {
      const rows = this.store.changedAfter(cursor, MAX_PAGE_MESSAGES);
      if (rows.length === 0) break;
      const shown = withoutAuthors(this.store.views(channelId, rows), this.identityOf(ws)?.hiddenAuthors);
      if (shown.length > 0) this.sendTo(ws, { type: "messages", messages: shown });
      cursor = rows[rows.length - 1].rev;
    }
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const identity = this.identityOf(ws);
    if (!identity) return;
    // a frame after revocation is ignored, and the socket closed
    if (this.isRevoked(identity)) {
      this.closeSocket(ws, CloseCode.accessRevoked, "access_revoked");
      return;
    }
    if (typeof message !== "string") {
      this.reply(ws, identity, { type: "error", code: "validation_failed", message: "Frames are JSON text." });
      return;
    }
    if (message.length > MAX_CLIENT_FRAME_UNITS) {
      this.reply(ws, identity, { type: "error", code: "too_large", message: "A frame may be at most a message of 4,000 characters." });
      return;
    }
    const parsed = parseClientFrame(message);
    if (!parsed.ok) {
      this.reply(ws, identity, { type: "error", code: "validation_failed", message: parsed.message });
      return;
    }
    const frame = parsed.frame;
    if (frame.type === "read" || frame.type === "typing") {
      this.onLiveFrame(ws, identity, frame);
      return;
    }
    if (frame.type === "seen") {
      // only what was sent counts: a client cannot confirm its way past the head
      const seen = Math.min(frame.rev, this.store.readMeta().head);
      if (seen > identity.seen || identity.replies > 0) {
        const hadReplies = identity.replies > 0;
        identity.seen = Math.max(identity.seen, seen);
        identity.replies = 0;
        if (hadReplies || identity.seen - (this.storedSeen.get(identity.conn) ?? 0) >= this.confirmEvery) {
          ws.serializeAttachment(identity);
          this.storedSeen.set(identity.conn, identity.seen);
        }
      }
      return;
    }
    const result = await this.inLane(identity.userId, () => this.apply(identity, frame));
    if (frame.type === "send") {
      if (result.ok) {
        const ack: ServerFrame = { type: "ack", clientId: frame.clientId, message: (result.value as { message: ChatMessage }).message };
        this.afterBroadcast(() => this.reply(ws, identity, ack));
      }
      else this.reply(ws, identity, errorFrame(result.error, frame.clientId));
    } else if (!result.ok) {
      this.reply(ws, identity, errorFrame(result.error));
    }
  }

  async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.forget(ws);
    this.departed(ws);
    answerClose(ws, code, reason);
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    this.forget(ws);
    this.departed(ws);
  }

  // ---- calls from the Worker (RPC) --------------------------------------------------------------

  /** POST /spaces/:id/messages: the same path a socket's `send` takes. */
  async send(identity: Identity, input: ComposeInput & { clientId: string | null }): Promise<Result<{ message: ChatMessage; created: boolean; unreachableMentions: string[] }>> {
    this.learn(identity);
    if (this.isRevoked(identity)) return fail(404, "not_found", "No such space.");
    return this.inLane(identity.userId, () => this.sendNow(identity, input));
  }

  /** Edit, delete, react, pin: the socket frames, for PATCH/DELETE /messages/:id and the reaction routes. */
  async act(identity: Identity, frame: Exclude<ClientFrame, { type: "send" | "seen" | "read" | "typing" }>): Promise<Result<{ message: ChatMessage }>> {
    this.learn(identity);
    if (this.isRevoked(identity)) return fail(404, "not_found", "No such space.");
    return this.inLane(identity.userId, () => this.apply(identity, frame)) as Promise<Result<{ message: ChatMessage }>>;
  }

  /** A page of history by seq (`before` newest first, or `after`), with the channel's state. */
  async history(
    identity: Identity,
    page: { before?: number; after?: number; limit: number },
  ): Promise<Result<{ messages: ChatMessage[]; head: number; slowModeSeconds: number; pinned: ChatMessage[]; hasMore: boolean }>> {
    this.learn(identity);
    if (this.isRevoked(identity)) return fail(404, "not_found", "No such space.");
    const limit = Math.min(Math.max(page.limit, 1), MAX_PAGE_MESSAGES);
    const head = this.store.readMeta().head;
    // every seq is at most the head: a seq past it was never handed out here
    if (page.after !== undefined && page.after > head) {
      return fail(400, "validation_failed", `This channel has no message after ${page.after} (its head is ${head}).`, {
        issues: [{ path: "after", message: "Past the channel's head.", code: "invalid_cursor" }],
      });
    }
    const rows = page.after !== undefined ? this.store.afterSeq(page.after, limit + 1) : this.store.before(page.before ?? Number.MAX_SAFE_INTEGER, limit + 1);
    const hasMore = rows.length > limit;
    const shown = page.after !== undefined ? rows.slice(0, limit) : rows.slice(rows.length - Math.min(rows.length, limit));
    const meta = this.store.readMeta();
    return {
      ok: true,
      value: {
        messages: this.store.views(identity.channelId, shown),
        head: meta.head,
        slowModeSeconds: meta.slowModeSeconds,
        pinned: this.store.views(identity.channelId, this.store.pinned(20)),
        hasMore,
      },
    };
  }

  /** One message as the spine's handlers read it (search, mentions); null when there is none. */
  async message(seq: number): Promise<{ message: ChatMessage; excerpt: string; authorId: string; deleted: boolean } | null> {
    const row = this.store.bySeq(seq);
    const meta = this.store.readMeta();
    if (!row || !meta.channelId) return null;
    return { message: this.store.views(meta.channelId, [row])[0], excerpt: row.excerpt, authorId: row.author_id, deleted: row.deleted_at !== null };
  }

  /** Several messages by seq (the spine's batched search indexing); a seq with no message is left out. */
  async messagesBySeq(seqs: number[]): Promise<Array<{ seq: number; message: ChatMessage; authorId: string; deleted: boolean }>> {
    const meta = this.store.readMeta();
    if (!meta.channelId || seqs.length === 0) return [];
    const rows = seqs.slice(0, MAX_PAGE_MESSAGES).flatMap((seq) => this.store.bySeq(seq) ?? []);
    const views = this.store.views(meta.channelId, rows);
    return rows.map((row, i) => ({ seq: row.seq, message: views[i], authorId: row.author_id, deleted: row.deleted_at !== null }));
  }

  /** Slow mode, set by a moderator (the Worker checked the role; the object checks it again). */
  async configure(identity: Identity, settings: { slowModeSeconds: number }): Promise<Result<{ slowModeSeconds: number }>> {
    this.learn(identity);
    if (this.isRevoked(identity)) return fail(404, "not_found", "No such space.");
    if (!hasRole(identity.role, "moderator")) return fail(403, "forbidden", "This needs the moderator role or higher.");
    const seconds = Math.trunc(settings.slowModeSeconds);
    if (!(seconds >= 0 && seconds <= MAX_SLOW_MODE_SECONDS)) return fail(400, "validation_failed", `Slow mode is 0 to ${MAX_SLOW_MODE_SECONDS} seconds.`);
    this.store.setMeta("slow_mode_seconds", seconds);
    this.broadcastNow({ type: "settings", slowModeSeconds: seconds });
    return { ok: true, value: { slowModeSeconds: seconds } };
  }

  /**
   * Access changed at `epoch` of the community's access (domain/access-changes.ts): close the
   * sockets of `userId` (null: everyone's, who reconnect through the Worker's check) authorised
   * before it, and refuse their frames and calls from now on. Idempotent; called directly after
   * the change and again by the spine.
   */
  async revoke(userId: string | null, epoch: number): Promise<number> {
    this.store.revoke(userId ?? "*", epoch);
    let closed = 0;
    for (const ws of this.ctx.getWebSockets(userId ? `user:${userId}` : undefined)) {
      const identity = this.identityOf(ws);
      if (identity && identity.epoch < epoch) {
        this.closeSocket(ws, CloseCode.accessRevoked, "access_revoked");
        closed++;
      }
    }
    return closed;
  }

  /**
   * Sessions ended (sign-out, a password reset): the sockets they opened close (4403) and frames
   * or upgrades still carrying them are refused from now on. Idempotent; returns how many closed.
   */
  async endSessions(sessions: string[]): Promise<number> {
    let closed = 0;
    for (const session of sessions) {
      this.store.endSession(session);
      for (const ws of this.ctx.getWebSockets(`session:${session}`)) {
        this.closeSocket(ws, CloseCode.accessRevoked, "session_ended");
        closed++;
      }
    }
    return closed;
  }

  /**
   * Who `userId` is changed — a new display name, or they blocked or unblocked someone (ADR 033):
   * their sockets close 4409 and reconnect at once with `?after=` as the new identity.
   */
  async refresh(userId: string | null): Promise<number> {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets(userId === null ? undefined : `user:${userId}`)) {
      this.closeSocket(ws, CloseCode.refresh, "refresh");
      closed++;
    }
    return closed;
  }

  /**
   * The space was archived: every socket closes (4404) and nothing is accepted here again. The
   * history stays (export and erasure still reach it). Idempotent.
   */
  async archive(): Promise<number> {
    this.store.setMeta("archived", 1);
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      this.closeSocket(ws, CloseCode.gone, "archived");
      closed++;
    }
    return closed;
  }

  /** An author's messages after `afterSeq` (their export), oldest first. */
  async exportAuthor(userId: string, afterSeq: number, limit: number): Promise<ChatMessage[]> {
    const meta = this.store.readMeta();
    if (!meta.channelId) return [];
    return this.store.views(meta.channelId, this.store.byAuthor(userId, afterSeq, Math.min(limit, 1_000)));
  }

  /** How many messages `userId` wrote here (export progress). */
  async countByAuthor(userId: string): Promise<number> {
    return this.store.countByAuthor(userId);
  }

  /** Anonymise an erased member's messages here (the spine's purge); returns how many changed. */
  async eraseAuthor(userId: string): Promise<number> {
    const now = Date.now();
    this.recordedAuthors.delete(userId);
    const changed = this.transaction(() => this.store.eraseAuthor(userId, () => this.store.nextRev(), now));
    this.closeSocketsOf(userId);
    // the tombstones reach D1's unread counts (chat_deleted) with the next forward
    if (changed > 0) this.armOutbox();
    const meta = this.store.readMeta();
    if (changed > 0 && meta.channelId) {
      const rows = this.store.changedAfter(meta.head - changed, changed);
      this.queueBroadcast(this.store.views(meta.channelId, rows));
    }
    return changed;
  }

  /**
   * A member that message `seq` mentions was renamed or erased (the spine's user.renamed, ADR 017):
   * its HTML and excerpt are rendered again with the names shown now, under a new rev, and open
   * pages get it. Idempotent; false when nothing changed (deleted, edited meanwhile, same names).
   */
  async refreshMentions(seq: number): Promise<boolean> {
    const meta = this.store.readMeta();
    const row = this.store.bySeq(seq);
    if (!row || row.deleted_at !== null || !meta.channelId || !meta.communityId) return false;
    const text = await renderedWithNamesNow(this.env, meta.communityId, row.body);
    if (text.html === row.html && text.excerpt === row.excerpt) return false;
    const changed = this.transaction(() => {
      // an edit while the names were read wins: it rendered with the names of its own time
      const current = this.store.bySeq(seq);
      if (!current || current.deleted_at !== null || current.body !== row.body) return null;
      this.store.rerender(seq, this.store.nextRev(), text);
      return this.store.bySeq(seq);
    });
    if (changed && meta.channelId) this.queueBroadcast(this.store.views(meta.channelId, [changed]));
    return changed !== null;
  }

  /**
   * `userId` was renamed or erased: every message here that mentions them (their own included) is
   * rendered again with the names shown now (refreshMentions). Idempotent; answers how many changed.
   */
  async refreshMentionsOf(userId: string): Promise<number> {
    let changed = 0;
    for (const seq of this.store.mentioning(mentionToken(userId))) if (await this.refreshMentions(seq)) changed++;
    return changed;
  }

  /**
   * `userId` was renamed: their messages here carry `name` from now on (a page loaded before keeps
   * the old name until it loads again; new messages already carry it, ADR 033 refresh). Idempotent.
   */
  async renameAuthor(userId: string, name: string): Promise<number> {
    return this.store.renameAuthor(userId, name);
  }

  /** `userId`'s newest message among the `message.created` rows of a forward, as stored now. */
  private newestOfAuthorIn(rows: Array<{ kind: string; payload: string }>, userId: string): MessageRow | null {
    for (let i = rows.length - 1; i >= 0; i--) {
      if (rows[i].kind !== "message.created") continue;
      const payload = JSON.parse(rows[i].payload) as { seq: number; authorId?: string };
      if (payload.authorId === userId) return this.store.bySeq(payload.seq);
    }
    return null;
  }

  // ---- the alarm: the outbox to the spine -------------------------------------------------------

  async alarm(): Promise<void> {
    // whatever is written from now on sets the next alarm itself
    this.outboxArmed = false;
    const head = this.store.outbox(OUTBOX_BATCH);
    // a batch that keeps failing goes one row at a time (OUTBOX_ISOLATE_AFTER)
    const rows = head.length > 1 && head[0].attempts >= OUTBOX_ISOLATE_AFTER ? head.slice(0, 1) : head;
    // read positions that moved need a forward of their own even when no message was written
    if (rows.length === 0 && !this.reads.hasDirty()) return;
    const meta = this.store.readMeta();
    const inbox = this.inboxForward(rows);
    try {
      const where = { objectId: this.ctx.id.toString(), channelId: meta.channelId, communityId: meta.communityId, recordedAuthors: this.recordedAuthors };
      const { erased, names } = await forwardOutbox(this.env, where, rows, inbox);
      if (rows.length) this.store.forwarded(rows[rows.length - 1].id);
      // the row that held the batch back went through or was dropped: the rest go in batches again
      if (rows.length < head.length) this.store.resetForwardAttempts();
      this.reads.mirrored(inbox.mirror);
      await this.announceInbox(rows, inbox.mirror);
      for (const userId of erased) await this.eraseAuthor(userId);
      // an author renamed since their message here was written (the rename's handler may not have
      // known this channel yet): checked against their newest message of this forward
      for (const [userId, name] of names) {
        const newest = this.newestOfAuthorIn(rows, userId);
        if (newest && newest.author_name !== name) this.store.renameAuthor(userId, name);
      }
      if (erased.length && meta.channelId) await forgetErasedAuthors(this.env, meta.channelId, erased);
      if (this.store.outbox(1).length || this.reads.hasDirty()) await this.ctx.storage.setAlarm(Date.now());
    } catch (error) {
      const [only] = rows;
      if (rows.length === 1 && only.attempts + 1 >= OUTBOX_DROP_AFTER && permanentRefusal(error)) {
        // what D1 refuses for good is dropped, so the rows behind it go on; the log keeps it whole
        console.error(JSON.stringify({ at: "chat.outbox.dropped", row: only, error: String(error) }));
        this.store.forwarded(only.id);
        this.store.resetForwardAttempts();
        await this.ctx.storage.setAlarm(Date.now());
        return;
      }
      // the alarm retries by itself only a few times: keep the rows and try again, backing off
      this.store.failedForward(rows.map((r) => r.id));
      const attempts = Math.min((rows[0]?.attempts ?? 0) + 1, 10);
      console.error(JSON.stringify({ at: "chat.outbox", error: String(error), attempts }));
      await this.ctx.storage.setAlarm(Date.now() + Math.min(1_000 * 2 ** attempts, 10 * 60_000));
    }
  }

  // ---- read positions, who is here, typing (ADR 033) ---------------------------------------------

  /** POST /spaces/:id/read (and a DM's): move the caller's read position to `seq`, never back. */
  async markRead(identity: Identity, seq: number): Promise<Result<{ readSeq: number; unread: number }>> {
    this.learn(identity);
    if (this.isRevoked(identity)) return fail(404, "not_found", "No such space.");
    const position = this.moveRead(identity.userId, seq, null);
    return { ok: true, value: position };
  }

  /**
   * Move `userId`'s position to `seq` (never back); when it moved, their sockets here other than
   * `from` hear `{type:"read"}` at once and the outbox forward mirrors it. Answers the position now.
   */
  private moveRead(userId: string, seq: number, from: string | null): { readSeq: number; unread: number } {
    if (!userId) return { readSeq: 0, unread: 0 };
    const { position, moved } = this.reads.advance(userId, seq);
    const unread = this.reads.unread(position);
    if (moved) {
      const text = JSON.stringify({ type: "read", seq: position.readSeq, unread } satisfies ServerFrame);
      for (const ws of this.ctx.getWebSockets(`user:${userId}`)) {
        if (ws.readyState !== WebSocket.OPEN || (from !== null && this.identityOf(ws)?.conn === from)) continue;
        try {
          ws.send(text);
        } catch {
          /* closing */
        }
      }
      this.armOutbox();
    }
    return { readSeq: position.readSeq, unread };
  }

  /** `read` and `typing` from a socket: neither waits in the member's lane, and typing is never stored. */
  private onLiveFrame(ws: WebSocket, identity: Attachment, frame: Extract<ClientFrame, { type: "read" | "typing" }>): void {
    if (frame.type === "read") {
      this.moveRead(identity.userId, frame.seq, identity.conn);
      return;
    }
    const now = Date.now();
    // a flood is dropped silently: the indicator needs one frame every few seconds
    if (now - (this.typedAt.get(identity.conn) ?? -Infinity) < TYPING_INTERVAL_MS) return;
    this.typedAt.set(identity.conn, now);
    const text = JSON.stringify({ type: "typing", userId: identity.userId, name: identity.userName } satisfies ServerFrame);
    for (const { ws: other, reader } of this.liveSockets()) {
      if (other.readyState !== WebSocket.OPEN) continue;
      // a blocker does not see the blocked member typing (ADR 033)
      if (reader.userId === identity.userId || reader.hiddenAuthors?.includes(identity.userId)) continue;
      try {
        other.send(text);
      } catch {
        /* closing */
      }
    }
  }

  /** Every member with a socket open here now (id → name). */
  private hereMembers(): Map<string, string> {
    const names = new Map<string, string>();
    for (const { ws, reader } of this.liveSockets()) {
      if (ws.readyState === WebSocket.OPEN && reader.userId) names.set(reader.userId, reader.userName);
    }
    return names;
  }

  /**
   * A socket was accepted: it hears who is here at once — the set last walked (a storm of
   * reconnects must not cost a walk of every socket each) with its own member in it — and the
   * others when the set changed (queueHere). A blocker's frame leaves the blocked out.
   */
  private arrived(ws: WebSocket): void {
    const identity = this.identityOf(ws);
    // the last walk, kept current with arrivals until the next walk (departures wait for it)
    const all = (this.hereAll ??= this.hereMembers());
    if (identity?.userId && !all.has(identity.userId)) all.set(identity.userId, identity.userName);
    const frame = hereWithout(all, identity?.hiddenAuthors);
    this.sendHere(ws, hereKey(frame), JSON.stringify(frame));
    this.queueHere();
  }

  /** A socket closed: the others hear the new set if it changed. */
  private departed(ws: WebSocket): void {
    const conn = this.connOf.get(ws);
    if (conn !== undefined) {
      this.typedAt.delete(conn);
      this.hereSentTo.delete(conn);
    }
    this.queueHere();
  }

  /** Sends a `here` frame unless this connection last heard the same one (no duplicate on connect). */
  private sendHere(ws: WebSocket, key: string, text: string): void {
    const conn = this.connOf.get(ws);
    if (conn !== undefined) {
      if (this.hereSentTo.get(conn) === key) return;
      this.hereSentTo.set(conn, key);
    }
    try {
      ws.send(text);
    } catch {
      /* closing */
    }
  }

  /**
   * Arrivals and departures share one `here` frame, at most one per HERE_EVERY_MS: the first
   * change after a quiet spell goes out on the next turn, a burst (a thousand reconnects after a
   * deploy) costs one walk of the sockets and one frame per interval, not one per socket. The
   * frame is built once per distinct hidden set (blockers leave the blocked out, ADR 033).
   */
  private queueHere(): void {
    if (this.hereTimer !== null) return;
    const wait = Math.max(0, this.hereAt + HERE_EVERY_MS - Date.now());
    this.hereTimer = setTimeout(() => {
      this.hereTimer = null;
      this.hereAt = Date.now();
      const all = this.hereMembers();
      this.hereAll = all;
      const key = [...all.keys()].sort().join(",");
      if (key === this.hereSent) return;
      this.hereSent = key;
      const variants = new Map<string, { key: string; text: string }>();
      for (const { ws, reader } of this.liveSockets()) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        const hidden = reader.hiddenAuthors;
        const variant = hidden?.length ? (this.hiddenKeys.get(hidden) ?? hidden.join(",")) : "";
        let out = variants.get(variant);
        if (!out) {
          const frame = hereWithout(all, hidden);
          variants.set(variant, (out = { key: hereKey(frame), text: JSON.stringify(frame) }));
        }
        this.sendHere(ws, out.key, out.text);
      }
    }, wait);
  }

  /**
   * What a forward mirrors besides the outbox: the head, the moved positions and the new messages'
   * authors, and the new messages someone may miss — every message of a DM, a space's messages
   * that mention someone.
   */
  private inboxForward(rows: Array<{ kind: string; payload: string }>): { mirror: InboxMirror; missed: MissedCandidate[] } {
    const dm = isConversationId(this.store.readMeta().channelId ?? "");
    const missed: MissedCandidate[] = [];
    const created: Array<{ seq: number; authorId: string }> = [];
    for (const row of rows) {
      if (row.kind !== "message.created") continue;
      const payload = JSON.parse(row.payload) as { seq: number; mentions?: boolean };
      const message = this.store.bySeq(payload.seq);
      if (message) created.push({ seq: message.seq, authorId: message.author_id });
      if (!dm && payload.mentions === false) continue;
      if (!message || message.deleted_at !== null) continue;
      const mentioned = mentionedIds(message.body);
      if (!dm && mentioned.length === 0) continue;
      missed.push({ seq: message.seq, authorId: message.author_id, at: message.created_at, mentioned });
    }
    return { mirror: { ...this.reads.pendingMirror(READS_BATCH), created }, missed };
  }

  /**
   * After a forward: the presence object tells those whose unread count may have changed. A
   * space's new messages concern every reader online — each of whose pages then reads its counts —
   * so they are announced at most once per INBOX_EVERYONE_EVERY_MS (what a quieter spell owes goes
   * out when it ends); a DM's few participants hear of each forward.
   */
  private async announceInbox(rows: Array<{ kind: string }>, mirror: InboxMirror): Promise<void> {
    const meta = this.store.readMeta();
    if (!meta.channelId || !meta.communityId) return;
    const where = { communityId: meta.communityId, channelId: meta.channelId };
    // a new message, or one deleted before some had read it: everyone's count may have changed
    let everyone = rows.some((r) => r.kind === "message.created" || r.kind === "message.removed");
    if (everyone && !isConversationId(meta.channelId)) {
      const wait = this.inboxEveryoneAt + INBOX_EVERYONE_EVERY_MS - Date.now();
      if (wait > 0) {
        everyone = false;
        this.inboxOwed ??= setTimeout(() => {
          this.inboxOwed = null;
          this.inboxEveryoneAt = Date.now();
          void announceInboxChange(this.env, where, { userIds: [], everyone: true });
        }, wait);
      } else this.inboxEveryoneAt = Date.now();
    }
    await announceInboxChange(this.env, where, { userIds: mirror.reads.map((r) => r.userId), everyone });
  }

  // ---- what a frame or call does ----------------------------------------------------------------

  private async apply(identity: Identity, frame: Exclude<ClientFrame, { type: "seen" | "read" | "typing" }>): Promise<Result<unknown>> {
    if (frame.type !== "send") {
      const braked = this.changeAllowance(identity.userId, Date.now());
      if (braked) return braked;
    }
    switch (frame.type) {
      case "send":
        return this.sendNow(identity, { clientId: frame.clientId, body: frame.body, replyTo: frame.replyTo ?? null, imageIds: frame.imageIds ?? [], mentionIds: frame.mentionIds ?? [] });
      case "edit":
        return this.editNow(identity, frame.id, frame.body);
      case "delete":
        return this.change(identity, frame.id, "delete", (row, rev, now) => {
          if (row.author_id !== identity.userId && !hasRole(identity.role, "moderator")) return fail(403, "forbidden", onlyAuthor(identity, "delete"));
          this.store.remove(row.seq, rev, now);
          this.store.enqueue("message.removed", { seq: row.seq }, now);
          return null;
        });
      case "pin":
        return this.change(identity, frame.id, "pin", (row, rev, now) => {
          // in a DM every participant may pin; a chat space's pins are the moderators'
          if (!hasRole(identity.role, "moderator") && !isConversationId(identity.channelId)) return fail(403, "forbidden", "Pinning needs the moderator role or higher.");
          if ((row.pinned_at !== null) === frame.pinned) return "unchanged";
          this.store.setPinned(row.seq, rev, frame.pinned ? now : null);
          return null;
        });
      case "react":
        return this.change(identity, frame.id, "react", (row, rev, now) => {
          if (frame.on && !this.store.distinctEmoji(row.seq).includes(frame.emoji) && this.store.distinctEmoji(row.seq).length >= MAX_EMOJI_PER_MESSAGE) {
            return fail(409, "conflict", `A message can carry at most ${MAX_EMOJI_PER_MESSAGE} different reactions.`);
          }
          if (!this.store.react(row.seq, frame.emoji, identity.userId, frame.on, now)) return "unchanged";
          this.store.touchRev(row.seq, rev);
          return null;
        });
    }
  }

  /**
   * A change to an existing message: find it in this channel, let `write` check and write inside
   * one transaction with the next rev ("unchanged" writes nothing and spends no rev), then broadcast.
   */
  private change(
    identity: Identity,
    messageId: string,
    what: string,
    write: (row: MessageRow, rev: number, now: number) => ReturnType<typeof fail> | "unchanged" | null,
  ): Result<{ message: ChatMessage }> {
    const row = this.liveMessage(identity, messageId);
    if (!row) return fail(404, "not_found", "No such message.");
    const now = Date.now();
    const outcome = this.transaction(() => {
      const head = this.store.readMeta().head;
      const result = write(row, head + 1, now);
      if (result === null) this.store.setMeta("head", head + 1);
      return result;
    });
    if (outcome && outcome !== "unchanged") return outcome;
    const view = this.store.views(identity.channelId, [this.store.bySeq(row.seq)!])[0];
    if (outcome === null) {
      this.queueBroadcast([view]);
      if (what === "delete") this.armOutbox();
    }
    return { ok: true, value: { message: view } };
  }

  private async editNow(identity: Identity, messageId: string, body: string): Promise<Result<{ message: ChatMessage }>> {
    const row = this.liveMessage(identity, messageId);
    if (!row) return fail(404, "not_found", "No such message.");
    if (row.author_id !== identity.userId && !hasRole(identity.role, "moderator")) return fail(403, "forbidden", onlyAuthor(identity, "edit"));
    const composed = await composeMessage(this.env, identity, { body, replyTo: null, imageIds: [], mentionIds: [] }, { keepImages: row.images !== "[]" });
    if (!composed.ok) return composed;
    const result = this.change(identity, messageId, "edit", (current, rev, now) => {
      if (current.body === composed.value.body) return "unchanged";
      this.store.edit(current.seq, rev, composed.value, now);
      this.store.enqueue("message.updated", { seq: current.seq }, now);
      return null;
    });
    if (result.ok) this.armOutbox();
    return result;
  }

  private async sendNow(identity: Identity, input: ComposeInput & { clientId: string | null }): Promise<Result<{ message: ChatMessage; created: boolean; unreachableMentions: string[] }>> {
    if (input.clientId) {
      const existing = this.store.byClientId(identity.userId, input.clientId);
      if (existing) return { ok: true, value: { message: this.store.views(identity.channelId, [existing])[0], created: false, unreachableMentions: [] } };
    }
    const now = Date.now();
    const limited = this.sendAllowance(identity, now);
    if (limited) return limited;
    let replied: MessageRow | null = null;
    if (input.replyTo) {
      const named = parseMessageId(input.replyTo);
      replied = named && named.channelId === identity.channelId ? this.store.bySeq(named.seq) : null;
      if (!replied) return fail(400, "validation_failed", "The message replied to is not in this channel.", { issues: [{ path: "replyTo", message: "No such message in this channel.", code: "not_found" }] });
    }
    const replySeq = replied?.seq ?? null;
    const composed = await composeMessage(this.env, identity, input, { keepImages: false });
    if (!composed.ok) return composed;
    // between the await and here another call of this member cannot run (every send is in the
    // member's lane, and only a send stores a client id), others can: the seq is taken now; the
    // unique index (author_id, client_id) stands behind the lane
    const at = Date.now();
    const row = this.transaction(() => {
      const rev = this.store.nextRev();
      const stored: MessageRow = {
        seq: rev,
        rev,
        author_id: identity.userId,
        author_name: identity.userName,
        client_id: input.clientId,
        body: composed.value.body,
        html: composed.value.html,
        excerpt: composed.value.excerpt,
        reply_to: replySeq,
        images: JSON.stringify(composed.value.images),
        created_at: at,
        edited_at: null,
        deleted_at: null,
        pinned_at: null,
      };
      this.store.insertMessage(stored);
      const sender = this.store.sender(identity.userId);
      const fresh = !sender || at - sender.window_start >= RATE_WINDOW_MS;
      this.store.recordSend(identity.userId, at, fresh ? at : sender!.window_start, fresh ? 1 : sender!.window_count + 1);
      this.store.enqueue("message.created", { seq: rev, authorId: identity.userId, mentions: composed.value.body.includes("<@") }, at);
      return stored;
    });
    // a new message has no reactions yet, and the row it quotes was read above: no query for its view
    const message = messageView(identity.channelId, row, [], replied);
    this.queueBroadcast([message]);
    this.armOutbox();
    // what you write you have read (ADR 033)
    this.moveRead(identity.userId, row.seq, null);
    return { ok: true, value: { message, created: true, unreachableMentions: composed.value.unreachableMentions } };
  }

  /** The message `messageId` names, if it is in this channel and not deleted. */
  private liveMessage(identity: Identity, messageId: string): MessageRow | null {
    const named = parseMessageId(messageId);
    const row = named && named.channelId === identity.channelId ? this.store.bySeq(named.seq) : null;
    return row && row.deleted_at === null ? row : null;
  }

  /**
   * The brake on changes (CHANGE_LIMIT in RATE_WINDOW_MS per member, counted per attempt): the
   * refusal, or null. Kept in the object's memory: a flood keeps the object awake, and an eviction
   * forgets at most one window.
   */
  private changeAllowance(userId: string, now: number): ReturnType<typeof fail> | null {
    const window = this.changeWindows.get(userId);
    if (!window || now - window.start >= RATE_WINDOW_MS) {
      this.changeWindows.set(userId, { start: now, count: 1 });
      if (this.changeWindows.size > 10_000) this.changeWindows.clear();
      return null;
    }
    if (window.count >= CHANGE_LIMIT) {
      return fail(429, "rate_limited", `At most ${CHANGE_LIMIT} edits, deletions and reactions in ${RATE_WINDOW_MS / 1_000} seconds.`, {
        retryAfter: Math.max(1, Math.ceil((window.start + RATE_WINDOW_MS - now) / 1_000)),
      });
    }
    window.count++;
    return null;
  }

  /** Slow mode (members below moderator) and the flood brake (everyone): the refusal, or null. */
  private sendAllowance(identity: Identity, now: number): ReturnType<typeof fail> | null {
    if (identity.sendRefused) return fail(403, "dm_not_allowed", DM_NOT_ALLOWED);
    const sender = this.store.sender(identity.userId);
    if (!sender) return null;
    const slow = this.store.readMeta().slowModeSeconds;
    if (slow > 0 && !hasRole(identity.role, "moderator")) {
      const wait = sender.last_at + slow * 1_000 - now;
      if (wait > 0) return fail(429, "rate_limited", `Slow mode: one message every ${slow} seconds.`, { retryAfter: Math.ceil(wait / 1_000), slowMode: true });
    }
    if (now - sender.window_start < RATE_WINDOW_MS && sender.window_count >= RATE_LIMIT_MESSAGES) {
      const wait = sender.window_start + RATE_WINDOW_MS - now;
      return fail(429, "rate_limited", `At most ${RATE_LIMIT_MESSAGES} messages in ${RATE_WINDOW_MS / 1_000} seconds.`, { retryAfter: Math.max(1, Math.ceil(wait / 1_000)) });
    }
    return null;
  }

  // ---- broadcast ----------------------------------------------------------------------------------

  /**
   * Coalesce: changes go out on the next turn of the event loop (a zero timer), so what the
   * events already waiting (other members' frames) change rides in the same frame, serialised
   * once for every socket. Quiet, that is one change per frame a millisecond or two later; under
   * load frames grow and their count per second stays near what the object can send (ADR 032).
   * Acks wait for the frame that carries their message (`afterBroadcast`), so a sender sees its
   * message in the list before its pending copy goes.
   */
  private queueBroadcast(messages: ChatMessage[]): void {
    const now = Date.now();
    if (this.pending.length === 0) this.pendingSince = now;
    this.pending.push(...messages);
    const spacing = this.frameSpacingMs();
    // a stream of events that never lets the timer run must not hold a frame back for long
    if (now - this.pendingSince >= spacing + MAX_COALESCE_MS) queueMicrotask(() => this.flush());
    else if (this.flushTimer === null) this.flushTimer = setTimeout(() => this.flush(), Math.max(0, this.flushedAt + spacing - now));
  }

  /**
   * How far apart this channel's frames go out (ms): FRAME_SPACING_US_PER_SOCKET per socket held,
   * at most MAX_FRAME_SPACING_MS — 0 for a handful of readers, 20 ms for a thousand. Under that,
   * frames to a busy channel carry several messages each instead of queueing one per message.
   */
  private frameSpacingMs(): number {
    return Math.min(MAX_FRAME_SPACING_MS, ((this.sockets?.size ?? 0) * FRAME_SPACING_US_PER_SOCKET) / 1_000);
  }

  /** Runs `task` once what is queued for broadcast went out (at once when nothing is). */
  private afterBroadcast(task: () => void): void {
    if (this.pending.length === 0) task();
    else this.afterFlush.push(task);
  }

  private flush(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.flushedAt = Date.now();
    const messages = this.pending;
    const after = this.afterFlush;
    this.pending = [];
    this.afterFlush = [];
    if (messages.length > 0) {
      const revs = messages.map((m) => m.rev);
      this.broadcastNow({ type: "messages", messages }, { from: Math.min(...revs), to: Math.max(...revs) });
    }
    for (const task of after) task();
  }

  /**
   * One serialisation, every socket. A socket that has not confirmed (`seen`) more than maxUnread
   * of the changes sent to it before this frame is closed instead: it stopped reading.
   */
  private broadcastNow(frame: ServerFrame, revs?: { from: number; to: number }): void {
    const text = JSON.stringify(frame);
    let variants: Map<string, string | null> | undefined;
    for (const { ws, reader } of this.liveSockets()) {
      // closed by us and waiting for the client's answer: nothing more goes to it
      if (ws.readyState !== WebSocket.OPEN) continue;
      let out: string | null = text;
      if (revs) {
        // what was sent before this frame counts: a burst of changes coalesced into one frame must
        // not close readers that had no chance to confirm yet (they are never more than one
        // frame — at most MAX_FRAME_SPACING_MS + MAX_COALESCE_MS of changes — past the limit)
        if (revs.from - 1 - reader.seen > this.maxUnread) {
          this.closeSocket(ws, CloseCode.slowConsumer, "slow_consumer");
          continue;
        }
        if (reader.hiddenAuthors?.length) out = this.textWithout(frame, reader.hiddenAuthors, (variants ??= new Map()));
      }
      if (out === null) continue;
      try {
        ws.send(out);
      } catch {
        /* a socket closing under us: its close handler cleans up */
      }
    }
  }

  /**
   * A `messages` frame as a blocker's socket gets it (ADR 033): without the hidden authors'
   * messages, serialised once per distinct hidden set in this broadcast (`variants`, by the sorted
   * ids); null when nothing is left to send.
   */
  private textWithout(frame: ServerFrame, hidden: string[], variants: Map<string, string | null>): string | null {
    let key = this.hiddenKeys.get(hidden);
    if (key === undefined) this.hiddenKeys.set(hidden, (key = hidden.join(",")));
    let text = variants.get(key);
    if (text === undefined) {
      const messages = frame.type === "messages" ? withoutAuthors(frame.messages, hidden) : [];
      text = frame.type !== "messages" ? JSON.stringify(frame) : messages.length ? JSON.stringify({ ...frame, messages }) : null;
      variants.set(key, text);
    }
    return text;
  }

  /**
   * An answer to the socket's own frame (an ack, an error frame). A client that keeps sending
   * without reading would pile these up as the broadcast would: past maxUnread answers with no
   * `seen` from it in between, it is closed as a slow reader (4408).
   */
  private reply(ws: WebSocket, reader: Attachment, frame: ServerFrame): void {
    if (++reader.replies > this.maxUnread) {
      this.closeSocket(ws, CloseCode.slowConsumer, "slow_consumer");
      return;
    }
    this.sendTo(ws, frame);
  }

  private sendTo(ws: WebSocket, frame: ServerFrame): void {
    try {
      ws.send(JSON.stringify(frame));
    } catch {
      /* closed */
    }
  }

  private armOutbox(): void {
    if (this.outboxArmed) return;
    this.outboxArmed = true;
    // an alarm already set (a backoff, or one an earlier instance set) fires soon enough; on a
    // rejection the next write tries again
    void this.ctx.storage
      .getAlarm()
      .then((at) => (at === null ? this.ctx.storage.setAlarm(Date.now() + OUTBOX_DELAY_MS) : undefined))
      .catch(() => {
        this.outboxArmed = false;
      });
  }

  // ---- identity and access -------------------------------------------------------------------------

  /**
   * The socket's attachment, the live copy: from memory when this instance has met the connection,
   * else from the runtime's copy (after hibernation). A socket accepted before attachments carried
   * a connection id gets one now, with everything up to the head counted as seen.
   */
  private identityOf(ws: WebSocket): Attachment | null {
    const conn = this.connOf.get(ws);
    const known = conn === undefined ? undefined : this.readers.get(conn);
    if (known) return known;
    const stored = ws.deserializeAttachment() as (Identity & Partial<Attachment>) | null;
    if (!stored) return null;
    const attachment: Attachment = this.readers.get(stored.conn ?? "") ?? { ...stored, conn: stored.conn ?? crypto.randomUUID(), seen: stored.seen ?? this.store.readMeta().head, replies: stored.replies ?? 0 };
    if (stored.conn === undefined) ws.serializeAttachment(attachment);
    this.readers.set(attachment.conn, attachment);
    this.connOf.set(ws, attachment.conn);
    return attachment;
  }

  /** A socket closed: drop what this instance held for it. */
  private forget(ws: WebSocket): void {
    const conn = this.connOf.get(ws) ?? (ws.deserializeAttachment() as Partial<Attachment> | null)?.conn;
    if (conn !== undefined) {
      this.readers.delete(conn);
      this.storedSeen.delete(conn);
      this.sockets?.delete(conn);
    }
  }

  /** Every socket this instance holds with its attachment (see `sockets`); a socket without one is skipped, as it never passed fetch. */
  private liveSockets(): IterableIterator<{ ws: WebSocket; reader: Attachment }> {
    if (this.sockets === null) {
      this.sockets = new Map();
      for (const ws of this.ctx.getWebSockets()) {
        const reader = this.identityOf(ws);
        if (reader) this.sockets.set(reader.conn, { ws, reader });
      }
    }
    return this.sockets.values();
  }

  /** Refused: the member lost access after this identity was checked, its session ended, or the channel was archived. */
  private isRevoked(identity: Identity): boolean {
    return this.store.revokedEpoch(identity.userId) > identity.epoch || this.store.readMeta().archived || (identity.session !== undefined && this.store.sessionEnded(identity.session));
  }

  /** The channel and community this object serves, from the first identity it sees. */
  private learn(identity: Identity): void {
    const meta = this.store.readMeta();
    if (meta.channelId === null) this.store.setMeta("channel_id", identity.channelId);
    if (meta.communityId === null) this.store.setMeta("community_id", identity.communityId);
  }

  private closeSocket(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      /* already closed */
    }
  }

  private closeSocketsOf(userId: string): void {
    for (const ws of this.ctx.getWebSockets(`user:${userId}`)) this.closeSocket(ws, CloseCode.accessRevoked, "access_revoked");
  }

  /** One SQLite transaction; when it throws (rolled back), the store's cache forgets what it saw. */
  private transaction<T>(write: () => T): T {
    try {
      return this.ctx.storage.transactionSync(write);
    } catch (error) {
      this.store.forgetCached();
      throw error;
    }
  }

  /** Runs `task` after this member's earlier tasks: one member's messages keep their order. */
  private inLane<T>(userId: string, task: () => Promise<T> | T): Promise<T> {
    const before = this.lanes.get(userId) ?? Promise.resolve();
    const run = before.then(task, task);
    const settled = run.catch(() => undefined);
    this.lanes.set(userId, settled);
    void settled.then(() => {
      if (this.lanes.get(userId) === settled) this.lanes.delete(userId);
    });
    return run;
  }
}

function errorFrame(error: ChatError, clientId?: string): ServerFrame {
  return {
    type: "error",
    code: error.code,
    message: error.message,
    ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
    ...(clientId ? { clientId } : {}),
  };
}

/** The identity the Worker put in the upgrade's headers, or null when one is missing. */
function identityFromHeaders(headers: Headers): Identity | null {
  const userId = headers.get(IdentityHeader.userId);
  const userName = headers.get(IdentityHeader.userName);
  const role = headers.get(IdentityHeader.role) as Role | null;
  const epoch = Number(headers.get(IdentityHeader.epoch));
  const communityId = headers.get(IdentityHeader.communityId);
  const channelId = headers.get(IdentityHeader.channelId);
  if (!userId || userName === null || !role || !Number.isSafeInteger(epoch) || !communityId || !channelId) return null;
  const session = headers.get(IdentityHeader.session);
  return { userId, userName: decodeURIComponent(userName), role, epoch, communityId, channelId, ...(session ? { session } : {}), ...dmIdentity(headers) };
}

/** The block facts of an identity (ADR 033), left out entirely when there are none: most sockets carry neither. */
function dmIdentity(headers: Headers): Pick<Identity, "hiddenAuthors" | "sendRefused"> {
  const hiddenAuthors = parseHiddenAuthors(headers.get(IdentityHeader.hiddenAuthors));
  return {
    ...(hiddenAuthors.length ? { hiddenAuthors } : {}),
    ...(headers.get(IdentityHeader.sendRefused) === "1" ? { sendRefused: true } : {}),
  };
}

/** What a `here` frame shows: its count and ids (names follow the ids). */
const hereKey = (frame: { count: number; userIds: string[] }) => `${frame.count}:${frame.userIds.join(",")}`;

/** Why someone may not change another's message: in a DM no role gives that power (ADR 034), in a space moderators have it. */
const onlyAuthor = (identity: Identity, what: "edit" | "delete") =>
  isConversationId(identity.channelId) ? `Only the author may ${what} this message.` : `Only the author or a moderator may ${what} this message.`;
