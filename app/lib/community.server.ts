import { data } from "react-router";
import type { CloudflareContext } from "../context";
import { activeMember, openCommunity, type CommunityAccess } from "../../workers/domain/access";
import { requireSignedIn } from "./forms.server";
import { viewCommunity } from "../../workers/domain/communities/manage-community";
import type { CommunityPermission } from "../../workers/domain/permissions";
import { pageRead } from "./use-case.server";
import type { CommunityAnswer } from "./types";

/**
 * The community as the reader may see it (`access`, for the page's other use cases) and as the
 * API answers it (`answer`, with viewer.permissions). A private community is a 404 page to
 * non-members, as it is a 404 to the API.
 *
 * `alongside(access)` — the page's reads that need only the access (its space list, say) — starts
 * in the same round as the community's view instead of after it (bench/pages.mjs: one D1 round
 * less on the page's slowest path); its result is `extra`, its failure the page's.
 */
export async function openCommunityPage<T = undefined>(
  cf: CloudflareContext,
  slug: string,
  alongside?: (access: CommunityAccess) => Promise<T>,
): Promise<{ access: CommunityAccess; answer: CommunityAnswer; extra: T }> {
  const access = await pageRead(() => openCommunity(cf.env, slug, cf.reader));
  const [answer, extra] = await Promise.all([viewCommunity(cf.env, access), alongside ? alongside(access) : (undefined as T)]);
  return { access, answer, extra };
}

/** The community and the viewer's place in it, or a 404 page. */
export async function loadCommunity(cf: CloudflareContext, slug: string): Promise<CommunityAnswer> {
  return (await openCommunityPage(cf, slug)).answer;
}

/**
 * Pages for staff, answered as the API answers their routes: a member without `permission` knows
 * the community and gets 403 (the page is visible, the action is not theirs); anyone who is not a
 * member gets the same 404 a stranger would.
 */
export function requirePermission(answer: CommunityAnswer, permission: CommunityPermission) {
  if (!answer.viewer) throw data(null, { status: 404 });
  if (!answer.viewer.permissions.includes(permission)) throw data(null, { status: 403 });
  return answer.viewer;
}

/**
 * A members-only page of `/c/:slug` (the member list, the DM inbox): the signed-in reader (a
 * redirect to sign in otherwise), openCommunityPage's answer, their active membership (a 404 page
 * for anyone else, as the API's member routes answer), and the URL's `?cursor=`.
 */
export async function openMemberPage(cf: CloudflareContext, request: Request, slug: string) {
  const me = requireSignedIn(cf, request);
  const { access, answer } = await openCommunityPage(cf, slug);
  const member = activeMember(access);
  if (!member) throw data(null, { status: 404 });
  return { me, access, answer, member, cursor: new URL(request.url).searchParams.get("cursor") };
}
