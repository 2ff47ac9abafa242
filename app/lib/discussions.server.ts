// Shared by the discussion pages: the space list, tier names, and the reaction toggle every page
// with posts or comments answers the same way.
import type { CloudflareContext } from "../context";
import { mentionIdsFor, PICKS_FIELD, readPicks } from "./mentions";
import type { SpaceEntry, Tier, TierKey } from "./types";
import type { CommunityAccess } from "../../workers/domain/access";
import { tiersSeenBy } from "../../workers/domain/communities/tiers";
import { listSpaces } from "../../workers/domain/discussions/spaces";
import { withUnread } from "../../workers/domain/chat/inbox";
import { openComment, openPost } from "../../workers/domain/discussions/access";
import { reactToComment, reactToPost, requireReactionEmoji } from "../../workers/domain/discussions/reactions";
import { attempt, inCommunity } from "./use-case.server";
import { textField } from "./forms.server";

/** The spaces the reader may know of in the community, by position (GET /communities/{slug}/spaces). */
export async function loadSpaces(cf: CloudflareContext, access: CommunityAccess): Promise<SpaceEntry[]> {
  const userId = await cf.reader.userId();
  const items = await withUnread(cf.env, userId, await listSpaces(cf.env, access, userId));
  return [...items].sort((a, b) => a.space.position - b.space.position);
}

/** The community's tiers by rank (GET /communities/{slug}/tiers). */
export async function loadTiers(cf: CloudflareContext, access: CommunityAccess): Promise<Tier[]> {
  const items = await tiersSeenBy(cf.env, access);
  return [...items].sort((a, b) => a.rank - b.rank);
}

export function tierLabel(tiers: Pick<Tier, "key" | "name">[], key: TierKey | string): string | null {
  return tiers.find((tier) => tier.key === key)?.name ?? null;
}

/**
 * Reaction toggles from any page, as PUT (add) and DELETE (take back) /{posts|comments}/{id}/reactions/{emoji}:
 * the same emoji check and write access, both idempotent. A refusal comes back as an Outcome.
 */
export function toggleReaction(cf: CloudflareContext, slug: string, form: FormData) {
  const id = textField(form, "id");
  const raw = textField(form, "emoji");
  const on = form.get("reacted") !== "1";
  return attempt(async () => {
    const emoji = requireReactionEmoji(raw);
    if (textField(form, "target") === "comment") return reactToComment(cf.env, inCommunity(await openComment(cf.env, id, cf.reader, "write"), slug), emoji, on);
    return reactToPost(cf.env, inCommunity(await openPost(cf.env, id, cf.reader, "write"), slug), emoji, on);
  });
}

/**
 * The body of a post or comment form as the API's write takes it: `body`, and `mentionIds` (the
 * members picked from the suggestions whose @Name the body still holds) when there are any.
 * `values` are the fields to give back to a form that failed, picks included.
 */
export function writtenBody(form: FormData) {
  const body = textField(form, "body");
  const mentionIds = mentionIdsFor(body, readPicks(textField(form, PICKS_FIELD)));
  return {
    api: mentionIds.length > 0 ? { body, mentionIds } : { body },
    values: { body, [PICKS_FIELD]: textField(form, PICKS_FIELD) },
  };
}
