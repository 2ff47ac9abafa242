// Shared by the discussion pages: the space list, tier names, and the reaction toggle every page
// with posts or comments answers the same way.
import type { CloudflareContext } from "../context";
import { apiFetch } from "./api.server";
import { mentionIdsFor, PICKS_FIELD, readPicks } from "./mentions";
import type { List, SpaceEntry, Tier, TierKey } from "./types";

const communityPath = (slug: string) => `/api/v1/communities/${encodeURIComponent(slug)}`;

export async function loadSpaces(cf: CloudflareContext, request: Request, slug: string): Promise<SpaceEntry[] | null> {
  const result = await apiFetch<List<SpaceEntry> | SpaceEntry[]>(cf, request, `${communityPath(slug)}/spaces?limit=100`);
  if (!result.ok) return null;
  const items = Array.isArray(result.data) ? result.data : result.data.items;
  return [...items].sort((a, b) => a.space.position - b.space.position);
}

export async function loadTiers(cf: CloudflareContext, request: Request, slug: string): Promise<Tier[]> {
  const result = await apiFetch<List<Tier> | Tier[]>(cf, request, `${communityPath(slug)}/tiers`);
  if (!result.ok) return [];
  const items = Array.isArray(result.data) ? result.data : result.data.items;
  return [...items].sort((a, b) => a.rank - b.rank);
}

export function tierLabel(tiers: Pick<Tier, "key" | "name">[], key: TierKey | string): string | null {
  return tiers.find((tier) => tier.key === key)?.name ?? null;
}

/** Reaction toggles from any page: PUT to add, DELETE to take back (both idempotent). */
export async function toggleReaction(cf: CloudflareContext, request: Request, form: FormData) {
  const target = form.get("target") === "comment" ? "comments" : "posts";
  const id = String(form.get("id") ?? "");
  const emoji = String(form.get("emoji") ?? "");
  const remove = form.get("reacted") === "1";
  return apiFetch(cf, request, `/api/v1/${target}/${encodeURIComponent(id)}/reactions/${encodeURIComponent(emoji)}`, {
    method: remove ? "DELETE" : "PUT",
  });
}

/**
 * The body of a post or comment form as the API's write takes it: `body`, and `mentionIds` (the
 * members picked from the suggestions whose @Name the body still holds) when there are any.
 * `values` are the fields to give back to a form that failed, picks included.
 */
export function writtenBody(form: FormData) {
  const body = String(form.get("body") ?? "");
  const mentionIds = mentionIdsFor(body, readPicks(form.get(PICKS_FIELD)));
  return {
    api: mentionIds.length > 0 ? { body, mentionIds } : { body },
    values: { body, [PICKS_FIELD]: String(form.get(PICKS_FIELD) ?? "") },
  };
}
