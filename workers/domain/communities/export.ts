// The owner's export of their members: who they are, how they came, and what each agreed to.
// Erased people (users.deleted_at set) are left out entirely.
import { and, eq, isNull } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { consentPurposes, type ConsentPurpose, type Role, type TierKey } from "../../db/schema";
import { csvLine, toCsv } from "../../lib/csv";
import { effectiveTier } from "../access";
import type { UserRow } from "../account/user-view";
import { allItems, type ByteBudget, type Encoder } from "../data-rights/archive";
import { afterRowid, rowid, toPage } from "../data-rights/pages";
import type { ExportSection } from "../data-rights/types";

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

const m = schema.memberships;
const u = schema.users;

type MemberRow = { rowid: number; membership: typeof m.$inferSelect; user: MemberExportRow["user"] };

/** The latest consent per person and purpose among `userIds` (consents are append-only). */
async function latestConsents(env: Env, communityId: string, userIds: string[]) {
  // rowid breaks ties between rows written in the same millisecond; the ids go in as one JSON
  // parameter (D1 binds at most 100 parameters)
  const rows = await env.DB.prepare(
    `select user_id, purpose, granted, at from (
       select user_id, purpose, granted, at,
              row_number() over (partition by user_id, purpose order by at desc, rowid desc) as n
       from consents where community_id = ?1 and user_id in (select value from json_each(?2))
     ) where n = 1`,
  )
    .bind(communityId, JSON.stringify(userIds))
    .all<{ user_id: string; purpose: ConsentPurpose; granted: number; at: number }>();
  const latest = new Map<string, Partial<Record<ConsentPurpose, ConsentState>>>();
  for (const row of rows.results) {
    const forUser = latest.get(row.user_id) ?? {};
    forUser[row.purpose] = { granted: row.granted === 1, at: new Date(row.at).toISOString() };
    latest.set(row.user_id, forUser);
  }
  return latest;
}

/**
 * The community's active members as an archive section (ADR 019), read in keyset pages of
 * memberships (two queries a page: members, then their consents), for the one-response export
 * and the export job alike.
 */
export function memberSection(communityId: string): ExportSection {
  const whose = eq(m.communityId, communityId);
  const active = and(whose, eq(m.status, "active"));
  return {
    name: "members",
    shape: "list",
    count: ({ env }) => getDb(env).$count(m, active),
    page: async ({ env }, after, limit) => {
      const rows: MemberRow[] = await getDb(env)
        .select({ rowid: rowid(m), membership: m, user: { id: u.id, name: u.name, email: u.email } })
        .from(m)
        .innerJoin(u, eq(u.id, m.userId))
        .where(and(active, isNull(u.deletedAt), afterRowid(m, after)))
        .orderBy(rowid(m))
        .limit(limit);
      const latest = rows.length > 0 ? await latestConsents(env, communityId, rows.map((r) => r.user.id)) : new Map();
      return toPage(rows, limit, ({ membership, user }): MemberExportRow => {
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
    },
  };
}

/** Every active member of the community, for the one-response GET export; ArchiveTooLarge past `budget`. */
export async function exportMembers(env: Env, communityId: string, requester: UserRow, budget?: ByteBudget): Promise<MemberExportRow[]> {
  const section = memberSection(communityId);
  if (section.shape !== "list") throw new Error("members is a list section");
  return (await allItems(section, { env, user: requester }, budget)) as MemberExportRow[];
}

const csvHeader = [
  "user_id", "name", "email", "role", "tier", "paid_tier", "comp_tier", "joined_at", "source", "invite_code",
  ...consentPurposes.flatMap((p) => [p, `${p}_at`]),
];

const csvRow = (r: MemberExportRow) => [
  r.user.id, r.user.name, r.user.email, r.role, r.tier, r.paidTier, r.compTier, r.joinedAt, r.source, r.inviteCode,
  ...consentPurposes.flatMap((p) => {
    const c = r.consents[p];
    return [c ? (c.granted ? "granted" : "withdrawn") : "", c?.at ?? ""];
  }),
];

/** The member list as CSV (RFC 4180, CRLF, formula-safe cells: lib/csv.ts). */
export function membersCsv(rows: MemberExportRow[]): string {
  return toCsv(csvHeader, rows.map(csvRow));
}

/** The member list's encoders for export jobs: `{items: [...]}` as JSON, or the CSV above. */
export const memberEncoders: Record<"json" | "csv", Encoder> = {
  json: { head: '{"items":', open: () => "[", item: (value, first) => (first ? "" : ",") + JSON.stringify(value), close: () => "]", tail: "}" },
  csv: {
    head: csvLine(csvHeader),
    open: () => "",
    item: (value) => csvLine(csvRow(value as MemberExportRow)),
    close: () => "",
    tail: "",
  },
};
