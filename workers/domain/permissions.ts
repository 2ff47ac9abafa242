// What the caller may do, as API.md's `viewer.permissions`: action names computed here, once, from
// the same role, tier and authorship rules the use cases enforce (access.ts, discussions/access.ts,
// members.ts, invites.ts, posts.ts, comments.ts), so clients never re-derive them. The names are a
// closed vocabulary; the OpenAPI document lists them as an enum (domain/schemas/permissions.ts).
import { hasRole, type CommunityAccess } from "./access";
import type { Role } from "../lib/vocabulary";
import { roleRank } from "../lib/vocabulary";

/** Actions on a community, by the caller's role there (member < moderator < admin < owner). */
export const communityActions = [
  "community.search",
  "content.moderate",
  "community.update",
  "community.delete",
  "community.transfer",
  "tiers.update",
  "space.create",
  "spaces.reorder",
  "members.manage",
  "members.roles",
  "members.roles.admin",
  "invite.create",
  "invite.create.paid",
  "export.members",
  "audit.view",
  "background-work.view",
] as const;
/** Actions on one member of the community (the members list). */
export const memberActions = ["member.remove", "member.ban", "member.role"] as const;
/** Actions on a space. */
export const spaceActions = ["space.update", "space.follow", "post.create"] as const;
/** Actions on a post. */
export const postActions = ["post.edit", "post.delete", "post.pin", "post.lock", "post.hide", "post.react", "comment.create"] as const;
/** Actions on a comment. */
export const commentActions = ["comment.edit", "comment.delete", "comment.hide", "comment.react"] as const;

export const permissionNames = [...communityActions, ...memberActions, ...spaceActions, ...postActions, ...commentActions] as const;
export type Permission = (typeof permissionNames)[number];
export type CommunityPermission = (typeof communityActions)[number];

/** The least role each community action needs (api/*.ts guards and the member use cases). */
const communityRule: Record<CommunityPermission, Role> = {
  "community.search": "member",
  // see hidden and pending posts and comments, and hide, pin or lock them (discussions/access.ts canModerate)
  "content.moderate": "moderator",
  "community.update": "admin",
  "community.delete": "owner",
  "community.transfer": "owner",
  "tiers.update": "owner",
  "space.create": "admin",
  "spaces.reorder": "admin",
  // remove and ban people below one's own role (members.ts, bans.ts)
  "members.manage": "moderator",
  // change roles and comp tiers (PATCH members: admin); only the owner makes or unmakes admins
  "members.roles": "admin",
  "members.roles.admin": "owner",
  "invite.create": "moderator",
  // a paid-tier invite hands out what members otherwise pay for (invites.ts)
  "invite.create.paid": "admin",
  "export.members": "owner",
  "audit.view": "admin",
  "background-work.view": "admin",
};

/** The reader facts these rules read: a CommunityAccess or a SpaceAccess is one. */
type Who = Pick<CommunityAccess, "role"> & { userId?: string | null };

const allowed = <A extends string>(rules: [A, boolean][]): A[] => rules.filter(([, ok]) => ok).map(([name]) => name);

/** Community actions for the caller's role, in vocabulary order; [] for a non-member. */
export function communityPermissions(access: Pick<CommunityAccess, "role">): CommunityPermission[] {
  return communityActions.filter((name) => hasRole(access.role, communityRule[name]));
}

/**
 * What the caller may do to one member: remove or ban people strictly below their own role (never
 * the owner, never themselves), and change their role or comp tier when also an admin.
 */
export function memberPermissions(access: Pick<CommunityAccess, "role">, callerId: string, target: { userId: string; role: Role }) {
  const below = access.role !== null && target.userId !== callerId && target.role !== "owner" && roleRank[target.role] < roleRank[access.role];
  return allowed<(typeof memberActions)[number]>([
    ["member.remove", below && hasRole(access.role, "moderator")],
    ["member.ban", below && hasRole(access.role, "moderator")],
    ["member.role", below && hasRole(access.role, "admin")],
  ]);
}

/** Space actions: members follow and write in discussion spaces they may read; admins change the space. */
export function spacePermissions(access: Who, space: { kind: string }) {
  const member = access.role !== null;
  return allowed<(typeof spaceActions)[number]>([
    ["space.update", hasRole(access.role, "admin")],
    ["space.follow", member],
    ["post.create", member && space.kind === "discussion"],
  ]);
}

/** Post actions: its author edits; the author or a moderator deletes; moderators pin, lock, hide; members react and comment while it is unlocked. */
export function postPermissions(access: Who, post: { authorId: string; locked: boolean }) {
  const member = access.role !== null;
  const author = member && access.userId != null && post.authorId === access.userId;
  const moderator = hasRole(access.role, "moderator");
  return allowed<(typeof postActions)[number]>([
    ["post.edit", author],
    ["post.delete", author || moderator],
    ["post.pin", moderator],
    ["post.lock", moderator],
    ["post.hide", moderator],
    ["post.react", member],
    ["comment.create", member && !post.locked],
  ]);
}

/** Comment actions: its author edits; the author or a moderator deletes; moderators hide; members react. A deleted placeholder takes none. */
export function commentPermissions(access: Who, comment: { authorId: string; deleted: boolean }) {
  if (comment.deleted) return [];
  const member = access.role !== null;
  const author = member && access.userId != null && comment.authorId === access.userId;
  const moderator = hasRole(access.role, "moderator");
  return allowed<(typeof commentActions)[number]>([
    ["comment.edit", author],
    ["comment.delete", author || moderator],
    ["comment.hide", moderator],
    ["comment.react", member],
  ]);
}

export type CommentPermission = (typeof commentActions)[number];
export type MemberPermission = (typeof memberActions)[number];
