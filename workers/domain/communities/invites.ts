// Invites: links that let someone join (a private community too) at a tier, with attribution.
// A use is spent in the batch that admits the member, only while the invite is live, so concurrent
// accepts can never exceed max_uses and a refused accept spends nothing.
import { aliasedTable, and, desc, eq, isNull } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { roleRank, tierRank, type TierKey } from "../../db/schema";
import { conflict, forbidden, notFound } from "../../lib/errors";
import { randomToken } from "../../lib/ids";
import { auditInsert } from "../audit";
import { runBatch } from "./batch";
import { activateMembership, isBanned, loadActiveMembership } from "./members";
import type { ActiveAccess, Page, PageRequest } from "./types";
import { toMembershipView, type MembershipView, type UserRef } from "./views";
import { olderThan } from "../paging";

export type InviteStatus = "valid" | "expired" | "revoked" | "used_up";

export type InviteView = {
  code: string;
  url: string;
  tier: TierKey;
  maxUses: number | null;
  uses: number;
  expiresAt: string | null;
  source: string | null;
  revoked: boolean;
  revokedAt: string | null;
  status: InviteStatus;
  createdBy: UserRef | null;
  createdAt: string;
};

type InviteRow = typeof schema.invites.$inferSelect;

export function inviteStatus(invite: Pick<InviteRow, "revokedAt" | "expiresAt" | "maxUses" | "uses">, now = new Date()): InviteStatus {
  if (invite.revokedAt) return "revoked";
  if (invite.expiresAt && invite.expiresAt.getTime() <= now.getTime()) return "expired";
  if (invite.maxUses !== null && invite.uses >= invite.maxUses) return "used_up";
  return "valid";
}

/** The origin invite links are built on: APP_ORIGIN, else the request's own (local runs). */
export const inviteOrigin = (env: Env, requestUrl: string) => env.APP_ORIGIN || new URL(requestUrl).origin;

export const inviteUrl = (origin: string, code: string) => `${origin.replace(/\/+$/, "")}/invite/${code}`;

const toInviteView = (origin: string, row: InviteRow, createdBy: UserRef | null): InviteView => ({
  code: row.code,
  url: inviteUrl(origin, row.code),
  tier: row.tier,
  maxUses: row.maxUses,
  uses: row.uses,
  expiresAt: row.expiresAt?.toISOString() ?? null,
  source: row.source,
  revoked: row.revokedAt !== null,
  revokedAt: row.revokedAt?.toISOString() ?? null,
  status: inviteStatus(row),
  createdBy,
  createdAt: row.createdAt.toISOString(),
});

export type CreateInviteInput = { tier?: TierKey; maxUses?: number; expiresAt?: Date; source?: string };

export async function createInvite(env: Env, access: ActiveAccess, input: CreateInviteInput, origin: string): Promise<InviteView> {
  const tier = input.tier ?? "free";
  // a paid-tier invite hands out what members otherwise pay for
  if (tierRank[tier] > tierRank.free && roleRank[access.role] < roleRank.admin) {
    throw forbidden("Only admins create invites above the free tier.");
  }
  const db = getDb(env);
  const actorId = access.membership.userId;
  const row: InviteRow = {
    code: randomToken(8),
    communityId: access.community.id,
    tier,
    maxUses: input.maxUses ?? null,
    uses: 0,
    expiresAt: input.expiresAt ?? null,
    source: input.source ?? null,
    createdBy: actorId,
    createdAt: new Date(),
    revokedAt: null,
  };
  await runBatch(db, [
    db.insert(schema.invites).values(row),
    auditInsert(env, {
      communityId: row.communityId,
      actorId,
      action: "invite.create",
      targetType: "invite",
      targetId: row.code,
      data: { tier, maxUses: row.maxUses, expiresAt: row.expiresAt?.toISOString() ?? null, source: row.source },
    }),
  ]);
  const [creator] = await db.select({ id: schema.users.id, name: schema.users.name }).from(schema.users).where(eq(schema.users.id, actorId));
  return toInviteView(origin, row, creator ?? null);
}

export async function listInvites(env: Env, access: ActiveAccess, page: PageRequest, origin: string): Promise<Page<InviteView>> {
  const db = getDb(env);
  const i = schema.invites;
  const creator = aliasedTable(schema.users, "invite_creator");
  const after = page.after;
  const rows = await db
    .select({ invite: i, creatorId: creator.id, creatorName: creator.name })
    .from(i)
    .leftJoin(creator, eq(creator.id, i.createdBy))
    .where(
      and(
        eq(i.communityId, access.community.id),
        olderThan(after, i.createdAt, i.code),
      ),
    )
    .orderBy(desc(i.createdAt), desc(i.code))
    .limit(page.limit + 1);
  const items = rows
    .slice(0, page.limit)
    .map((r) => toInviteView(origin, r.invite, r.creatorId ? { id: r.creatorId, name: r.creatorName ?? "" } : null));
  const last = rows.length > page.limit ? rows[page.limit - 1].invite : null;
  return { items, next: last ? [last.createdAt.getTime(), last.code] : null };
}

export async function revokeInvite(env: Env, access: ActiveAccess, code: string): Promise<void> {
  const db = getDb(env);
  const i = schema.invites;
  const [invite] = await db
    .select()
    .from(i)
    .where(and(eq(i.code, code), eq(i.communityId, access.community.id)))
    .limit(1);
  if (!invite) throw notFound("No such invite.");
  if (invite.revokedAt) return;
  await runBatch(db, [
    db.update(i).set({ revokedAt: new Date() }).where(and(eq(i.code, code), isNull(i.revokedAt))),
    auditInsert(env, {
      communityId: access.community.id,
      actorId: access.membership.userId,
      action: "invite.revoke",
      targetType: "invite",
      targetId: code,
    }),
  ]);
}

async function loadLiveInvite(env: Env, code: string) {
  const [row] = await getDb(env)
    .select({ invite: schema.invites, community: schema.communities })
    .from(schema.invites)
    .innerJoin(schema.communities, eq(schema.communities.id, schema.invites.communityId))
    .where(and(eq(schema.invites.code, code), isNull(schema.communities.deletedAt)))
    .limit(1);
  return row ?? null;
}

export type InvitePreview = {
  community: { name: string; description: string; slug: string; visibility: "private" | "public" };
  tier: TierKey;
  status: InviteStatus;
};

export async function previewInvite(env: Env, code: string): Promise<InvitePreview> {
  const found = await loadLiveInvite(env, code);
  if (!found) throw notFound("No such invite.");
  const { invite, community } = found;
  return {
    community: { name: community.name, description: community.description, slug: community.slug, visibility: community.visibility },
    tier: invite.tier,
    status: inviteStatus(invite),
  };
}

export async function acceptInvite(env: Env, userId: string, code: string): Promise<MembershipView> {
  const found = await loadLiveInvite(env, code);
  if (!found) throw notFound("No such invite.");
  const communityId = found.community.id;
  if (await isBanned(env, communityId, userId)) throw forbidden("You are banned from this community.");
  const current = await loadActiveMembership(env, communityId, userId);
  if (current) return toMembershipView(current);

  const invite = found.invite;
  const compTier = tierRank[invite.tier] > tierRank.free ? invite.tier : null;
  // the use is spent in the membership's batch, only if the invite is still live then
  const joined = await activateMembership(env, communityId, userId, {
    source: invite.source ?? "invite",
    inviteCode: invite.code,
    compTier,
    auditAction: "invite.accept",
    auditData: { code: invite.code, tier: invite.tier },
  });
  if (joined) return toMembershipView(joined);
  if (await isBanned(env, communityId, userId)) throw forbidden("You are banned from this community.");
  const latest = await loadLiveInvite(env, code);
  const status = latest ? inviteStatus(latest.invite) : "revoked";
  // the invite was valid a moment ago and still is: only a race on the last use explains it
  const reason = status === "valid" ? "used_up" : status;
  throw conflict(`This invite cannot be used: ${reason.replace("_", " ")}.`, { reason });
}
