// The fixed vocabularies the API and the web app share: tier keys, roles and their ranks, consent
// purposes, notification preference keys, reaction emoji, invite sources, the uploads URL prefix and password lengths. This module imports
// nothing, so the browser bundle can take its values without pulling in server code; the server
// modules that own each concept (db/schema.ts, account/user-view.ts, discussions/reactions.ts)
// re-export from here.

export const tierKeys = ["free", "member", "vip"] as const;
export type TierKey = (typeof tierKeys)[number];
/** free < member < vip */
export const tierRank: Record<TierKey, number> = { free: 0, member: 1, vip: 2 };

export const roles = ["owner", "admin", "moderator", "member"] as const;
export type Role = (typeof roles)[number];
/** member < moderator < admin < owner */
export const roleRank: Record<Role, number> = { member: 0, moderator: 1, admin: 2, owner: 3 };

export const consentPurposes = ["essential", "marketing_email", "analytics", "ai_personalization"] as const;
export type ConsentPurpose = (typeof consentPurposes)[number];

export const notificationPrefKeys = ["mentions", "replies", "new_posts", "events", "marketing_email", "digest", "missed_messages"] as const;
export type NotificationPrefKey = (typeof notificationPrefKeys)[number];

// Order is the display order. ❤️ carries VS16; a bare ❤ (what some keyboards send) means the same.
export const reactionEmoji = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "🔥"] as const;
export type ReactionEmoji = (typeof reactionEmoji)[number];

/**
 * Where invite links are shared, as the invite form offers them. The API accepts any lowercase
 * token as a source (workers/domain/schemas/communities.ts); these are the ones the UI names.
 */
export const inviteSources = ["instagram", "youtube", "tiktok", "line", "facebook", "x", "newsletter", "other"] as const;
export type InviteSource = (typeof inviteSources)[number];

/** The name an erased member is shown by: as the author of what they wrote, and in mentions of them. */
export const DELETED_MEMBER_NAME = "Deleted member";

/** Where our uploads are served (POST /api/v1/uploads answers `${UPLOAD_URL_PREFIX}<key>`); Markdown shows images only from here. */
export const UPLOAD_URL_PREFIX = "/api/v1/uploads/";

/** A password's length in UTF-16 units: the API refuses others (400), the forms say so before sending. */
export const PASSWORD_MIN_CHARS = 8;
export const PASSWORD_MAX_CHARS = 200;
