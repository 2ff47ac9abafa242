// Every row that belongs to a person can be found from that person's id: export and erasure
// (workers/domain/account) depend on it. Times are stored as epoch milliseconds.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { foldCase } from "../lib/text";
import { consentPurposes, roles, tierKeys } from "../lib/vocabulary";

// the shared vocabularies live in lib/vocabulary.ts (the web app imports them too)
export { consentPurposes, roleRank, roles, tierKeys, tierRank } from "../lib/vocabulary";
export type { ConsentPurpose, Role, TierKey } from "../lib/vocabulary";

const createdAt = (name = "created_at") =>
  integer(name, { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`);

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  // null once the account is erased; SQLite allows many NULLs in a unique column
  email: text("email").unique(),
  passwordHash: text("password_hash"),
  name: text("name").notNull(),
  // foldCase(name), for case-insensitive matching in SQL (lower() folds ASCII only, D1 has no
  // ICU); always written with the name through userName(); null only on rows the text backfill
  // (domain/maintenance/text-backfill.ts) has not reached yet
  nameFolded: text("name_folded"),
  bio: text("bio").notNull().default(""),
  avatarUrl: text("avatar_url"),
  locale: text("locale").notNull().default("en"),
  timezone: text("timezone").notNull().default("UTC"),
  notificationPrefs: text("notification_prefs", { mode: "json" })
    .$type<Record<string, boolean>>()
    .notNull()
    .default(sql`'{}'`),
  kind: text("kind", { enum: ["person", "bot"] }).notNull().default("person"),
  emailVerifiedAt: integer("email_verified_at", { mode: "timestamp_ms" }),
  createdAt: createdAt(),
  deletedAt: integer("deleted_at", { mode: "timestamp_ms" }),
}, (t) => [index("users_name_folded_idx").on(t.nameFolded)]);

/** The name columns of a users row: every write of a name goes through this, so the folded copy cannot drift. */
export const userName = (name: string) => ({ name, nameFolded: foldCase(name) });

export const sessions = sqliteTable(
  "sessions",
  {
    // SHA-256 of the random cookie token: a stolen database holds no usable session
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    createdAt: createdAt(),
  },
  // the cron purges expired sessions through the expiry index
  (t) => [index("sessions_user_idx").on(t.userId), index("sessions_expires_idx").on(t.expiresAt)],
);

// Single-use tokens sent by mail (email verification, password reset), stored hashed.
export const emailTokens = sqliteTable(
  "email_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    purpose: text("purpose", { enum: ["verify_email", "password_reset"] }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
  },
  // the cron purges used and expired tokens through the expiry index
  (t) => [index("email_tokens_user_idx").on(t.userId), index("email_tokens_expires_idx").on(t.expiresAt)],
);

export const communities = sqliteTable(
  "communities",
  {
    id: text("id").primaryKey(),
    slug: text("slug").notNull().unique(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    defaultLocale: text("default_locale").notNull().default("en"),
    visibility: text("visibility", { enum: ["private", "public"] }).notNull(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    deletedAt: integer("deleted_at", { mode: "timestamp_ms" }),
    // Moves by one with every access change in the community (domain/access-changes.ts). A socket
    // or chat call carries the epoch its access was checked at; an object told that a member lost
    // access at epoch E refuses what was authorised before E (ADR 024).
    accessEpoch: integer("access_epoch").notNull().default(0),
  },
  (t) => [index("communities_owner_idx").on(t.ownerId)],
);

export const tiers = sqliteTable(
  "tiers",
  {
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    key: text("key", { enum: tierKeys }).notNull(),
    rank: integer("rank").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    trialDays: integer("trial_days").notNull().default(0),
    /** the Stripe Product of a paid tier, created on first publish (ADR 037) */
    stripeProductId: text("stripe_product_id"),
  },
  (t) => [primaryKey({ columns: [t.communityId, t.key] })],
);

export const prices = sqliteTable(
  "prices",
  {
    id: text("id").primaryKey(),
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    tierKey: text("tier_key", { enum: tierKeys }).notNull(),
    interval: text("interval", { enum: ["month", "year"] }).notNull(),
    // minor units of `currency` (zero-decimal currencies such as JPY are whole units)
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    stripePriceId: text("stripe_price_id"),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    /** SQLite cannot add a column with a computed default: writers set it (0 for rows older than 0010) */
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`0`),
    /** replaced by a newer price: kept for the subscriptions bought with it, never edited (ADR 037) */
    archivedAt: integer("archived_at", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("prices_active_tier_interval_idx").on(t.communityId, t.tierKey, t.interval).where(sql`active = 1`)],
);

/** Who may start a DM with a member: everyone in the community, members of a space they are in, nobody. */
export const dmPolicies = ["everyone", "shared_space", "nobody"] as const;
export type DmPolicy = (typeof dmPolicies)[number];

export const memberships = sqliteTable(
  "memberships",
  {
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    role: text("role", { enum: roles }).notNull().default("member"),
    // effective tier = the higher of paid_tier and comp_tier: a webhook never overwrites a hand
    // grant and a grant never fakes a payment
    paidTier: text("paid_tier", { enum: tierKeys }).notNull().default("free"),
    compTier: text("comp_tier", { enum: tierKeys }),
    status: text("status", { enum: ["active", "left", "removed", "banned"] })
      .notNull()
      .default("active"),
    joinedAt: integer("joined_at", { mode: "timestamp_ms" }).notNull(),
    source: text("source"),
    inviteCode: text("invite_code"),
    /** who may start a DM with this member (moderators and up always may): ADR 033 */
    dmPolicy: text("dm_policy", { enum: dmPolicies }).notNull().default("everyone"),
  },
  (t) => [
    primaryKey({ columns: [t.communityId, t.userId] }),
    index("memberships_user_idx").on(t.userId),
  ],
);

export const bans = sqliteTable(
  "bans",
  {
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    reason: text("reason").notNull().default(""),
    bannedBy: text("banned_by").references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.communityId, t.userId] }), index("bans_user_idx").on(t.userId)],
);

export const invites = sqliteTable(
  "invites",
  {
    code: text("code").primaryKey(),
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    tier: text("tier", { enum: tierKeys }).notNull().default("free"),
    maxUses: integer("max_uses"),
    uses: integer("uses").notNull().default(0),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    source: text("source"),
    createdBy: text("created_by").references(() => users.id),
    createdAt: createdAt(),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("invites_community_idx").on(t.communityId)],
);

// Append-only: each grant or withdrawal is a row, the newest per (user, community, purpose) is
// the current state, and the history shows when it changed.
export const consents = sqliteTable(
  "consents",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    purpose: text("purpose", { enum: consentPurposes }).notNull(),
    granted: integer("granted", { mode: "boolean" }).notNull(),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("consents_user_idx").on(t.userId, t.communityId, t.purpose, t.at)],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    communityId: text("community_id"),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>(),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    index("audit_community_idx").on(t.communityId, t.at),
    index("audit_actor_idx").on(t.actorId),
    index("audit_target_idx").on(t.targetId),
  ],
);

// Mail to send. A row is written in the same batch as the change that causes it; a queue
// consumer (and the cron as a safety net) sends it through the mail adapter.
export const outbox = sqliteTable(
  "outbox",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").references(() => users.id),
    toEmail: text("to_email").notNull(),
    kind: text("kind").notNull(),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    createdAt: createdAt(),
    sentAt: integer("sent_at", { mode: "timestamp_ms" }),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    // the lease of the consumer sending it: two consumers never send one mail (ADR 014)
    claimedUntil: integer("claimed_until", { mode: "timestamp_ms" }),
  },
  (t) => [index("outbox_user_idx").on(t.userId), index("outbox_unsent_idx").on(t.sentAt)],
);

export const uploads = sqliteTable(
  "uploads",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    key: text("key").notNull().unique(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    // Where the image will be shown, given at upload (API.md "uploads"): an upload tied to a space
    // or a DM conversation is served only to those who may read it; with neither (avatars,
    // community images) it is public. Gating follows these, not where the URL is pasted later.
    spaceId: text("space_id").references(() => spaces.id),
    conversationId: text("conversation_id"),
    createdAt: createdAt(),
  },
  (t) => [index("uploads_user_idx").on(t.userId)],
);

// Archives built as jobs (API.md POST /me/exports, /communities/:slug/exports; ADR 019): the
// account's own archive (`account`) or a community's member list (`members`, for its owner). The
// builder runs in resumable steps through the spine; `state` holds where it stopped (section,
// keyset cursor, the R2 multipart upload and its parts). The finished archive is the R2 object
// `object_key`, downloadable by `user_id` only until `expires_at`, then purged by the cron.
export const exportKinds = ["account", "members"] as const;
export const exportStatuses = ["pending", "running", "ready", "failed"] as const;
export const exportJobs = sqliteTable(
  "export_jobs",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    communityId: text("community_id").references(() => communities.id),
    kind: text("kind", { enum: exportKinds }).notNull(),
    format: text("format", { enum: ["json", "csv"] }).notNull().default("json"),
    status: text("status", { enum: exportStatuses }).notNull().default("pending"),
    // progress = done_items / total_items (rows counted when the job starts)
    totalItems: integer("total_items").notNull().default(0),
    doneItems: integer("done_items").notNull().default(0),
    // the step that runs next; a step writes `step + 1` conditionally, so a redelivered step is a no-op
    step: integer("step").notNull().default(0),
    state: text("state", { mode: "json" }).$type<Record<string, unknown>>(),
    objectKey: text("object_key"),
    size: integer("size"),
    error: text("error"),
    createdAt: createdAt(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("export_jobs_user_idx").on(t.userId, t.createdAt), index("export_jobs_expires_idx").on(t.expiresAt)],
);

// Fixed-window counters for limits longer than the Rate Limiting binding's 10 or 60 s (exports and
// uploads per day): one conditional upsert per attempt counts and refuses in one statement.
// `key` names the policy, the subject and the window start; rows past `window_ends_at` are purged
// by the cron.
export const rateCounters = sqliteTable(
  "rate_counters",
  {
    key: text("key").primaryKey(),
    count: integer("count").notNull(),
    windowEndsAt: integer("window_ends_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("rate_counters_window_idx").on(t.windowEndsAt)],
);

// ---- Discussion spaces -------------------------------------------------------------------------

export const spaceKinds = ["discussion", "chat", "events"] as const;

export const spaces = sqliteTable(
  "spaces",
  {
    id: text("id").primaryKey(),
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    kind: text("kind", { enum: spaceKinds }).notNull(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    minTier: text("min_tier", { enum: tierKeys }).notNull().default("free"),
    private: integer("private", { mode: "boolean" }).notNull().default(false),
    position: integer("position").notNull().default(0),
    createdBy: text("created_by").references(() => users.id),
    createdAt: createdAt(),
    archivedAt: integer("archived_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("spaces_community_idx").on(t.communityId, t.position)],
);

export const spaceMembers = sqliteTable(
  "space_members",
  {
    spaceId: text("space_id")
      .notNull()
      .references(() => spaces.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    addedAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.spaceId, t.userId] }), index("space_members_user_idx").on(t.userId)],
);

// Followers get a notification for each new post in the space.
export const spaceFollows = sqliteTable(
  "space_follows",
  {
    spaceId: text("space_id")
      .notNull()
      .references(() => spaces.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.spaceId, t.userId] }), index("space_follows_user_idx").on(t.userId)],
);

// The newest post seq a member had seen when they last opened the space: "new since your last visit".
export const spaceVisits = sqliteTable(
  "space_visits",
  {
    spaceId: text("space_id")
      .notNull()
      .references(() => spaces.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    lastSeenSeq: integer("last_seen_seq").notNull().default(0),
    visitedAt: integer("visited_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.spaceId, t.userId] }), index("space_visits_user_idx").on(t.userId)],
);

export const moderationStatuses = ["visible", "pending_review"] as const;

// seq is assigned by SQLite (AUTOINCREMENT never reuses a value), so feed cursors over seq stay
// free of gaps and duplicates while posts are being written; clocks of different isolates are not
// trusted for ordering.
export const posts = sqliteTable(
  "posts",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    spaceId: text("space_id")
      .notNull()
      .references(() => spaces.id),
    authorId: text("author_id")
      .notNull()
      .references(() => users.id),
    title: text("title").notNull(),
    body: text("body").notNull(),
    // the plain-text preview lists show, derived from body at every write: parsing Markdown on
    // every read cost ~1 ms a post (bench/RESULTS.md); null on rows written before the column
    // existed, which readers derive on the fly
    excerpt: text("excerpt"),
    moderationStatus: text("moderation_status", { enum: moderationStatuses }).notNull().default("visible"),
    commentCount: integer("comment_count").notNull().default(0),
    pinnedAt: integer("pinned_at", { mode: "timestamp_ms" }),
    lockedAt: integer("locked_at", { mode: "timestamp_ms" }),
    hiddenAt: integer("hidden_at", { mode: "timestamp_ms" }),
    hiddenBy: text("hidden_by"),
    editedAt: integer("edited_at", { mode: "timestamp_ms" }),
    deletedAt: integer("deleted_at", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
  },
  (t) => [
    index("posts_space_seq_idx").on(t.spaceId, t.seq),
    // the feed's pinned list: without it, every feed read walked the whole space (bench/RESULTS.md)
    index("posts_space_pinned_idx").on(t.spaceId, t.pinnedAt).where(sql`${t.pinnedAt} is not null`),
    index("posts_author_idx").on(t.authorId),
    index("posts_community_idx").on(t.communityId, t.seq),
  ],
);

// Threaded by parent_id; root_id is the top-level comment of the thread (null for top-level),
// so the UI shows two levels and flattens deeper replies under their root.
export const comments = sqliteTable(
  "comments",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    postId: text("post_id")
      .notNull()
      .references(() => posts.id),
    authorId: text("author_id")
      .notNull()
      .references(() => users.id),
    parentId: text("parent_id"),
    rootId: text("root_id"),
    body: text("body").notNull(),
    moderationStatus: text("moderation_status", { enum: moderationStatuses }).notNull().default("visible"),
    hiddenAt: integer("hidden_at", { mode: "timestamp_ms" }),
    hiddenBy: text("hidden_by"),
    editedAt: integer("edited_at", { mode: "timestamp_ms" }),
    deletedAt: integer("deleted_at", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
  },
  (t) => [index("comments_post_seq_idx").on(t.postId, t.seq), index("comments_author_idx").on(t.authorId)],
);

export const reactionTargets = ["post", "comment", "message"] as const;

export const reactions = sqliteTable(
  "reactions",
  {
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    targetType: text("target_type", { enum: reactionTargets }).notNull(),
    targetId: text("target_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    emoji: text("emoji").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.targetType, t.targetId, t.userId, t.emoji] }),
    index("reactions_user_idx").on(t.userId),
  ],
);

export const mentions = sqliteTable(
  "mentions",
  {
    id: text("id").primaryKey(),
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    sourceType: text("source_type", { enum: ["post", "comment", "message"] }).notNull(),
    sourceId: text("source_id").notNull(),
    mentionedUserId: text("mentioned_user_id")
      .notNull()
      .references(() => users.id),
    authorId: text("author_id")
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("mentions_source_user_idx").on(t.sourceType, t.sourceId, t.mentionedUserId),
    index("mentions_user_idx").on(t.mentionedUserId),
    index("mentions_author_idx").on(t.authorId),
  ],
);

// new_message: one per chat space for members at level "all", kept up to date (ADR 025)
export const notificationKinds = ["mention", "reply", "new_post", "new_message", "direct_message"] as const;

// Text is rendered at read time from kind + subject, in the reader's language, and the subject is
// re-checked against the reader's current access so nothing leaks from a place they lost.
export const notifications = sqliteTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    kind: text("kind", { enum: notificationKinds }).notNull(),
    actorId: text("actor_id").references(() => users.id),
    // "space": a chat space's new messages as one notice (kind new_message)
    subjectType: text("subject_type", { enum: ["post", "comment", "message", "space", "conversation"] }).notNull(),
    subjectId: text("subject_id").notNull(),
    // dedupe key: one notification per (user, kind, subject)
    createdAt: createdAt(),
    readAt: integer("read_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    uniqueIndex("notifications_dedupe_idx").on(t.userId, t.kind, t.subjectType, t.subjectId),
    index("notifications_user_idx").on(t.userId, t.createdAt),
    index("notifications_actor_idx").on(t.actorId),
  ],
);

// Resumable maintenance walks over existing rows (domain/maintenance/text-backfill.ts): where each
// stopped, and when it finished. A cron tick does a bounded step and saves the cursor here.
export const backfills = sqliteTable("backfills", {
  name: text("name").primaryKey(),
  cursor: text("cursor", { mode: "json" }).$type<unknown>(),
  doneAt: integer("done_at", { mode: "timestamp_ms" }),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

// A client's Idempotency-Key for a create (API.md "Conventions", ADR 012): the first request with
// a key claims the row (the primary key makes two racing claims one winner), and its success is
// stored so a retry within 24 h answers the same status and body instead of creating again.
// `status` is null while the first request is still running. Purged by the cron after 24 h.
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    key: text("key").notNull(),
    // SHA-256 (hex) of method, path and body: the same key with another request is refused
    fingerprint: text("fingerprint").notNull(),
    // random at the first claim, kept when an abandoned claim is taken over, new when an expired key
    // is reused: the created row's id derives from it, so a takeover finds the row a dead request
    // wrote instead of writing a second one (ADR 012)
    claimId: text("claim_id").notNull(),
    status: integer("status"),
    response: text("response"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index("idempotency_keys_created_idx").on(t.createdAt)],
);

// The spine (ADR 014): every change that has consequences writes one row here in the same D1
// batch as the change; the events queue's consumer (domain/events/process.ts) runs the kind's
// handlers, each idempotent. `payload` holds ids only — never personal text — so erasure has
// nothing to chase here. `handled` lists the handlers that finished, so a retry runs only the rest.
// A row is `pending` until every handler has run (`done`), or `dead` after MAX_EVENT_ATTEMPTS;
// `claimed_until` is the lease of the consumer running it, so the queue and the sweep never run
// one event at once. Done rows are purged after the retention period; dead ones stay until an
// operator retries or discards them.
export const eventStatuses = ["pending", "done", "dead"] as const;
export const domainEvents = sqliteTable(
  "domain_events",
  {
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    // whose admins see it when it fails; null for platform-wide events (mail, accounts)
    communityId: text("community_id"),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: eventStatuses }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    handled: text("handled", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    lastError: text("last_error"),
    claimedUntil: integer("claimed_until", { mode: "timestamp_ms" }),
    nextAttemptAt: integer("next_attempt_at", { mode: "timestamp_ms" }).notNull(),
    createdAt: createdAt(),
    processedAt: integer("processed_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    index("domain_events_due_idx").on(t.status, t.nextAttemptAt),
    index("domain_events_community_idx").on(t.communityId, t.status),
    index("domain_events_processed_idx").on(t.processedAt),
    index("domain_events_subject_idx").on(t.subjectType, t.subjectId),
  ],
);

// Chat (ADR 024). Messages live in each channel's Durable Object; D1 keeps what the spine needs to
// reach them: which channels hold a member's messages (export, erasure), written by the objects'
// outbox, and each member's notification level per channel.
export const chatAuthors = sqliteTable(
  "chat_authors",
  {
    channelId: text("channel_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    firstAt: createdAt("first_at"),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.userId] }), index("chat_authors_user_idx").on(t.userId)],
);

export const chatNotifyLevels = ["all", "mentions", "none"] as const;
export type ChatNotifyLevel = (typeof chatNotifyLevels)[number];

export const chatSettings = sqliteTable(
  "chat_settings",
  {
    spaceId: text("space_id")
      .notNull()
      .references(() => spaces.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    notify: text("notify", { enum: chatNotifyLevels }).notNull(),
    updatedAt: createdAt("updated_at"),
  },
  (t) => [primaryKey({ columns: [t.spaceId, t.userId] }), index("chat_settings_user_idx").on(t.userId)],
);

// ---- DMs, read positions, blocks (ADR 033) ---------------------------------------------------------

export const conversationKinds = ["direct", "group"] as const;

/**
 * A DM conversation: 1:1 ("direct") or a group of up to 20. Its messages live in a ChatChannel
 * object named by the id (`dm_…`); this row is who is in it and what it is called.
 * `member_key` is the sorted ids of its active members joined by "," (unique per community, so
 * the same set reaches the same conversation, also under concurrent creates); null once a group's
 * set changed to one another conversation already has.
 */
export const conversations = sqliteTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    kind: text("kind", { enum: conversationKinds }).notNull(),
    memberKey: text("member_key"),
    name: text("name"),
    createdBy: text("created_by")
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("conversations_member_key_idx").on(t.communityId, t.memberKey)],
);

/** Who is in a conversation: `left_at` set once a member left a group (a 1:1 is never left). */
export const conversationMembers = sqliteTable(
  "conversation_members",
  {
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    joinedAt: createdAt("joined_at"),
    leftAt: integer("left_at", { mode: "timestamp_ms" }),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.userId] }), index("conversation_members_user_idx").on(t.userId)],
);

/**
 * A chat channel's head (a chat space or a conversation), mirrored from its object by the outbox
 * forward — coalesced, one upsert per forward: the newest message's seq, how many messages were
 * ever sent, and what the inbox shows of the last one. Unread for a member = message_count −
 * chat_reads.read_count.
 */
export const chatHeads = sqliteTable("chat_heads", {
  channelId: text("channel_id").primaryKey(),
  communityId: text("community_id")
    .notNull()
    .references(() => communities.id),
  lastSeq: integer("last_seq").notNull().default(0),
  messageCount: integer("message_count").notNull().default(0),
  lastMessageAt: integer("last_message_at", { mode: "timestamp_ms" }),
  lastExcerpt: text("last_excerpt"),
  lastAuthorId: text("last_author_id"),
  updatedAt: createdAt("updated_at"),
});

/**
 * A member's read position in a chat channel, mirrored from the object (which holds the live
 * one): the seq read up to and how many messages were sent up to it. Sending a message moves it.
 */
export const chatReads = sqliteTable(
  "chat_reads",
  {
    channelId: text("channel_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    readSeq: integer("read_seq").notNull().default(0),
    readCount: integer("read_count").notNull().default(0),
    updatedAt: createdAt("updated_at"),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.userId] }), index("chat_reads_user_idx").on(t.userId)],
);

/**
 * A deleted chat message (deleted by its author or a moderator, or an erased member's tombstone),
 * mirrored from the channel object by the outbox forward so unread counts leave it out: unread =
 * message_count − read_count − chat_hidden past read_seq − these rows past read_seq. A seq only,
 * no personal data; one row per message, whoever deleted it.
 */
export const chatDeleted = sqliteTable(
  "chat_deleted",
  {
    channelId: text("channel_id").notNull(),
    seq: integer("seq").notNull(),
    communityId: text("community_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.seq] })],
);

/**
 * A message a member does not see because they blocked its author (ADR 033 addendum, migration
 * 0011): written by the forward that mirrors the message, one row per blocker, so unread counts
 * leave it out (unread = message_count − read_count − these rows past read_seq). Rows at or below
 * the member's read position go when it moves; an unblock removes the pair's rows.
 */
export const chatHidden = sqliteTable(
  "chat_hidden",
  {
    channelId: text("channel_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    seq: integer("seq").notNull(),
    communityId: text("community_id").notNull(),
    authorId: text("author_id")
      .notNull()
      .references(() => users.id),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.userId, t.seq] }), index("chat_hidden_pair_idx").on(t.userId, t.authorId)],
);

/**
 * A message that may be missed (ADR 033, migration 0009): a mention in a channel, or a DM message,
 * for one recipient. The forward that mirrors the message writes the row (a retry writes nothing
 * twice); the member's `chat.missed` job for its 15-minute slot emails what is still unread at
 * `due_at` and marks the rows `settled_at` in the same batch as the mail, so nothing is sent twice.
 */
export const chatMissed = sqliteTable(
  "chat_missed",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    channelId: text("channel_id").notNull(),
    seq: integer("seq").notNull(),
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    /** a mention in a chat space, or a DM message */
    reason: text("reason", { enum: ["mention", "dm"] }).notNull(),
    dueAt: integer("due_at", { mode: "timestamp_ms" }).notNull(),
    /** emailed, or found read (or no longer allowed) when its job ran */
    settledAt: integer("settled_at", { mode: "timestamp_ms" }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.channelId, t.seq] }), index("chat_missed_due_idx").on(t.userId, t.settledAt, t.dueAt)],
);

/** A member blocked another in a community: no new DMs between them; the blocker sees none of the blocked member's messages. */
export const blocks = sqliteTable(
  "blocks",
  {
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    blockerId: text("blocker_id")
      .notNull()
      .references(() => users.id),
    blockedId: text("blocked_id")
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.communityId, t.blockerId, t.blockedId] }), index("blocks_blocked_idx").on(t.communityId, t.blockedId)],
);

// ---- billing (ADR 037) -----------------------------------------------------------------------

export const refundPolicies = ["revoke", "keep"] as const;

/** A community's billing settings; absent until the owner first saves them (defaults apply). */
export const billingSettings = sqliteTable("billing_settings", {
  communityId: text("community_id")
    .primaryKey()
    .references(() => communities.id),
  /** lowercase ISO 4217; amounts are in its minor units as Stripe counts them (billing/currency.ts) */
  currency: text("currency").notNull().default("usd"),
  allowPromotionCodes: integer("allow_promotion_codes", { mode: "boolean" }).notNull().default(false),
  /** days a past_due subscription keeps its tier before it falls to free */
  graceDays: integer("grace_days").notNull().default(7),
  refundPolicy: text("refund_policy", { enum: refundPolicies }).notNull().default("revoke"),
  pricingPublished: integer("pricing_published", { mode: "boolean" }).notNull().default(false),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

/**
 * One Stripe Customer per (user, community) in this deployment (ADR 041): Stripe refuses a second
 * currency on one Customer, and a portal session shows every subscription of its Customer.
 */
export const billingCustomers = sqliteTable(
  "billing_customers",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    /**
     * the community it pays in; null only for a Customer made before ADR 041 that had no
     * subscription anywhere (never used for checkout again, kept so export and erasure find it)
     */
    communityId: text("community_id").references(() => communities.id),
    /** not unique: a Customer made before ADR 041 stays with every community it already had subscriptions in */
    stripeCustomerId: text("stripe_customer_id").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("billing_customers_member_idx").on(t.userId, t.communityId), index("billing_customers_stripe_idx").on(t.stripeCustomerId)],
);

/** Stripe's subscription statuses in the pinned API version. */
export const subscriptionStatuses = ["incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid", "paused"] as const;
/**
 * The statuses in which a subscription still holds, or can be brought back to, its tier: it
 * renews (Stripe accepts cancel_at_period_end for it, and leaving sets that), and a second
 * checkout would double-bill. `incomplete` is not among them: a checkout abandoned at
 * authentication grants nothing and expires on its own, so the member may try again.
 */
export const liveSubscriptionStatuses = ["active", "trialing", "past_due", "unpaid", "paused"] as const;

/** A subscription as Stripe last told us (settled from a retrieve, ADR 037); revenue reads only these rows. */
export const subscriptions = sqliteTable(
  "subscriptions",
  {
    /** Stripe's sub_… id */
    id: text("id").primaryKey(),
    communityId: text("community_id")
      .notNull()
      .references(() => communities.id),
    /** null once the member's account is erased (the row stays for revenue history) */
    userId: text("user_id").references(() => users.id),
    tierKey: text("tier_key", { enum: tierKeys }).notNull(),
    /** the prices row it was bought with (null if Stripe names a price this deployment never made) */
    priceId: text("price_id"),
    stripePriceId: text("stripe_price_id").notNull(),
    stripeCustomerId: text("stripe_customer_id"),
    interval: text("interval", { enum: ["month", "year"] }).notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: subscriptionStatuses }).notNull(),
    /** minor units per month after discounts; 0 unless active or past_due */
    mrr: integer("mrr").notNull().default(0),
    currentPeriodEnd: integer("current_period_end", { mode: "timestamp_ms" }),
    cancelAtPeriodEnd: integer("cancel_at_period_end", { mode: "boolean" }).notNull().default(false),
    trialEnd: integer("trial_end", { mode: "timestamp_ms" }),
    pastDueSince: integer("past_due_since", { mode: "timestamp_ms" }),
    canceledAt: integer("canceled_at", { mode: "timestamp_ms" }),
    endedAt: integer("ended_at", { mode: "timestamp_ms" }),
    checkoutSessionId: text("checkout_session_id"),
    /** Stripe's creation time */
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    index("subscriptions_member_idx").on(t.communityId, t.userId),
    index("subscriptions_status_idx").on(t.communityId, t.status),
    index("subscriptions_checkout_idx").on(t.checkoutSessionId),
  ],
);

/** One row per Stripe event processed, written in the batch of its effect: a replay is a no-op. */
export const stripeEvents = sqliteTable("stripe_events", {
  /** Stripe's evt_… id */
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
});

/** A Charge carries no invoice: invoice.paid remembers which subscription a payment intent paid. */
export const stripePaymentIntents = sqliteTable("stripe_payment_intents", {
  paymentIntentId: text("payment_intent_id").primaryKey(),
  subscriptionId: text("subscription_id").notNull(),
  createdAt: createdAt(),
});
