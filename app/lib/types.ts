import type { CommentView, PostView, SpaceView } from "../../workers/domain/discussions/views";
import type { SearchHit } from "../../workers/domain/search/query";
// Shapes of the public API (shared/API.md) as the web app reads them.
export type TierKey = "free" | "member" | "vip";
export type Role = "owner" | "admin" | "moderator" | "member";

export type Me = {
  user: {
    id: string;
    email: string;
    name: string;
    bio?: string;
    avatarUrl?: string | null;
    locale?: string;
    timezone?: string;
    notificationPrefs?: Record<string, boolean>;
    emailVerifiedAt?: string | null;
  };
  memberships: Array<{ community: { id: string; slug: string; name: string }; role: Role; tier: TierKey }>;
};

export type Community = {
  id: string;
  slug: string;
  name: string;
  description: string;
  defaultLocale: string;
  visibility: "private" | "public";
  ownerId: string;
  memberCount?: number;
};

export type CommunityAnswer = { community: Community; viewer: { role: Role; tier: TierKey } | null };

export type Price = { interval: "month" | "year"; amount: number; currency: string };
export type Tier = { key: TierKey; rank: number; name: string; description: string; prices: Price[]; trialDays: number };

export type Member = {
  user: { id: string; name: string; avatarUrl: string | null };
  role: Role;
  tier: TierKey;
  joinedAt: string;
  source?: string | null;
  compTier?: TierKey | null;
};

export type Invite = {
  code: string;
  url?: string;
  tier: TierKey;
  maxUses: number | null;
  uses: number;
  expiresAt: string | null;
  source: string | null;
  revokedAt?: string | null;
  status?: "valid" | "expired" | "revoked" | "used_up";
  createdAt?: string;
};

export type InvitePreview = {
  community: { name: string; description: string; slug?: string };
  tier: TierKey;
  status?: "valid" | "expired" | "revoked" | "used_up" | string;
};

export type Consent = { community: { id: string; slug: string; name: string }; purpose: string; granted: boolean; at: string | null };

export type OutboxMail = { id: string; to: string; kind: string; subject: string; text: string; createdAt: string };

export type List<T> = { items: T[]; nextCursor: string | null };

export const tierKeys: TierKey[] = ["free", "member", "vip"];
export const roles: Role[] = ["owner", "admin", "moderator", "member"];
export const roleRank: Record<Role, number> = { member: 0, moderator: 1, admin: 2, owner: 3 };
export const notificationPrefKeys = ["mentions", "replies", "new_posts", "events", "marketing_email", "digest"] as const;
export const consentPurposes = ["essential", "marketing_email", "analytics", "ai_personalization"] as const;
export const inviteSources = ["instagram", "youtube", "tiktok", "line", "facebook", "x", "newsletter", "other"] as const;

// ---- Discussions (spaces, posts, comments, reactions, notifications, search) -----------------

export const reactionEmojis = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "🔥"] as const;

export type Reaction = { emoji: string; count: number; reacted: boolean };
export type Person = { id: string; name: string; avatarUrl?: string | null };

// the API's own view types: one definition for the server and the UI
export type Space = SpaceView;
export type SpaceEntry = { space: Space; locked: boolean };

export type Post = PostView & { isNew?: boolean };
/** A feed entry: lists carry the excerpt, not the body. */
export type FeedPost = Omit<Post, "body">;
export type PostPage = { items: FeedPost[]; pinned: FeedPost[]; nextCursor: string | null; lastSeenSeq?: number };

export type Comment = CommentView;

export type AppNotification = {
  id: string;
  kind: "mention" | "reply" | "new_post" | string;
  text: string;
  url: string;
  readAt: string | null;
  createdAt: string;
  community?: { slug: string; name: string } | null;
  actor?: Person | null;
};
export type NotificationPage = List<AppNotification> & { unreadCount?: number };

export type { SearchHit };
