// require* helpers: return what the handler needs or throw 401/403/404 (CONVENTIONS.md #5). The
// rules live in the domain (access.ts, discussions/access.ts) so pages call the same ones; these
// only take the reader from the Hono context.
import {
  assertMemberRole,
  openCommunity,
  openMembership,
  visibleCommunity,
  type CommunityAccess,
  type MemberAccess,
} from "../domain/access";
import { openComment, openPost, openSpace, type Mode } from "../domain/discussions/access";
import type { AppContext } from "./factory";

export { visibleCommunity, type MemberAccess };

/** The community as the caller may see it: a private community is 404 to non-members. */
export const requireCommunity = (c: AppContext, slug: string): Promise<CommunityAccess> => openCommunity(c.env, slug, c.get("reader"));

/** An active member of the community (signed in); non-members of a public one get 403. */
export const requireMember = (c: AppContext, slug: string): Promise<MemberAccess> => openMembership(c.env, slug, c.get("reader"));

export const requireRole = assertMemberRole;

/** A space the caller may read ("read") or write in as a member ("write"); 401/403/404 otherwise. */
export const requireSpace = <M extends Mode>(c: AppContext, spaceId: string, mode: M) => openSpace(c.env, spaceId, c.get("reader"), mode);
export const requirePost = <M extends Mode>(c: AppContext, postId: string, mode: M) => openPost(c.env, postId, c.get("reader"), mode);
export const requireComment = <M extends Mode>(c: AppContext, commentId: string, mode: M) =>
  openComment(c.env, commentId, c.get("reader"), mode);
