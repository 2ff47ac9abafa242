// Consent per community and purpose. Rows are only appended; the newest row per (community,
// purpose) is the current state and the older ones are the history an operator must be able to show.
import { asc, eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { consentPurposes, type ConsentPurpose } from "../../db/schema";
import { conflict, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { activeMemberships, type CommunityRef } from "./memberships";

export type ConsentState = { community: CommunityRef; purpose: ConsentPurpose; granted: boolean; at: string | null };
export type ConsentChange = { community: string; purpose: ConsentPurpose; granted: boolean };

const keyOf = (communityId: string, purpose: string) => `${communityId}\u0000${purpose}`;

export async function listConsents(env: Env, userId: string): Promise<ConsentState[]> {
  const [memberships, rows] = await Promise.all([
    activeMemberships(env, userId),
    getDb(env).select().from(schema.consents).where(eq(schema.consents.userId, userId)).orderBy(asc(schema.consents.at)),
  ]);
  const latest = new Map<string, (typeof rows)[number]>();
  for (const row of rows) latest.set(keyOf(row.communityId, row.purpose), row);
  return memberships.flatMap((m) =>
    consentPurposes.map((purpose): ConsentState => {
      const row = latest.get(keyOf(m.community.id, purpose));
      if (row) return { community: m.community, purpose, granted: row.granted, at: row.at.toISOString() };
      // joining a community is the essential consent; everything else is opt-in
      return purpose === "essential"
        ? { community: m.community, purpose, granted: true, at: m.joinedAt.toISOString() }
        : { community: m.community, purpose, granted: false, at: null };
    }),
  );
}

export async function setConsents(env: Env, userId: string, changes: ConsentChange[]): Promise<ConsentState[]> {
  const memberships = await activeMemberships(env, userId);
  const byRef = new Map<string, CommunityRef>();
  for (const { community } of memberships) {
    byRef.set(community.id, community);
    byRef.set(community.slug, community);
  }
  const rows = new Map<string, typeof schema.consents.$inferInsert>();
  const at = new Date();
  for (const change of changes) {
    const community = byRef.get(change.community);
    if (!community) throw notFound(`You are not a member of "${change.community}".`);
    if (change.purpose === "essential" && !change.granted) {
      throw conflict("Essential processing cannot be withdrawn while you are a member: leave the community instead.");
    }
    // the same pair twice in one request: the last one is what the person meant
    rows.set(keyOf(community.id, change.purpose), {
      id: newId("cns"),
      userId,
      communityId: community.id,
      purpose: change.purpose,
      granted: change.granted,
      at,
    });
  }
  const db = getDb(env);
  // one statement per row keeps each under D1's 100 bound parameters
  const inserts = [...rows.values()].map((row) => db.insert(schema.consents).values(row));
  if (inserts.length > 0) await db.batch([inserts[0], ...inserts.slice(1)]);
  return listConsents(env, userId);
}
