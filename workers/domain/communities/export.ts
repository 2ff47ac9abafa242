// The owner's export of their members: who they are, how they came, and what each agreed to.
// Erased people (users.deleted_at set) are left out entirely.
import { and, asc, eq, isNull } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { consentPurposes, type ConsentPurpose, type Role, type TierKey } from "../../db/schema";
import { toCsv } from "../../lib/csv";
import { effectiveTier } from "../access";

export type ConsentState = { granted: boolean; at: string } | null;

export type MemberExportRow = {
  user: { id: string; name: string; email: string | null };
  role: Role;
  tier: TierKey;
  paidTier: TierKey;
  compTier: TierKey | null;
  joinedAt: string;
  source: string | null;
  inviteCode: string | null;
  consents: Record<ConsentPurpose, ConsentState>;
};

export async function exportMembers(env: Env, communityId: string): Promise<MemberExportRow[]> {
  const db = getDb(env);
  const m = schema.memberships;
  const u = schema.users;
  const [members, consentRows] = await Promise.all([
    db
      .select({ membership: m, user: { id: u.id, name: u.name, email: u.email } })
      .from(m)
      .innerJoin(u, eq(u.id, m.userId))
      .where(and(eq(m.communityId, communityId), eq(m.status, "active"), isNull(u.deletedAt)))
      .orderBy(asc(m.joinedAt), asc(m.userId)),
    // consents are append-only: the newest row per person and purpose is the current state
    // (rowid breaks ties between rows written in the same millisecond)
    env.DB.prepare(
      `select user_id, purpose, granted, at from (
         select user_id, purpose, granted, at,
                row_number() over (partition by user_id, purpose order by at desc, rowid desc) as n
         from consents where community_id = ?1
       ) where n = 1`,
    )
      .bind(communityId)
      .all<{ user_id: string; purpose: ConsentPurpose; granted: number; at: number }>(),
  ]);
  const latest = new Map<string, Partial<Record<ConsentPurpose, ConsentState>>>();
  for (const row of consentRows.results) {
    const forUser = latest.get(row.user_id) ?? {};
    forUser[row.purpose] = { granted: row.granted === 1, at: new Date(row.at).toISOString() };
    latest.set(row.user_id, forUser);
  }
  return members.map(({ membership, user }) => {
    const given = latest.get(user.id) ?? {};
    return {
      user,
      role: membership.role,
      tier: effectiveTier(membership),
      paidTier: membership.paidTier,
      compTier: membership.compTier,
      joinedAt: membership.joinedAt.toISOString(),
      source: membership.source,
      inviteCode: membership.inviteCode,
      consents: Object.fromEntries(consentPurposes.map((p) => [p, given[p] ?? null])) as Record<ConsentPurpose, ConsentState>,
    };
  });
}

export function membersCsv(rows: MemberExportRow[]): string {
  const header = [
    "user_id", "name", "email", "role", "tier", "paid_tier", "comp_tier", "joined_at", "source", "invite_code",
    ...consentPurposes.flatMap((p) => [p, `${p}_at`]),
  ];
  return toCsv(
    header,
    rows.map((r) => [
      r.user.id, r.user.name, r.user.email, r.role, r.tier, r.paidTier, r.compTier, r.joinedAt, r.source, r.inviteCode,
      ...consentPurposes.flatMap((p) => {
        const c = r.consents[p];
        return [c ? (c.granted ? "granted" : "withdrawn") : "", c?.at ?? ""];
      }),
    ]),
  );
}
