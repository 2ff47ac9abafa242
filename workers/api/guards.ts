// require* helpers: return what the handler needs or throw 401/403/404 (CONVENTIONS.md #5).
import type { Role } from "../db/schema";
import { hasRole, loadCommunityAccess, type CommunityAccess } from "../domain/access";
import { openComment, openPost, openSpace, type Mode } from "../domain/discussions/access";
import { forbidden, notFound } from "../lib/errors";
import { requireUser, type AppContext } from "./factory";

/** The community as the caller may see it: a private community is 404 to non-members. */
export async function requireCommunity(c: AppContext, slug: string): Promise<CommunityAccess> {
  return visibleCommunity(await loadCommunityAccess(c.env, slug, c.get("reader")));
}

/** 404 unless the community exists and, when private, the caller is an active member. */
export function visibleCommunity(access: CommunityAccess | null): CommunityAccess {
  if (!access) throw notFound("No such community.");
  if (access.community.visibility === "private" && !access.membership) throw notFound("No such community.");
  return access;
}

export type MemberAccess = CommunityAccess & { membership: NonNullable<CommunityAccess["membership"]>; role: Role };

/** An active member of the community (signed in); non-members of a public one get 403. */
export async function requireMember(c: AppContext, slug: string): Promise<MemberAccess> {
  const found = await loadCommunityAccess(c.env, slug, c.get("reader"));
  await requireUser(c); // 401 before 404; the session came in the community statement's batch
  const access = visibleCommunity(found);
  if (!access.membership || !access.role) throw forbidden("Join this community first.");
  return access as MemberAccess;
}

export function requireRole(access: MemberAccess, atLeast: Role): MemberAccess {
  if (!hasRole(access.role, atLeast)) throw forbidden(`This needs the ${atLeast} role or higher.`);
  return access;
}

/** A space the caller may read ("read") or write in as a member ("write"); 401/403/404 otherwise. */
export const requireSpace = <M extends Mode>(c: AppContext, spaceId: string, mode: M) => openSpace(c.env, spaceId, c.get("reader"), mode);
export const requirePost = <M extends Mode>(c: AppContext, postId: string, mode: M) => openPost(c.env, postId, c.get("reader"), mode);
export const requireComment = <M extends Mode>(c: AppContext, commentId: string, mode: M) =>
  openComment(c.env, commentId, c.get("reader"), mode);
