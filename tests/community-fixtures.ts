// Fixtures for the community feature tests: a community made through the API, and members
// placed straight into D1 so each test starts from the roles it needs.
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { expect } from "vitest";
import { getDb, schema } from "../workers/db/client";
import type { Role, TierKey } from "../workers/db/schema";
import { call, createUser, unique, type TestUser } from "./helpers";

export type TestCommunity = { id: string; slug: string; owner: TestUser };

export async function makeCommunity(opts: { visibility?: "private" | "public"; owner?: TestUser } = {}): Promise<TestCommunity> {
  const owner = opts.owner ?? (await createUser());
  const slug = unique("club-");
  const res = await call("/api/v1/communities", {
    as: owner,
    body: { slug, name: `Club ${slug}`, visibility: opts.visibility ?? "private" },
  });
  expect(res.status).toBe(201);
  return { id: res.body.community.id, slug, owner };
}

export async function addMember(
  community: TestCommunity,
  opts: { role?: Role; paidTier?: TierKey; user?: TestUser; status?: "active" | "left" | "removed" | "banned" } = {},
): Promise<TestUser> {
  const user = opts.user ?? (await createUser());
  await getDb(env)
    .insert(schema.memberships)
    .values({
      communityId: community.id,
      userId: user.id,
      role: opts.role ?? "member",
      paidTier: opts.paidTier ?? "free",
      status: opts.status ?? "active",
      joinedAt: new Date(),
      source: "direct",
    });
  return user;
}

export async function membershipRow(communityId: string, userId: string) {
  const [row] = await getDb(env)
    .select()
    .from(schema.memberships)
    .where(and(eq(schema.memberships.communityId, communityId), eq(schema.memberships.userId, userId)));
  return row;
}

export async function auditActions(communityId: string): Promise<string[]> {
  const rows = await getDb(env).select().from(schema.auditLog).where(eq(schema.auditLog.communityId, communityId));
  return rows.map((r) => r.action);
}

export function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
}

export const db = () => getDb(env);
export { env };
