// The one place where membership and access change (ADR 015). Every statement that writes
// memberships, space_members, bans or communities.owner_id is built here, with the
// `access.changed` event that records it, for the caller's D1 batch; the use cases keep their
// policy checks and run the batch. tests/api/access-changes.test.ts refuses such a write anywhere
// else under workers/.
//
// A write is a chain: the deciding statement first, then — each only if the one before it changed
// a row (db/insert-select.ts) — the audit rows, the consent, and the event; statements that follow
// from the change but do not decide it come last. A change that lost its race, or found nothing to
// do, leaves no audit row, no consent and no event.
//
// After the commit, `afterAccessCommitted` wakes the spine and calls the interested parties
// directly, so that revocation is prompt; the spine's delivery is the retry.
import { and, eq, isNull, ne, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteInsertValue } from "drizzle-orm/sqlite-core";
import { getDb, schema } from "../db/client";
import { notFound } from "../lib/errors";
import { changedJustBefore, rowWhere } from "../db/insert-select";
import type { DmPolicy, Role, TierKey } from "../db/schema";
import { auditInsertIfChanged, type AuditEntry } from "./audit";
import { essentialConsentInsertIfChanged } from "./communities/consent";
import { announceEvents, eventInsert } from "./events/emit";
import type { AccessChangeReason, DomainEvent, EventPayload, EventSubject } from "./events/kinds";

type Statement = BatchItem<"sqlite">;

/**
 * What changed: whose access in which community (and space). `userId` null: more than one
 * person's, e.g. everyone's in a deleted community or a space whose tier changed.
 */
export type AccessChange = EventPayload<"access.changed">;

/** A change and the id of the event row that records it (written only if the change commits). */
export type PendingAccessChange = { eventId: string; change: AccessChange };

/**
 * Statements for one D1 batch, in this order: `first` decides (its result is the batch's first),
 * `rest` follow it. The caller may append its own statements after `rest`, never between.
 */
export type AccessWrite<First extends Statement = Statement> = {
  first: First;
  rest: Statement[];
  changes: PendingAccessChange[];
};

const m = schema.memberships;
const sm = schema.spaceMembers;
const c = schema.communities;

function subjectOf(change: AccessChange): EventSubject {
  if (change.userId) return { type: "user", id: change.userId };
  if (change.spaceId) return { type: "space", id: change.spaceId };
  return { type: "community", id: change.communityId };
}

function accessEvent(env: Env, change: AccessChange): { statement: Statement; pending: PendingAccessChange } {
  const event = eventInsert(env, { kind: "access.changed", communityId: change.communityId, subject: subjectOf(change), payload: change }, { ifChanged: true });
  return { statement: event.statement, pending: { eventId: event.id, change } };
}

type Chain = {
  /** audit rows, each written only if the deciding statement changed a row */
  audit?: AuditEntry[];
  /** other inserts guarded by changedJustBefore, written after the audit rows */
  guarded?: Statement[];
  /** statements that follow from the change, after its event */
  then?: Statement[];
};

/** `first`, then (if it changed a row) audit, guarded inserts and the event, then `then`. */
function chain<First extends Statement>(env: Env, first: First, change: AccessChange, links: Chain = {}): AccessWrite<First> {
  const event = accessEvent(env, change);
  return {
    first,
    rest: [
      ...(links.audit ?? []).map((entry) => auditInsertIfChanged(env, entry)),
      ...(links.guarded ?? []),
      event.statement,
      ...(links.then ?? []),
      epochBump(env, change.communityId),
    ],
    changes: [event.pending],
  };
}

/**
 * The community's access epoch moves on with every access write, changed or not (a write that
 * changed nothing only makes later sockets carry a higher number). Chat objects compare a socket's
 * epoch with the one a revocation names (ADR 024), so a socket authorised from a read taken before
 * the change cannot outlive it.
 */
const epochBump = (env: Env, communityId: string) =>
  getDb(env).update(c).set({ accessEpoch: sql`${c.accessEpoch} + 1` }).where(eq(c.id, communityId));

/** The community's access epoch now: what a revocation tells the objects (D1: one read). */
export async function currentAccessEpoch(env: Env, communityId: string): Promise<number> {
  const [row] = await getDb(env).select({ epoch: c.accessEpoch }).from(c).where(eq(c.id, communityId)).limit(1);
  return row?.epoch ?? 0;
}

/**
 * The community is not deleted: every write that gives or changes access checks it in its own
 * statement, so one racing the community's deletion writes nothing (a member added, a role
 * changed or a space created a moment after the delete would otherwise live on in a deleted
 * community, with its audit row and event).
 */
const communityLive = (communityId: string) => sql`exists (select 1 from communities where id = ${communityId} and deleted_at is null)`;

const change = (communityId: string, reason: AccessChangeReason, who: { userId?: string | null; spaceId?: string | null } = {}): AccessChange => ({
  communityId,
  userId: who.userId ?? null,
  spaceId: who.spaceId ?? null,
  reason,
});

/**
 * For a write that changed nothing: 404 when the reason is that the community was deleted
 * meanwhile (the guard in every access write), so the caller can go on to its own 409.
 */
export async function assertCommunityLive(env: Env, communityId: string): Promise<void> {
  const [row] = await getDb(env).select({ id: c.id }).from(c).where(and(eq(c.id, communityId), isNull(c.deletedAt))).limit(1);
  if (!row) throw notFound("No such community.");
}

// ---- listeners -------------------------------------------------------------------------------

/** Called once per committed change, right after the commit; may run again from the spine. */
export type AccessListener = (env: Env, change: PendingAccessChange) => void | Promise<void>;

const listeners = new Set<AccessListener>();
/** listeners whose retry is a spine handler of their own (billing's), not deliverAccessChange */
const directOnly = new Set<AccessListener>();

/**
 * Register a party that must hear of access changes at once (chat's revocation,
 * domain/chat/channels.ts; billing's departures, billing/settle-cancellations.ts). Register at module
 * load, so that every isolate has it: the registry lives in the isolate's memory. A listener must be
 * idempotent, and cheap when the change is not its business (it runs inside the request that made
 * the change); what it throws is logged, never passed on, since the change has committed. Its retry
 * is the spine's `access.changed` "listeners" handler (deliverAccessChange), unless `ownRetry`: then
 * a handler of its own retries it (so its failures are told apart in dead letters). Returns the
 * function that unregisters it.
 */
export function onAccessChanged(listener: AccessListener, opts: { ownRetry?: boolean } = {}): () => void {
  const set = opts.ownRetry ? directOnly : listeners;
  set.add(listener);
  return () => set.delete(listener);
}

/**
 * After the batch of one or more AccessWrites has committed: wake the spine for their events and
 * call each listener once per change that did commit — a conditional write that changed nothing
 * wrote no event row, and is skipped (one read of domain_events, only when someone listens).
 * Never throws.
 */
export async function afterAccessCommitted(env: Env, changes: PendingAccessChange[]): Promise<void> {
  if (changes.length === 0) return;
  await announceEvents(env, changes.map((p) => p.eventId));
  if (listeners.size === 0 && directOnly.size === 0) return;
  try {
    const e = schema.domainEvents;
    // one bound list, however many (an erasure writes one event per community)
    const ids = JSON.stringify(changes.map((p) => p.eventId));
    const rows = await getDb(env).select({ id: e.id }).from(e).where(sql`${e.id} in (select value from json_each(${ids}))`);
    const committed = new Set(rows.map((r) => r.id));
    for (const pending of changes.filter((p) => committed.has(p.eventId))) {
      for (const listener of [...listeners, ...directOnly]) {
        try {
          await listener(env, pending);
        } catch (error) {
          console.error(JSON.stringify({ at: "access.listener", eventId: pending.eventId, error: String(error) }));
        }
      }
    }
  } catch (error) {
    // the spine delivers the same events later
    console.error(JSON.stringify({ at: "access.after_commit", error: String(error) }));
  }
}

/**
 * The spine's handler for `access.changed`: the retry of the direct call. Calls every listener
 * with the event's change and throws if any of them failed, so the spine tries again (listeners
 * are idempotent: closing a socket that is already closed does nothing).
 */
export async function deliverAccessChange(env: Env, event: DomainEvent<"access.changed">): Promise<void> {
  const failures: string[] = [];
  for (const listener of listeners) {
    try {
      await listener(env, { eventId: event.id, change: event.payload });
    } catch (error) {
      failures.push(String(error));
    }
  }
  if (failures.length > 0) throw new Error(`access listeners failed: ${failures.join("; ")}`);
}

/** Run an AccessWrite (and the caller's statements after it) as one batch, then afterAccessCommitted. Returns the result of `first`. */
export async function commitAccessWrite<First extends Statement>(env: Env, write: AccessWrite<First>, after: Statement[] = []) {
  const [result] = await getDb(env).batch([write.first, ...write.rest, ...after]);
  await afterAccessCommitted(env, write.changes);
  return result;
}

// ---- communities -----------------------------------------------------------------------------

/** A new community and its owner's membership, consent and audit row. */
export function writeCommunityCreation(env: Env, community: typeof c.$inferInsert & { id: string; ownerId: string }, at: Date, audit: AuditEntry) {
  const db = getDb(env);
  const owner = db.insert(m).values({ communityId: community.id, userId: community.ownerId, role: "owner", joinedAt: at, source: "owner" });
  const write = chain(env, owner, change(community.id, "community_created", { userId: community.ownerId }), {
    audit: [audit],
    guarded: [essentialConsentInsertIfChanged(env, community.ownerId, community.id, at)],
  });
  // the community row goes first: the membership refers to it
  return { first: db.insert(c).values(community), rest: [write.first, ...write.rest], changes: write.changes };
}

/** Soft-delete a community (once; a second delete changes nothing): everyone's access ends. */
export function writeCommunityDeletion(env: Env, communityId: string, audit: AuditEntry) {
  const db = getDb(env);
  // the slug stays taken: old invite and calendar links must not lead to someone else's community
  const deleted = db.update(c).set({ deletedAt: new Date() }).where(and(eq(c.id, communityId), isNull(c.deletedAt)));
  return chain(env, deleted, change(communityId, "community_deleted"), { audit: [audit] });
}

/**
 * Move ownership from `from` to `to`, who must still be an active member; the old owner becomes an
 * admin. Each statement re-checks the state it depends on, so a target who left meanwhile makes
 * the whole transfer a no-op (`first` returns no row) rather than a community with zero or two
 * owners. Two people's roles change: the event names nobody.
 */
export function writeOwnershipTransfer(env: Env, communityId: string, from: string, to: string, audit: AuditEntry) {
  const db = getDb(env);
  const ownerIsTarget = sql`(select owner_id from communities where id = ${communityId}) = ${to}`;
  const moved = db
    .update(c)
    .set({ ownerId: to })
    .where(
      and(
        eq(c.id, communityId),
        isNull(c.deletedAt),
        eq(c.ownerId, from),
        sql`exists (select 1 from memberships where community_id = ${communityId} and user_id = ${to} and status = 'active')`,
      ),
    )
    .returning({ id: c.id });
  return chain(env, moved, change(communityId, "ownership_transferred"), {
    audit: [audit],
    then: [
      db.update(m).set({ role: "owner" }).where(and(eq(m.communityId, communityId), eq(m.userId, to), ownerIsTarget)),
      db.update(m).set({ role: "admin" }).where(and(eq(m.communityId, communityId), eq(m.userId, from), ownerIsTarget)),
    ],
  });
}

// ---- memberships -----------------------------------------------------------------------------

const activeWithRole = (communityId: string, userId: string, role: Role) =>
  and(eq(m.communityId, communityId), eq(m.userId, userId), eq(m.status, "active"), eq(m.role, role), communityLive(communityId));

/**
 * Change an active member's role and/or comp tier, conditional on the role that was checked (a
 * concurrent promotion is not overridden blindly); `first` returns the updated row, or none.
 */
export function writeMemberUpdate(
  env: Env,
  target: { communityId: string; userId: string; role: Role },
  set: { role?: Exclude<Role, "owner">; compTier?: TierKey | null },
  audit: AuditEntry[],
) {
  const updated = getDb(env).update(m).set(set).where(activeWithRole(target.communityId, target.userId, target.role)).returning();
  const reason = set.role !== undefined ? "role_changed" : "tier_changed";
  return chain(env, updated, change(target.communityId, reason, { userId: target.userId }), { audit });
}

/**
 * The member's paid tier as billing settled it (ADR 037), from verified Stripe webhooks and the
 * grace job only. `tier` is a key or an SQL expression evaluated inside the batch (the tier the
 * member's subscriptions grant at that moment, billing/settle.ts), so two settles racing each
 * write what the rows say when they run. Written only where it differs (and where `guard` holds:
 * the webhook's not-yet-processed check), so an unchanged tier records no event; a change records
 * `access.changed` `tier_changed`, which closes the sockets of a member who lost the tier. Any
 * membership status: someone who left keeps what they paid for until it ends. comp_tier is never
 * touched (effective tier = the higher of the two).
 */
export function writePaidTier(env: Env, target: { communityId: string; userId: string }, tier: TierKey | SQL, guard?: SQL) {
  const value = typeof tier === "string" ? sql`${tier}` : tier;
  const updated = getDb(env)
    .update(m)
    .set({ paidTier: sql`${value}` })
    .where(and(eq(m.communityId, target.communityId), eq(m.userId, target.userId), sql`${m.paidTier} <> (${value})`, guard));
  return chain(env, updated, change(target.communityId, "tier_changed", { userId: target.userId }));
}

/**
 * A member's own DM policy (ADR 033) on their active membership. Not an access change — it opens
 * or closes no space, so no event and no epoch — but it writes memberships, which only this
 * module does.
 */
export function writeDmPolicy(env: Env, target: { communityId: string; userId: string }, dmPolicy: DmPolicy) {
  return getDb(env)
    .update(m)
    .set({ dmPolicy })
    .where(and(eq(m.communityId, target.communityId), eq(m.userId, target.userId), eq(m.status, "active")));
}

/** End an active membership: a removal (conditional on the checked role) or leaving (never the owner). */
export function writeMembershipEnd(
  env: Env,
  target: { communityId: string; userId: string },
  end: { status: "removed"; role: Role } | { status: "left" },
  audit: AuditEntry,
) {
  const where =
    end.status === "removed"
      ? activeWithRole(target.communityId, target.userId, end.role)
      : and(eq(m.communityId, target.communityId), eq(m.userId, target.userId), eq(m.status, "active"), ne(m.role, "owner"), communityLive(target.communityId));
  const ended = getDb(env).update(m).set({ status: end.status }).where(where);
  return chain(env, ended, change(target.communityId, end.status === "removed" ? "member_removed" : "member_left", { userId: target.userId }), {
    audit: [audit],
    then: [listingsIn(env, target.communityId, target.userId)],
  });
}

/**
 * Someone who leaves, is removed or is banned is taken off the community's private spaces' lists:
 * coming back (or being let back) does not reopen them; an admin lists them again.
 */
const listingsIn = (env: Env, communityId: string, userId: string) =>
  getDb(env)
    .delete(sm)
    .where(and(eq(sm.userId, userId), sql`${sm.spaceId} in (select id from spaces where community_id = ${communityId})`));

/** How someone joins: where from, with which invite and comp tier. */
export type Joining = { source: string; inviteCode: string | null; compTier: TierKey | null };

/**
 * Insert or reactivate a membership as a plain member (paid_tier is left alone: billing owns it),
 * with the essential consent, the audit row and the event, all only if it happened. Never for a
 * banned person, even if the ban landed a moment ago, and never over an active membership. With
 * `inviteCode`, only while the invite is live (not revoked, expired or used up), and the use is
 * spent in the same batch: two accepts racing for the last use let one person in. `first`
 * returns the membership if this write made it active, else nothing. `guard`, when given, is one
 * more condition of the write (and so of everything chained on it).
 */
export function writeMembershipActivation(env: Env, communityId: string, userId: string, joining: Joining, audit: AuditEntry, at = new Date(), guard?: SQL) {
  const db = getDb(env);
  const i = schema.invites;
  const b = schema.bans;
  const notBanned = sql`not exists (select 1 from ${b} where ${b.communityId} = ${communityId} and ${b.userId} = ${userId})`;
  const liveInvite = (code: string) =>
    sql`exists (select 1 from ${i} where ${i.code} = ${code} and ${i.communityId} = ${communityId} and ${i.revokedAt} is null
      and (${i.expiresAt} is null or ${i.expiresAt} > ${at.getTime()}) and (${i.maxUses} is null or ${i.uses} < ${i.maxUses}))`;
  const joined = { role: "member" as const, compTier: joining.compTier, status: "active" as const, joinedAt: at, source: joining.source, inviteCode: joining.inviteCode };
  const conditions: SQL[] = [notBanned, communityLive(communityId)];
  if (joining.inviteCode) conditions.push(liveInvite(joining.inviteCode));
  // the caller's own condition (a webhook's "this event not processed yet")
  if (guard) conditions.push(guard);
  const activated = db
    .insert(m)
    .select(rowWhere(m, { communityId, userId, ...joined }, sql.join(conditions, sql` and `)))
    .onConflictDoUpdate({
      target: [m.communityId, m.userId],
      set: joined,
      setWhere: sql`${m.status} not in ('active', 'banned') and ${notBanned} and ${communityLive(communityId)}${guard ? sql` and ${guard}` : sql``}`,
    })
    .returning();
  const write = chain(env, activated, change(communityId, "member_joined", { userId }), {
    audit: [audit],
    guarded: [essentialConsentInsertIfChanged(env, userId, communityId, at)],
    then: [chatReadFromHeadOnJoining(env, communityId, userId, at)],
  });
  if (!joining.inviteCode) return write;
  // the use is spent only if the membership changed, and the audit row chains on the use
  const spend = db.update(i).set({ uses: sql`${i.uses} + 1` }).where(and(eq(i.code, joining.inviteCode), changedJustBefore));
  return { ...write, rest: [spend, ...write.rest] };
}

/**
 * A member who joins (or comes back) starts each chat space of the community read up to its
 * newest message, as Slack and Discord start a newcomer: what was said before is history to read,
 * not hundreds unread. D1's read positions (chat_reads) from the heads the objects mirrored
 * (chat_heads), only if this write activated the membership at `at`; a position is never moved
 * back. The channel object learns the position when the member first reads there.
 */
function chatReadFromHeadOnJoining(env: Env, communityId: string, userId: string, at: Date) {
  const h = schema.chatHeads;
  const r = schema.chatReads;
  const s = schema.spaces;
  const activatedNow = sql`exists (select 1 from ${m} where ${m.communityId} = ${communityId} and ${m.userId} = ${userId} and ${m.status} = 'active' and ${m.joinedAt} = ${at.getTime()})`;
  return getDb(env)
    .insert(r)
    .select(
      sql`select ${h.channelId}, ${userId}, ${h.lastSeq}, ${h.messageCount}, ${at.getTime()} from ${h}
        join ${s} on ${s.id} = ${h.channelId} and ${s.kind} = 'chat'
        where ${h.communityId} = ${communityId} and ${activatedNow}`,
    )
    .onConflictDoUpdate({
      target: [r.channelId, r.userId],
      set: { readSeq: sql`excluded.read_seq`, readCount: sql`excluded.read_count`, updatedAt: at },
      setWhere: sql`${r.readSeq} < excluded.read_seq`,
    });
}

// ---- bans ------------------------------------------------------------------------------------

/**
 * A bans row and membership status "banned". The ban is written only if the person's role is still
 * the one checked (`checkedRole`; "member" for someone who is not an active member): a promotion
 * meanwhile leaves nothing written, and `first` returns no row. A second ban of the same person
 * fails the batch (UNIQUE). The membership follows the bans row, so someone who joined meanwhile
 * is banned too.
 */
export function writeBan(env: Env, ban: { communityId: string; userId: string; reason: string; bannedBy: string; createdAt: Date }, checkedRole: Role, audit: AuditEntry) {
  const db = getDb(env);
  const b = schema.bans;
  const { communityId, userId } = ban;
  const roleAsChecked = sql`not exists (select 1 from ${m} where ${m.communityId} = ${communityId} and ${m.userId} = ${userId} and ${m.status} = 'active' and ${m.role} <> ${checkedRole})`;
  const banned = db.insert(b).select(rowWhere(b, ban, sql`${roleAsChecked} and ${communityLive(communityId)}`)).returning({ userId: b.userId });
  const isBanned = sql`exists (select 1 from ${b} where ${b.communityId} = ${communityId} and ${b.userId} = ${userId})`;
  return chain(env, banned, change(communityId, "member_banned", { userId }), {
    audit: [audit],
    then: [db.update(m).set({ status: "banned" }).where(and(eq(m.communityId, communityId), eq(m.userId, userId), isBanned)), listingsIn(env, communityId, userId)],
  });
}

/** Lift a ban: the bans row goes and the membership becomes "removed" (they may join again). */
export function writeUnban(env: Env, communityId: string, userId: string, audit: AuditEntry) {
  const db = getDb(env);
  const b = schema.bans;
  return chain(env, db.delete(b).where(and(eq(b.communityId, communityId), eq(b.userId, userId))), change(communityId, "member_unbanned", { userId }), {
    audit: [audit],
    then: [db.update(m).set({ status: "removed" }).where(and(eq(m.communityId, communityId), eq(m.userId, userId), eq(m.status, "banned")))],
  });
}

// ---- spaces ----------------------------------------------------------------------------------

/** One statement for any number of people (one bound list, under D1's 100 parameters). */
function spaceMembersInsert(env: Env, space: { id: string; communityId: string }, userIds: string[]) {
  return getDb(env)
    .insert(sm)
    .select(
      sql`select ${space.id}, value, (unixepoch('subsec') * 1000) from json_each(${JSON.stringify([...new Set(userIds)])}) where ${communityLive(space.communityId)}`,
    )
    .onConflictDoNothing();
}

const oneOrNobody = (userIds: string[]) => (new Set(userIds).size === 1 ? userIds[0] : null);

/** A new space and the people listed in it (a private space's members). */
export function writeSpaceCreation(env: Env, space: SQLiteInsertValue<typeof schema.spaces> & { id: string; communityId: string }, memberIds: string[], audit: AuditEntry) {
  const db = getDb(env);
  const inserted = db.insert(schema.spaces).select(rowWhere(schema.spaces, space, communityLive(space.communityId))).returning();
  const write = chain(env, inserted, change(space.communityId, "space_created", { spaceId: space.id }), { audit: [audit] });
  if (memberIds.length === 0) return write;
  // the new space's list is empty, so the insert adds everyone and the chain holds
  return { ...write, rest: [spaceMembersInsert(env, space, memberIds), ...write.rest] };
}

/**
 * Change a space that is not archived (`first` returns it, or nothing). Only a change of its tier
 * or its privacy changes who sees it, so only that is an access change; other edits are written
 * here too, to keep the conditional audit in one place, and carry no event.
 */
export function writeSpaceUpdate(
  env: Env,
  space: { id: string; communityId: string },
  set: Partial<Pick<typeof schema.spaces.$inferInsert, "name" | "description" | "minTier" | "private" | "position">>,
  audit: AuditEntry,
): AccessWrite<ReturnType<typeof spaceUpdate>> {
  const updated = spaceUpdate(env, space, set);
  if (set.minTier === undefined && set.private === undefined) return { first: updated, rest: [auditInsertIfChanged(env, audit)], changes: [] };
  return chain(env, updated, change(space.communityId, "space_access_changed", { spaceId: space.id }), { audit: [audit] });
}

const spaceUpdate = (env: Env, space: { id: string; communityId: string }, set: Partial<typeof schema.spaces.$inferInsert>) =>
  getDb(env)
    .update(schema.spaces)
    .set(set)
    .where(and(eq(schema.spaces.id, space.id), isNull(schema.spaces.archivedAt), communityLive(space.communityId)))
    .returning();

/** List people in a private space; those already listed are skipped, and if all were, nothing is written. */
export function writeSpaceMembersAddition(env: Env, space: { id: string; communityId: string }, userIds: string[], audit: AuditEntry) {
  return chain(env, spaceMembersInsert(env, space, userIds), change(space.communityId, "space_member_added", { spaceId: space.id, userId: oneOrNobody(userIds) }), {
    audit: [audit],
  });
}

/** Take someone off a private space's list; they stop following it too. */
export function writeSpaceMemberRemoval(env: Env, space: { id: string; communityId: string }, userId: string, audit: AuditEntry) {
  const db = getDb(env);
  const f = schema.spaceFollows;
  const removed = db.delete(sm).where(and(eq(sm.spaceId, space.id), eq(sm.userId, userId)));
  return chain(env, removed, change(space.communityId, "space_member_removed", { spaceId: space.id, userId }), {
    audit: [audit],
    // someone who cannot see the space any more should not keep hearing about it
    then: [db.delete(f).where(and(eq(f.spaceId, space.id), eq(f.userId, userId)))],
  });
}

// ---- erasure ---------------------------------------------------------------------------------

/**
 * Account erasure's share (ADR 004): every membership and space listing of the person goes, and a
 * ban stays (it is the community's record) without its reason, which may describe them. One event
 * per community whose active membership this removed (`activeIn`, read before the batch).
 */
export function writeMembershipErasure(env: Env, userId: string, activeIn: string[]): AccessWrite {
  const db = getDb(env);
  const perCommunity = activeIn.map((communityId) =>
    chain(env, db.delete(m).where(and(eq(m.userId, userId), eq(m.communityId, communityId), eq(m.status, "active"))), change(communityId, "account_erased", { userId })),
  );
  return {
    first: db.delete(m).where(and(eq(m.userId, userId), ne(m.status, "active"))),
    rest: [
      ...perCommunity.flatMap((w) => [w.first, ...w.rest]),
      // an active membership that began after `activeIn` was read still goes, without an event
      db.delete(m).where(eq(m.userId, userId)),
      db.delete(sm).where(eq(sm.userId, userId)),
      db.update(schema.bans).set({ reason: "" }).where(eq(schema.bans.userId, userId)),
    ],
    changes: perCommunity.flatMap((w) => w.changes),
  };
}
