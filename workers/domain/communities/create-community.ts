// Creating a community writes everything it needs to work — tiers, prices, the owner's
// membership, consent and the audit row — in one batch, so a half-made community never exists.
import { eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { isUniqueViolation } from "../../db/unique-violation";
import type { TierKey } from "../../db/schema";
import { conflict, forbidden } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { commitAccessWrite, writeCommunityCreation } from "../access-changes";
import type { CommunityLocale } from "./locales";
import { toCommunityView, type CommunityView } from "./views";


export type CreateCommunityInput = {
  slug: string;
  name: string;
  description?: string;
  defaultLocale?: CommunityLocale;
  visibility: "private" | "public";
};

export type Actor = { id: string; email: string };

const defaultTierText: Record<CommunityLocale, Record<TierKey, { name: string; description: string }>> = {
  en: {
    free: { name: "Free", description: "Everyone who joins." },
    member: { name: "Member", description: "Supporters, with the member spaces and events." },
    vip: { name: "VIP", description: "The inner circle, with every space and event." },
  },
  "zh-Hant": {
    free: { name: "免費", description: "所有加入的成員。" },
    member: { name: "會員", description: "支持者，可進入會員專屬空間與活動。" },
    vip: { name: "VIP", description: "核心圈，可進入所有空間與活動。" },
  },
};

// minor units (USD cents); the owner edits them before turning on checkout
const defaultPrices: Array<{ tier: TierKey; interval: "month" | "year"; amount: number }> = [
  { tier: "member", interval: "month", amount: 500 },
  { tier: "member", interval: "year", amount: 5000 },
  { tier: "vip", interval: "month", amount: 1500 },
  { tier: "vip", interval: "year", amount: 15000 },
];

export function isOperator(env: Pick<Env, "OPERATOR_EMAILS">, email: string): boolean {
  const wanted = email.trim().toLowerCase();
  return (env.OPERATOR_EMAILS ?? "")
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .some((e) => e !== "" && e === wanted);
}

export function mayCreateCommunity(env: Pick<Env, "COMMUNITY_CREATION" | "OPERATOR_EMAILS">, actor: Actor): boolean {
  if (env.COMMUNITY_CREATION === "operators") return isOperator(env, actor.email);
  return true;
}

export async function createCommunity(env: Env, actor: Actor, input: CreateCommunityInput): Promise<CommunityView> {
  if (!mayCreateCommunity(env, actor)) throw forbidden("Only platform operators may create communities here.");

  const db = getDb(env);
  const [taken] = await db
    .select({ id: schema.communities.id })
    .from(schema.communities)
    .where(eq(schema.communities.slug, input.slug))
    .limit(1);
  if (taken) throw conflict("This slug is taken.");

  const now = new Date();
  const locale = input.defaultLocale ?? "en";
  const community = {
    id: newId("com"),
    slug: input.slug,
    name: input.name,
    description: input.description ?? "",
    defaultLocale: locale,
    visibility: input.visibility,
    ownerId: actor.id,
    createdAt: now,
    deletedAt: null,
    accessEpoch: 0,
  };
  const text = defaultTierText[locale];

  const audit = {
    communityId: community.id,
    actorId: actor.id,
    action: "community.create",
    targetType: "community",
    targetId: community.id,
    data: { slug: community.slug, visibility: community.visibility },
  };
  try {
    await commitAccessWrite(env, writeCommunityCreation(env, community, now, audit), [
      db.insert(schema.tiers).values(
        (["free", "member", "vip"] as const).map((key, rank) => ({
          communityId: community.id,
          key,
          rank,
          name: text[key].name,
          description: text[key].description,
        })),
      ),
      db.insert(schema.prices).values(
        defaultPrices.map((p) => ({
          id: newId("prc"),
          communityId: community.id,
          tierKey: p.tier,
          interval: p.interval,
          amount: p.amount,
          currency: "USD",
        })),
      ),
    ]);
  } catch (err) {
    // two creators racing for one slug: the loser's whole batch rolls back
    if (isUniqueViolation(err, "communities.slug")) throw conflict("This slug is taken.");
    throw err;
  }
  return toCommunityView(community, 1);
}
