// Read positions in a chat channel's own SQLite (ADR 033): each member's position (the seq read
// up to, and how many messages were sent up to it), and which positions the outbox forward has not
// mirrored into D1 yet. Synchronous like chat-store.ts: the object is the only writer.

const SCHEMA = [
  // dirty = 1: moved since the last forward mirrored it into D1 (chat_reads)
  `CREATE TABLE IF NOT EXISTS reads (user_id TEXT PRIMARY KEY, read_seq INTEGER NOT NULL, read_count INTEGER NOT NULL, dirty INTEGER NOT NULL DEFAULT 1)`,
  `CREATE INDEX IF NOT EXISTS reads_dirty ON reads (dirty) WHERE dirty = 1`,
];

/** A member's read position: `readSeq` the newest message read, `readCount` messages sent up to it. */
export type ReadPosition = { userId: string; readSeq: number; readCount: number };

/**
 * What a forward mirrors into D1: the channel's head (chat_heads), the positions that moved
 * (chat_reads), and the messages new in this forward with their authors (so those who blocked an
 * author do not count its messages unread: chat_hidden).
 */
export type InboxMirror = {
  head: { lastSeq: number; messageCount: number; lastMessageAt: number | null; lastExcerpt: string | null; lastAuthorId: string | null };
  reads: ReadPosition[];
  created?: Array<{ seq: number; authorId: string }>;
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

  /** Whether a forward has something to mirror beyond the outbox: positions that moved. */
  hasDirty(): boolean {
    return this.sql.exec(`SELECT 1 FROM reads WHERE dirty = 1 LIMIT 1`).toArray().length > 0;
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
    return {
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

  /** After the forward's batch committed: clean the positions it carried, unless they moved again meanwhile. */
  mirrored(reads: ReadPosition[]): void {
    for (const r of reads) this.sql.exec(`UPDATE reads SET dirty = 0 WHERE user_id = ? AND read_seq = ?`, r.userId, r.readSeq);
  }
}
