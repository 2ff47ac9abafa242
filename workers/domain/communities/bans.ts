// Bans: a bans row plus membership status "banned" (access is checked on status alone, so the
// ban takes effect on the banned person's next request). Lifting a ban leaves them outside;
// they may join or accept an invite again later.
import { and, desc, eq, isNull, or, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { isUniqueViolation } from "../../db/unique-violation";
import { roleRank } from "../../db/schema";
import { conflict, forbidden, notFound } from "../../lib/errors";
import { assertCommunityLive, commitAccessWrite, writeBan, writeUnban } from "../access-changes";
import { isBanned } from "./members";
import type { ActiveAccess, Page, PageRequest } from "./types";
import type { UserCard, UserRef } from "./views";
import { olderThan } from "../paging";

export type BanView = { user: UserCard; reason: string; bannedBy: UserRef | null; createdAt: string };

const m = schema.memberships;

export async function banMember(env: Env, access: ActiveAccess, targetUserId: string, reason: string): Promise<BanView> {
  const db = getDb(env);
  const communityId = access.community.id;
  const actorId = access.membership.userId;
  if (targetUserId === actorId) throw forbidden("You cannot ban yourself.");

  const [user] = await db
    .select({ id: schema.users.id, name: schema.users.name, avatarUrl: schema.users.avatarUrl })
    .from(schema.users)
    .where(and(eq(schema.users.id, targetUserId), isNull(schema.users.deletedAt)))
    .limit(1);
  if (!user) throw notFound("No such user.");
  const [membership] = await db
    .select()
    .from(m)
    .where(and(eq(m.communityId, communityId), eq(m.userId, targetUserId)))
    .limit(1);
  // a former member's old role no longer protects them
  const targetRole = membership?.status === "active" ? membership.role : "member";
  if (roleRank[access.role] <= roleRank[targetRole]) {
    throw forbidden(targetRole === "owner" ? "Nobody bans the owner." : "You can only ban people below your role.");
  }
  if (await isBanned(env, communityId, targetUserId)) throw conflict("This person is already banned.", { reason: "already_banned" });

  const createdAt = new Date();
  // the role they held, or none for someone who was not an active member
  const heldRole = membership?.status === "active" ? membership.role : null;
  const audit = { communityId, actorId, action: "member.ban", targetType: "user", targetId: targetUserId, data: { reason, role: heldRole } };
  const write = writeBan(env, { communityId, userId: targetUserId, reason, bannedBy: actorId, createdAt }, targetRole, audit);
  const banned = await commitAccessWrite(env, write).catch((err: unknown) => {
    if (isUniqueViolation(err, "bans.user_id")) {
      throw conflict("This person is already banned.", { reason: "already_banned" });
    }
    throw err;
  });
  if (banned.length === 0) {
    await assertCommunityLive(env, communityId);
    throw conflict("Their role changed meanwhile; try again.", { reason: "changed_meanwhile" });
  }
  return {
    user,
    reason,
    bannedBy: { id: actorId, name: await actorName(env, actorId) },
    createdAt: createdAt.toISOString(),
  };
}

async function actorName(env: Env, userId: string): Promise<string> {
  const [row] = await getDb(env).select({ name: schema.users.name }).from(schema.users).where(eq(schema.users.id, userId)).limit(1);
  return row?.name ?? "";
}

export async function unbanMember(env: Env, access: ActiveAccess, targetUserId: string): Promise<void> {
  const communityId = access.community.id;
  if (!(await isBanned(env, communityId, targetUserId))) throw notFound("This person is not banned.");
  const audit = { communityId, actorId: access.membership.userId, action: "member.unban", targetType: "user", targetId: targetUserId };
  await commitAccessWrite(env, writeUnban(env, communityId, targetUserId, audit));
}

export async function listBans(env: Env, access: ActiveAccess, page: PageRequest): Promise<Page<BanView>> {
  const db = getDb(env);
  const b = schema.bans;
  const banned = schema.users;
  const after = page.after;
  const rows = await db
    .select({
      userId: b.userId,
      reason: b.reason,
      createdAt: b.createdAt,
      name: banned.name,
      avatarUrl: banned.avatarUrl,
      byId: b.bannedBy,
      // a second join on users trips drizzle's join typing; a scalar subquery reads the same
      byName: sql<string | null>`(select name from users where users.id = ${b.bannedBy})`,
    })
    .from(b)
    .innerJoin(banned, eq(banned.id, b.userId))
    .where(
      and(
        eq(b.communityId, access.community.id),
        olderThan(after, b.createdAt, b.userId),
      ),
    )
    .orderBy(desc(b.createdAt), desc(b.userId))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit).map(
    (r): BanView => ({
      user: { id: r.userId, name: r.name, avatarUrl: r.avatarUrl },
      reason: r.reason,
      bannedBy: r.byId ? { id: r.byId, name: r.byName ?? "" } : null,
      createdAt: r.createdAt.toISOString(),
    }),
  );
  const last = rows.length > page.limit ? rows[page.limit - 1] : null;
  return { items, next: last ? [last.createdAt.getTime(), last.userId] : null };
}
