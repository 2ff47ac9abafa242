import { data } from "react-router";
import type { CloudflareContext } from "../context";
import { apiFetch } from "./api.server";
import type { CommunityAnswer, Role } from "./types";
import { roleRank } from "./types";

/** The community and the viewer's place in it, or the API's 404 as a 404 page. */
export async function loadCommunity(cf: CloudflareContext, request: Request, slug: string): Promise<CommunityAnswer> {
  const result = await apiFetch<CommunityAnswer>(cf, request, `/api/v1/communities/${encodeURIComponent(slug)}`);
  if (!result.ok) throw data(null, { status: result.status === 404 || result.status === 400 ? 404 : result.status });
  return result.data;
}

/** Pages for staff: anyone below `role` gets the same 404 a stranger would. */
export function requireRole(answer: CommunityAnswer, role: Role) {
  if (!answer.viewer || roleRank[answer.viewer.role] < roleRank[role]) throw data(null, { status: 404 });
  return answer.viewer;
}
