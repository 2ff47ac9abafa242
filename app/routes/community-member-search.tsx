// Members whose name matches what was typed in a member picker (the "New message" dialog, adding
// people to a private space, choosing a new owner): the same use case GET
// /api/v1/communities/{slug}/members?q= runs, with the reader's own session, so only members get
// anyone. A picker lists the first page it was rendered with and asks here once a filter is typed,
// so a community of thousands is searchable, not only its first hundred members.
import type { Route } from "./+types/community-member-search";
import { cloudflareContext } from "../context";
import { attempt } from "../lib/use-case.server";
import { openMembership } from "../../workers/domain/access";
import { listMembers } from "../../workers/domain/communities/members";
import type { PickablePerson } from "../components/member-picker";

/** People one answer holds at most: a picker shows a scrolled list, and typing more narrows it. */
const SEARCH_LIMIT = 50;

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const q = (new URL(request.url).searchParams.get("q") ?? "").slice(0, 100);
  if (!cf.user) return { q, people: [] as PickablePerson[] };
  const result = await attempt(async () => listMembers(cf.env, await openMembership(cf.env, params.slug, cf.reader), { limit: SEARCH_LIMIT }, { q }));
  // a refused search (not a member, a community that went away) offers nobody; the filter stays as typed
  return { q, people: result.ok ? result.data.items.map((m): PickablePerson => ({ id: m.user.id, name: m.user.name, role: m.role })) : [] };
}
