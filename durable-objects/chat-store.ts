// A chat channel's storage: the object's own SQLite (ADR 024). Every function here is synchronous
// (the Durable Object SQL API is), so a change and its outbox row are written in one
// `transactionSync` and nothing interleaves between reading the head and writing the next rev.
import { DELETED_MEMBER_NAME } from "../workers/lib/vocabulary";
import { messageIdOf, type ChatMessage } from "./protocol";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS messages (
     seq INTEGER PRIMARY KEY,
     rev INTEGER NOT NULL,
     author_id TEXT NOT NULL,
     author_name TEXT NOT NULL,
     client_id TEXT,
     body TEXT NOT NULL,
     html TEXT NOT NULL,
     excerpt TEXT NOT NULL DEFAULT '',
     reply_to INTEGER,
     images TEXT NOT NULL DEFAULT '[]',
     created_at INTEGER NOT NULL,
     edited_at INTEGER,
     deleted_at INTEGER,
     pinned_at INTEGER
   )`,
  `CREATE UNIQUE INDEX IF NOT EXISTS messages_client ON messages (author_id, client_id) WHERE client_id IS NOT NULL`,
  `CREATE UNIQUE INDEX IF NOT EXISTS messages_rev ON messages (rev)`,
  `CREATE INDEX IF NOT EXISTS messages_author ON messages (author_id, seq)`,
  `CREATE TABLE IF NOT EXISTS reactions (seq INTEGER NOT NULL, emoji TEXT NOT NULL, user_id TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (seq, emoji, user_id))`,
  `CREATE TABLE IF NOT EXISTS senders (user_id TEXT PRIMARY KEY, last_at INTEGER NOT NULL, window_start INTEGER NOT NULL, window_count INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS revocations (user_id TEXT PRIMARY KEY, epoch INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)`,
];

/** A member's last send and flood-brake window, as SQLite holds it (ms). */
export type SenderRow = { last_at: number; window_start: number; window_count: number };

/** Senders' rows one instance keeps in memory at most (a flood of distinct senders starts over). */
const MAX_CACHED_SENDERS = 10_000;

/** One stored message, as SQLite holds it. */
export type MessageRow = {
  seq: number;
  rev: number;
  author_id: string;
  author_name: string;
  client_id: string | null;
  body: string;
  html: string;
  /** plain text of the body with mentions by name, for quotes and notifications */
  excerpt: string;
  reply_to: number | null;
  images: string;
  created_at: number;
  edited_at: number | null;
  deleted_at: number | null;
  pinned_at: number | null;
};

/** An outbox row: a consequence for the spine (ADR 024), forwarded by the object's alarm. */
export type OutboxRow = { id: number; kind: string; payload: string; created_at: number; attempts: number };

/** The channel's own settings, kept in `meta`. */
export type ChannelMeta = { head: number; slowModeSeconds: number; channelId: string | null; communityId: string | null; archived: boolean };

/** Who reacted with what, at most this many user ids per emoji in a view. */
const REACTION_USERS_SHOWN = 50;

type MetaKey = "head" | "slow_mode_seconds" | "channel_id" | "community_id" | "archived";

/** The meta table's rows as ChannelMeta. */
function metaOf(map: Map<string, string>): ChannelMeta {
  return {
    head: Number(map.get("head") ?? 0),
    slowModeSeconds: Number(map.get("slow_mode_seconds") ?? 0),
    channelId: map.get("channel_id") ?? null,
    communityId: map.get("community_id") ?? null,
    archived: map.get("archived") === "1",
  };
}

/**
 * A typed view over the object's SQL storage. The meta rows, the revocations and the senders'
 * brake rows are cached in memory: this instance is their only writer (one object, one thread), and
 * every frame and send reads them. A transaction that throws must call `forgetCached()` (its writes
 * were rolled back).
 */
export class ChatStore {
  private meta: Map<string, string> | null = null;
  private view: ChannelMeta | null = null;
  private readonly revoked = new Map<string, number>();
  private readonly ended = new Map<string, boolean>();
  /** senders' brake rows as read or written by this instance (null: known to have none); bounded like the change windows */
  private readonly senders = new Map<string, SenderRow | null>();

  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
  }

  /** The channel's settings and head (read once per instance, then kept up to date by setMeta). */
  readMeta(): Readonly<ChannelMeta> {
    if (!this.meta) this.meta = new Map(this.sql.exec<{ key: string; value: string }>(`SELECT key, value FROM meta`).toArray().map((r) => [r.key, r.value]));
    return (this.view ??= metaOf(this.meta));
  }

  setMeta(key: MetaKey, value: string | number): void {
    this.sql.exec(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, String(value));
    this.meta?.set(key, String(value));
    this.view = null;
  }

  /** Drop what is cached (after a rolled-back transaction): the next read goes to SQLite. */
  forgetCached(): void {
    this.meta = null;
    this.view = null;
    this.revoked.clear();
    this.ended.clear();
    this.senders.clear();
  }

  bySeq(seq: number): MessageRow | null {
    return this.sql.exec<MessageRow>(`SELECT * FROM messages WHERE seq = ?`, seq).toArray()[0] ?? null;
  }

  byClientId(authorId: string, clientId: string): MessageRow | null {
    return this.sql.exec<MessageRow>(`SELECT * FROM messages WHERE author_id = ? AND client_id = ?`, authorId, clientId).toArray()[0] ?? null;
  }

  /** Messages changed after `rev`, in rev order, at most `limit`. */
  changedAfter(rev: number, limit: number): MessageRow[] {
    return this.sql.exec<MessageRow>(`SELECT * FROM messages WHERE rev > ? ORDER BY rev LIMIT ?`, rev, limit).toArray();
  }

  /** The page of history before `seq` (newest first from the store; returned oldest first). */
  before(seq: number, limit: number): MessageRow[] {
    return this.sql.exec<MessageRow>(`SELECT * FROM messages WHERE seq < ? ORDER BY seq DESC LIMIT ?`, seq, limit).toArray().reverse();
  }

  /** The page of history after `seq`, oldest first. */
  afterSeq(seq: number, limit: number): MessageRow[] {
    return this.sql.exec<MessageRow>(`SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit).toArray();
  }

  pinned(limit: number): MessageRow[] {
    return this.sql.exec<MessageRow>(`SELECT * FROM messages WHERE pinned_at IS NOT NULL AND deleted_at IS NULL ORDER BY pinned_at DESC LIMIT ?`, limit).toArray();
  }

  /** An author's messages after `seq`, oldest first (export). */
  byAuthor(authorId: string, afterSeq: number, limit: number): MessageRow[] {
    return this.sql.exec<MessageRow>(`SELECT * FROM messages WHERE author_id = ? AND seq > ? ORDER BY seq LIMIT ?`, authorId, afterSeq, limit).toArray();
  }

  countByAuthor(authorId: string): number {
    return Number(this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM messages WHERE author_id = ?`, authorId).toArray()[0]?.n ?? 0);
  }

  reactionsOf(seqs: number[]): Map<number, Array<{ emoji: string; userIds: string[] }>> {
    const out = new Map<number, Array<{ emoji: string; userIds: string[] }>>();
    if (seqs.length === 0) return out;
    const rows = this.sql
      .exec<{ seq: number; emoji: string; user_id: string }>(
        `SELECT seq, emoji, user_id FROM reactions WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq, at, emoji`,
        JSON.stringify(seqs),
      )
      .toArray();
    for (const row of rows) {
      const list = out.get(row.seq) ?? [];
      let entry = list.find((e) => e.emoji === row.emoji);
      if (!entry) list.push((entry = { emoji: row.emoji, userIds: [] }));
      entry.userIds.push(row.user_id);
      out.set(row.seq, list);
    }
    return out;
  }

  /** The next rev: the head moves by one, inside the caller's transaction. */
  nextRev(): number {
    const head = this.readMeta().head + 1;
    this.setMeta("head", head);
    return head;
  }

  insertMessage(row: MessageRow): void {
    this.sql.exec(
      `INSERT INTO messages (seq, rev, author_id, author_name, client_id, body, html, excerpt, reply_to, images, created_at, edited_at, deleted_at, pinned_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)`,
      row.seq,
      row.rev,
      row.author_id,
      row.author_name,
      row.client_id,
      row.body,
      row.html,
      row.excerpt,
      row.reply_to,
      row.images,
      row.created_at,
    );
  }

  edit(seq: number, rev: number, text: { body: string; html: string; excerpt: string }, at: number): void {
    this.sql.exec(`UPDATE messages SET body = ?, html = ?, excerpt = ?, edited_at = ?, rev = ? WHERE seq = ?`, text.body, text.html, text.excerpt, at, rev, seq);
  }

  /** New HTML and excerpt for the same body (mention names changed): a new rev, not an edit. */
  rerender(seq: number, rev: number, text: { html: string; excerpt: string }): void {
    this.sql.exec(`UPDATE messages SET html = ?, excerpt = ?, rev = ? WHERE seq = ?`, text.html, text.excerpt, rev, seq);
  }

  /** Seqs of the live messages whose text holds the mention token `token` (`<@usr_…>`). A scan: for a rename or an erasure, not a read path. */
  mentioning(token: string): number[] {
    return this.sql.exec<{ seq: number }>(`SELECT seq FROM messages WHERE deleted_at IS NULL AND instr(body, ?) > 0`, token).toArray().map((r) => r.seq);
  }

  /** `userId`'s messages here are shown as `name` from now on (tombstones of an erasure keep theirs). Returns how many changed. */
  renameAuthor(userId: string, name: string): number {
    return this.sql.exec(`UPDATE messages SET author_name = ? WHERE author_id = ? AND author_name NOT IN (?, ?)`, name, userId, name, DELETED_MEMBER_NAME).rowsWritten;
  }

  remove(seq: number, rev: number, at: number): void {
    this.sql.exec(`UPDATE messages SET body = '', html = '', excerpt = '', images = '[]', deleted_at = ?, pinned_at = NULL, rev = ? WHERE seq = ?`, at, rev, seq);
    this.sql.exec(`DELETE FROM reactions WHERE seq = ?`, seq);
  }

  setPinned(seq: number, rev: number, at: number | null): void {
    this.sql.exec(`UPDATE messages SET pinned_at = ?, rev = ? WHERE seq = ?`, at, rev, seq);
  }

  /** Adds or removes one reaction; true when it changed anything. */
  react(seq: number, emoji: string, userId: string, on: boolean, at: number): boolean {
    const cursor = on
      ? this.sql.exec(`INSERT INTO reactions (seq, emoji, user_id, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, seq, emoji, userId, at)
      : this.sql.exec(`DELETE FROM reactions WHERE seq = ? AND emoji = ? AND user_id = ?`, seq, emoji, userId);
    return cursor.rowsWritten > 0;
  }

  distinctEmoji(seq: number): string[] {
    return this.sql.exec<{ emoji: string }>(`SELECT DISTINCT emoji FROM reactions WHERE seq = ?`, seq).toArray().map((r) => r.emoji);
  }

  touchRev(seq: number, rev: number): void {
    this.sql.exec(`UPDATE messages SET rev = ? WHERE seq = ?`, rev, seq);
  }

  // ---- senders: rate limit and slow mode --------------------------------------------------

  /** The member's last send and flood-brake window (read once per instance, then kept by recordSend), or null. */
  sender(userId: string): SenderRow | null {
    let row = this.senders.get(userId);
    if (row === undefined) {
      row = this.sql.exec<SenderRow>(`SELECT last_at, window_start, window_count FROM senders WHERE user_id = ?`, userId).toArray()[0] ?? null;
      if (this.senders.size >= MAX_CACHED_SENDERS) this.senders.clear();
      this.senders.set(userId, row);
    }
    return row;
  }

  recordSend(userId: string, at: number, windowStart: number, windowCount: number): void {
    this.sql.exec(
      `INSERT INTO senders (user_id, last_at, window_start, window_count) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET last_at = excluded.last_at, window_start = excluded.window_start, window_count = excluded.window_count`,
      userId,
      at,
      windowStart,
      windowCount,
    );
    this.senders.set(userId, { last_at: at, window_start: windowStart, window_count: windowCount });
  }

  // ---- revocations ---------------------------------------------------------------------------

  /** The highest access epoch at which `userId` (or everyone: "*") lost access here. */
  revokedEpoch(userId: string): number {
    let epoch = this.revoked.get(userId);
    if (epoch === undefined) {
      const rows = this.sql.exec<{ epoch: number }>(`SELECT max(epoch) AS epoch FROM revocations WHERE user_id IN (?, '*')`, userId).toArray();
      epoch = Number(rows[0]?.epoch ?? -1);
      this.revoked.set(userId, epoch);
    }
    return epoch;
  }

  /** A session tag whose sessions ended here (endSession): its sockets and upgrades are refused. */
  sessionEnded(session: string): boolean {
    let ended = this.ended.get(session);
    if (ended === undefined) {
      ended = this.sql.exec(`SELECT 1 FROM revocations WHERE user_id = ?`, `session:${session}`).toArray().length > 0;
      this.ended.set(session, ended);
    }
    return ended;
  }

  endSession(session: string): void {
    this.sql.exec(`INSERT INTO revocations (user_id, epoch) VALUES (?, 0) ON CONFLICT (user_id) DO NOTHING`, `session:${session}`);
    this.ended.set(session, true);
  }

  revoke(userId: string, epoch: number): void {
    // a "*" row changes every member's answer: forget them all
    this.revoked.clear();
    this.sql.exec(
      `INSERT INTO revocations (user_id, epoch) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET epoch = max(epoch, excluded.epoch)`,
      userId,
      epoch,
    );
  }

  // ---- outbox -----------------------------------------------------------------------------

  enqueue(kind: string, payload: unknown, at: number): void {
    this.sql.exec(`INSERT INTO outbox (kind, payload, created_at) VALUES (?, ?, ?)`, kind, JSON.stringify(payload), at);
  }

  outbox(limit: number): OutboxRow[] {
    return this.sql.exec<OutboxRow>(`SELECT * FROM outbox ORDER BY id LIMIT ?`, limit).toArray();
  }

  forwarded(upToId: number): void {
    this.sql.exec(`DELETE FROM outbox WHERE id <= ?`, upToId);
  }

  resetForwardAttempts(): void {
    this.sql.exec(`UPDATE outbox SET attempts = 0 WHERE attempts > 0`);
  }

  failedForward(ids: number[]): void {
    this.sql.exec(`UPDATE outbox SET attempts = attempts + 1 WHERE id IN (SELECT value FROM json_each(?))`, JSON.stringify(ids));
  }

  // ---- data rights ------------------------------------------------------------------------

  /**
   * Anonymise an erased member's messages: body, images and name go, the message stays a
   * tombstone so replies and seq order hold; their reactions go. Returns how many changed.
   */
  eraseAuthor(userId: string, nextRev: () => number, at: number): number {
    const seqs = this.sql.exec<{ seq: number }>(`SELECT seq FROM messages WHERE author_id = ? AND (deleted_at IS NULL OR author_name != ?)`, userId, DELETED_MEMBER_NAME).toArray();
    for (const { seq } of seqs) {
      this.sql.exec(
        `UPDATE messages SET body = '', html = '', excerpt = '', images = '[]', client_id = NULL, author_name = ?, deleted_at = coalesce(deleted_at, ?), pinned_at = NULL, rev = ? WHERE seq = ?`,
        DELETED_MEMBER_NAME,
        at,
        nextRev(),
        seq,
      );
    }
    this.sql.exec(`DELETE FROM reactions WHERE user_id = ?`, userId);
    this.sql.exec(`DELETE FROM senders WHERE user_id = ?`, userId);
    this.senders.delete(userId);
    return seqs.length;
  }

  // ---- views ------------------------------------------------------------------------------

  /** The wire view of rows (protocol.ts MessageSchema), reactions and quoted replies read in two queries. */
  views(channelId: string, rows: MessageRow[]): ChatMessage[] {
    const reactions = this.reactionsOf(rows.map((r) => r.seq));
    const replySeqs = [...new Set(rows.map((r) => r.reply_to).filter((s): s is number => s !== null))];
    const replies = new Map<number, MessageRow>();
    if (replySeqs.length) {
      for (const r of this.sql.exec<MessageRow>(`SELECT * FROM messages WHERE seq IN (SELECT value FROM json_each(?))`, JSON.stringify(replySeqs)).toArray()) replies.set(r.seq, r);
    }
    return rows.map((row) => messageView(channelId, row, reactions.get(row.seq) ?? [], row.reply_to === null ? null : replies.get(row.reply_to) ?? null));
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** One message as the wire carries it. */
export function messageView(channelId: string, row: MessageRow, reactions: Array<{ emoji: string; userIds: string[] }>, reply: MessageRow | null): ChatMessage {
  const deleted = row.deleted_at !== null;
  return {
    id: messageIdOf(channelId, row.seq),
    seq: row.seq,
    rev: row.rev,
    body: deleted ? "" : row.body,
    html: deleted ? "" : row.html,
    author: { id: row.author_id, name: row.author_name },
    createdAt: new Date(row.created_at).toISOString(),
    editedAt: iso(row.edited_at),
    deleted,
    pinned: row.pinned_at !== null,
    replyTo: reply
      ? {
          id: messageIdOf(channelId, reply.seq),
          seq: reply.seq,
          author: { id: reply.author_id, name: reply.author_name },
          excerpt: reply.deleted_at !== null ? "" : reply.excerpt,
          deleted: reply.deleted_at !== null,
        }
      : null,
    reactions: reactions.map((r) => ({ emoji: r.emoji, count: r.userIds.length, userIds: r.userIds.slice(0, REACTION_USERS_SHOWN) })),
    images: deleted ? [] : (JSON.parse(row.images) as Array<{ id: string; url: string }>),
    clientId: row.client_id,
  };
}
