// Read positions in a chat channel's own SQLite (ADR 033): each member's position (the seq read
// up to, and how many messages were sent up to it), and which positions the outbox forward has not
// mirrored into D1 yet. Synchronous like chat-store.ts: the object is the only writer.

const SCHEMA = [
  // dirty = 1: moved since the last forward mirrored it into D1 (chat_reads)
  `CREATE TABLE IF NOT EXISTS reads (user_id TEXT PRIMARY KEY, read_seq INTEGER NOT NULL, read_count INTEGER NOT NULL, dirty INTEGER NOT NULL DEFAULT 1)`,
  `CREATE INDEX IF NOT EXISTS reads_dirty ON reads (dirty) WHERE dirty = 1`,
  // deleted messages (tombstones) past a position are not unread
  `CREATE INDEX IF NOT EXISTS messages_deleted ON messages (seq) WHERE deleted_at IS NOT NULL`,
];

/** The meta key holding the newest message rev whose deletion D1 (chat_deleted) has. */
const DELETED_MIRRORED_REV = "deleted_mirrored_rev";
/** Deleted messages one forward mirrors at most (a mass erasure goes over several). */
const DELETED_BATCH = 2_000;

/** A member's read position: `readSeq` the newest message read, `readCount` messages sent up to it. */
export type ReadPosition = { userId: string; readSeq: number; readCount: number };

/**
 * What a forward mirrors into D1: the channel's head (chat_heads), the positions that moved
 * (chat_reads), the messages new in this forward with their authors (so those who blocked an
 * author do not count its messages unread: chat_hidden), and the messages deleted since the last
 * forward (`deleted`, seqs: chat_deleted, so nobody counts a tombstone unread) up to message rev
 * `deletedUpToRev`.
 */
export type InboxMirror = {
  head: { lastSeq: number; messageCount: number; lastMessageAt: number | null; lastExcerpt: string | null; lastAuthorId: string | null };
  reads: ReadPosition[];
  created?: Array<{ seq: number; authorId: string }>;
  deleted?: number[];
  deletedUpToRev?: number;
};

export class ReadPositions {
  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
  }

  /** `userId`'s position; 0/0 when they never read here. */
  of(userId: string): ReadPosition {
    const row = this.sql.exec<{ read_seq: number; read_count: number }>(`SELECT read_seq, read_count FROM reads WHERE user_id = ?`, userId).toArray()[0];
    return { userId, readSeq: row?.read_seq ?? 0, readCount: row?.read_count ?? 0 };
  }

  /** Messages ever sent here (deleted ones stay as tombstones, so the count never falls). */
  messageCount(): number {
    return Number(this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM messages`).toArray()[0]?.n ?? 0);
  }

  /**
   * Unread for a member at `position`: the messages after it less the deleted ones (a tombstone —
   * deleted, or an erased member's — is nothing to read). One count over the deleted messages' index.
   */
  unread(position: ReadPosition): number {
    const total = this.messageCount();
    const deleted = Number(this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM messages WHERE deleted_at IS NOT NULL AND seq > ?`, position.readSeq).toArray()[0]?.n ?? 0);
    return Math.max(0, total - position.readCount - deleted);
  }

  /**
   * Move `userId`'s position to the newest message at or before `seq`; never backwards. Returns
   * the position now and whether it moved. One indexed count over the messages' primary key.
   */
  advance(userId: string, seq: number): { position: ReadPosition; moved: boolean } {
    const current = this.of(userId);
    const row = this.sql
      .exec<{ last: number | null; n: number }>(`SELECT max(seq) AS last, count(*) AS n FROM messages WHERE seq <= ?`, seq)
      .toArray()[0];
    const readSeq = Number(row?.last ?? 0);
    if (readSeq <= current.readSeq) return { position: current, moved: false };
    const position = { userId, readSeq, readCount: Number(row?.n ?? 0) };
    this.sql.exec(
      `INSERT INTO reads (user_id, read_seq, read_count, dirty) VALUES (?, ?, ?, 1)
       ON CONFLICT (user_id) DO UPDATE SET read_seq = excluded.read_seq, read_count = excluded.read_count, dirty = 1`,
      userId,
      position.readSeq,
      position.readCount,
    );
    return { position, moved: true };
  }

  /** Whether a forward has something to mirror beyond the outbox: positions that moved, or deletions D1 lacks. */
  hasDirty(): boolean {
    if (this.sql.exec(`SELECT 1 FROM reads WHERE dirty = 1 LIMIT 1`).toArray().length > 0) return true;
    return this.sql.exec(`SELECT 1 FROM messages WHERE rev > ? AND deleted_at IS NOT NULL LIMIT 1`, this.deletedMirroredRev()).toArray().length > 0;
  }

  private deletedMirroredRev(): number {
    return Number(this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, DELETED_MIRRORED_REV).toArray()[0]?.value ?? 0);
  }

  /** The head and up to `limit` moved positions, as one forward mirrors them. */
  pendingMirror(limit: number): InboxMirror {
    const last = this.sql
      .exec<{ seq: number; created_at: number; excerpt: string; author_id: string; deleted_at: number | null }>(
        `SELECT seq, created_at, excerpt, author_id, deleted_at FROM messages ORDER BY seq DESC LIMIT 1`,
      )
      .toArray()[0];
    const reads = this.sql
      .exec<{ user_id: string; read_seq: number; read_count: number }>(`SELECT user_id, read_seq, read_count FROM reads WHERE dirty = 1 LIMIT ?`, limit)
      .toArray()
      .map((r) => ({ userId: r.user_id, readSeq: r.read_seq, readCount: r.read_count }));
    // deleted since the last forward (a rev moves on every change, deletion and erasure included)
    const deletedRows = this.sql
      .exec<{ seq: number; rev: number }>(`SELECT seq, rev FROM messages WHERE rev > ? AND deleted_at IS NOT NULL ORDER BY rev LIMIT ?`, this.deletedMirroredRev(), DELETED_BATCH)
      .toArray();
    const headRev = Number(this.sql.exec<{ rev: number | null }>(`SELECT max(rev) AS rev FROM messages`).toArray()[0]?.rev ?? 0);
    return {
      deleted: deletedRows.map((r) => r.seq),
      deletedUpToRev: deletedRows.length === DELETED_BATCH ? deletedRows[deletedRows.length - 1].rev : headRev,
      head: {
        lastSeq: last?.seq ?? 0,
        messageCount: this.messageCount(),
        lastMessageAt: last?.created_at ?? null,
        lastExcerpt: last ? (last.deleted_at === null ? last.excerpt : "") : null,
        lastAuthorId: last?.author_id ?? null,
      },
      reads,
    };
  }

  /** After the forward's batch committed: clean the positions it carried, unless they moved again meanwhile, and note the deletions it carried. */
  mirrored(mirror: InboxMirror): void {
    for (const r of mirror.reads) this.sql.exec(`UPDATE reads SET dirty = 0 WHERE user_id = ? AND read_seq = ?`, r.userId, r.readSeq);
    if (mirror.deletedUpToRev !== undefined && mirror.deletedUpToRev > this.deletedMirroredRev()) {
      this.sql.exec(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, DELETED_MIRRORED_REV, String(mirror.deletedUpToRev));
    }
  }
}
