import { data } from "react-router";
import type { CloudflareContext } from "../context";
import { openCommunity, type CommunityAccess } from "../../workers/domain/access";
import { viewCommunity } from "../../workers/domain/communities/manage-community";
import type { CommunityPermission } from "../../workers/domain/permissions";
import { pageRead } from "./use-case.server";
import type { CommunityAnswer } from "./types";

/**
 * The community as the reader may see it (`access`, for the page's other use cases) and as the
 * API answers it (`answer`, with viewer.permissions). A private community is a 404 page to
 * non-members, as it is a 404 to the API.
 */
export async function openCommunityPage(cf: CloudflareContext, slug: string): Promise<{ access: CommunityAccess; answer: CommunityAnswer }> {
  const access = await pageRead(() => openCommunity(cf.env, slug, cf.reader));
  return { access, answer: await viewCommunity(cf.env, access) };
}

/** The community and the viewer's place in it, or a 404 page. */
export async function loadCommunity(cf: CloudflareContext, slug: string): Promise<CommunityAnswer> {
  return (await openCommunityPage(cf, slug)).answer;
}

/** Pages for staff: anyone without `permission` gets the same 404 a stranger would. */
export function requirePermission(answer: CommunityAnswer, permission: CommunityPermission) {
  if (!answer.viewer?.permissions.includes(permission)) throw data(null, { status: 404 });
  return answer.viewer;
}
