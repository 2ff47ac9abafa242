// Who is asking, resolved as late as possible (ADR 010). A request's session costs a D1 round
// trip; a route that starts with an access check folds the session lookup into the same D1 batch
// as that check instead of paying for it first. Until the session is known its user id exists
// only as SQL (`readerIdSql("session")`, a subquery on the hashed token), which the access
// statements use in place of a bound id; the batch's first statement loads the session row and
// settles the user for everything later in the request.
import { and, eq, isNull, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { runBound, template, type Bound, type BoundResults } from "../../db/templates";
import { sha256Hex } from "../../lib/crypto";

/** The signed-in user a session names (users row; `emailVerifiedAt` null until verified). */
export type SessionUser = {
  id: string;
  email: string;
  name: string;
  locale: string;
  timezone: string;
  emailVerifiedAt: Date | null;
};

export type SessionFound = { sessionId: string; user: SessionUser };

/** Longer cookies are not ours: no lookup. */
const MAX_TOKEN_CHARS = 128;

const s = schema.sessions;
const u = schema.users;

/** The user columns a session answers with (SessionUser). */
const userColumns = {
  id: u.id,
  email: u.email,
  name: u.name,
  locale: u.locale,
  timezone: u.timezone,
  emailVerifiedAt: u.emailVerifiedAt,
};

function sessionQuery(env: Env, tokenHash: string | SQLWrapper, now: number | SQLWrapper) {
  return getDb(env)
    .select({
      // renamed: a D1 batch keys rows by column name, and users.id would overwrite it
      sessionId: sql<string>`${s.id}`.as("session_id"),
      ...userColumns,
    })
    .from(s)
    .innerJoin(u, eq(u.id, s.userId))
    .where(and(eq(s.id, tokenHash), sql`${s.expiresAt} > ${now}`, isNull(u.deletedAt)))
    .limit(1);
}

/**
 * How a statement names its reader: "session", a subquery on the hashed token (the session is
 * not read yet), or "known", a bound user id. Templates (db/templates.ts) are built per shape.
 */
export type ReaderShape = "session" | "known";

/** The reader's user id in a template of `shape`; `Reader.placeholders()` gives its values. */
export function readerIdSql(shape: ReaderShape): SQL {
  if (shape === "known") return sql`${sql.placeholder("reader_id")}`;
  return sql`coalesce((select ${s.userId} from ${s} inner join ${u} on ${u.id} = ${s.userId} where ${s.id} = ${sql.placeholder("reader_token")} and ${s.expiresAt} > ${sql.placeholder("reader_now")} and ${u.deletedAt} is null and ${u.email} is not null), '')`;
}

const sessionTemplate = template((env: Env, _shape: "session") =>
  sessionQuery(env, sql.placeholder("reader_token"), sql.placeholder("reader_now")),
  { constants: [1] }, // limit 1
);

type SessionRow = Awaited<ReturnType<typeof sessionQuery>>[number];

/** A reader made from a known id (Reader.of) has no session: its user comes by id. */
function userQuery(env: Env, userId: string) {
  return getDb(env)
    .select({ sessionId: sql<string>`''`.as("session_id"), ...userColumns })
    .from(u)
    .where(and(eq(u.id, userId), isNull(u.deletedAt)))
    .limit(1);
}

function toFound(rows: SessionRow[]): SessionFound | null {
  const [row] = rows;
  if (!row || !row.email) return null;
  const { sessionId, ...user } = row;
  return { sessionId, user: { ...user, email: row.email } };
}

/**
 * The caller of one request: a session token (hashed) that may or may not name a live session,
 * or a user id already known (tests, queue consumers, a session resolved earlier).
 */
export class Reader {
  #found: Promise<SessionFound | null> | null = null;
  #known: { userId: string | null } | null;
  /** One clock per request: the session row and the subqueries judge expiry at the same instant. */
  readonly #now = Date.now();

  private constructor(
    private readonly env: Env,
    private readonly tokenHash: string | null,
    known: { userId: string | null } | null,
  ) {
    this.#known = known;
  }

  /** The reader behind a session cookie (or no cookie). Looks nothing up yet. */
  static async fromToken(env: Env, token: string | undefined): Promise<Reader> {
    if (!token || token.length > MAX_TOKEN_CHARS) return new Reader(env, null, { userId: null });
    return new Reader(env, await sha256Hex(token), null);
  }

  /** A reader whose user id is already known (null: signed out), e.g. in a queue consumer. */
  static of(env: Env, userId: string | null): Reader {
    return new Reader(env, null, { userId });
  }

  /**
   * Names this reader for in-isolate hints (never for access): the hashed session token, or
   * "anon" without one.
   */
  get cacheKey(): string {
    if (this.tokenHash) return this.tokenHash;
    const id = this.#known?.userId;
    return id ? `user:${id}` : "anon";
  }

  /** Which form of readerIdSql this reader's statements take now. */
  get shape(): ReaderShape {
    return this.#known || !this.tokenHash ? "known" : "session";
  }

  /** The values of readerIdSql(this.shape)'s placeholders. */
  placeholders(): Record<string, unknown> {
    if (this.shape === "known") return { reader_id: this.#known?.userId ?? "" };
    return { reader_token: this.tokenHash, reader_now: this.#now };
  }

  /**
   * Runs template statements (db/templates.ts), built with readerIdSql(this.shape) and bound with
   * this.placeholders(), as one D1 batch (one round trip) with the session lookup in front when
   * the session is not resolved yet; returns their results with the resolved user id.
   */
  async runBound<T extends readonly Bound<unknown>[]>(items: T): Promise<{ userId: string | null; results: BoundResults<T> }> {
    if (this.#known || this.#found || !this.tokenHash) {
      // a session lookup already under way runs beside the batch, not before it
      const [userId, results] = await Promise.all([this.userId(), runBound(this.env, items)]);
      return { userId, results };
    }
    const [sessionRows, ...results] = await runBound(this.env, [
      sessionTemplate(this.env, "session", { reader_token: this.tokenHash, reader_now: this.#now }),
      ...items,
    ]);
    const found = toFound(sessionRows as SessionRow[]);
    this.#found = Promise.resolve(found);
    this.#known = { userId: found?.user.id ?? null };
    return { userId: this.#known.userId, results: results as unknown as BoundResults<T> };
  }

  /** The session and its user, loading them if no batch has. */
  session(): Promise<SessionFound | null> {
    if (!this.#found) {
      const knownId = this.#known?.userId;
      this.#found = this.tokenHash
        ? sessionQuery(this.env, this.tokenHash, this.#now).then(toFound)
        : knownId
          ? userQuery(this.env, knownId).then(toFound)
          : Promise.resolve(null);
      this.#found.then((found) => (this.#known = { userId: found?.user.id ?? null })).catch(() => {});
    }
    return this.#found;
  }

  async user(): Promise<SessionUser | null> {
    if (this.#known && this.#known.userId === null) return null;
    return (await this.session())?.user ?? null;
  }

  async userId(): Promise<string | null> {
    if (this.#known) return this.#known.userId;
    return (await this.session())?.user.id ?? null;
  }
}
