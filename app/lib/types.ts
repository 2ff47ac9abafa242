// Shapes of the public API (shared/API.md) as the web app reads them: one definition for the
// server and the UI. Server modules are imported for their types only (`import type`), so no
// server code reaches the browser bundle; the vocabularies come from workers/lib/vocabulary.ts,
// which imports nothing and is safe to bundle.
import type { ConsentState } from "../../workers/domain/account/consents";
import type { loadMe } from "../../workers/domain/account/profile";
import type { InvitePreview as InvitePreviewView, InviteView } from "../../workers/domain/communities/invites";
import type { viewCommunity } from "../../workers/domain/communities/manage-community";
import type { MemberView } from "../../workers/domain/communities/members";
import type { PriceView, TierView } from "../../workers/domain/communities/tiers";
import type { CommunityView } from "../../workers/domain/communities/views";
import type { MentionSuggestion as MentionSuggestionView } from "../../workers/domain/communities/mention-suggestions";
import type { ReactionView } from "../../workers/domain/discussions/reactions";
import type { SpaceListItem } from "../../workers/domain/discussions/spaces";
import type { CommentView, PostSummary, PostView, SpaceView } from "../../workers/domain/discussions/views";
import type { NotificationView } from "../../workers/domain/notifications/list";
import type { SearchResult as SearchHit } from "../../workers/domain/search/search-posts";
import type { DeadLetterView } from "../../workers/domain/events/dead-letters";
import type { ExportView } from "../../workers/domain/data-rights/export-jobs";
import { reactionEmoji } from "../../workers/lib/vocabulary";
import type { MentionRef } from "./mentions";

export {
  consentPurposes,
  inviteSources,
  notificationPrefKeys,
  roleRank,
  roles,
  tierKeys,
  tierRank,
} from "../../workers/lib/vocabulary";
export type { ConsentPurpose, InviteSource, NotificationPrefKey, ReactionEmoji, Role, TierKey } from "../../workers/lib/vocabulary";

/** GET /me: the user and their active memberships. */
export type Me = Awaited<ReturnType<typeof loadMe>>;

export type Community = CommunityView;
/** GET /communities/{slug}: the community and the caller's place in it. */
export type CommunityAnswer = Awaited<ReturnType<typeof viewCommunity>>;
/** The caller's role, tier and what they may do there (`viewer.permissions`). */
export type Viewer = NonNullable<CommunityAnswer["viewer"]>;
export type { Permission } from "../../workers/domain/permissions";

export type Price = PriceView;
export type Tier = TierView;
export type Member = MemberView;
export type Invite = InviteView;
export type InvitePreview = InvitePreviewView;
export type Consent = ConsentState;

export type OutboxMail = { id: string; to: string; kind: string; subject: string; text: string; createdAt: string };

export type List<T> = { items: T[]; nextCursor: string | null };

// ---- Discussions (spaces, posts, comments, reactions, notifications, search) -----------------

export const reactionEmojis = reactionEmoji;

export type Reaction = ReactionView;
export type Person = { id: string; name: string; avatarUrl?: string | null };
/** GET /communities/{slug}/mention-suggestions: a member the composer may mention. */
export type MentionSuggestion = MentionSuggestionView;

export type Space = SpaceView;
export type SpaceEntry = SpaceListItem;

/** `mentions`: the members the body's tokens name, with their current names (null: erased). */
export type Post = PostView & { isNew?: boolean; mentions?: MentionRef[] };
/** A feed entry: lists carry the excerpt, not the body (nor its mentions). */
export type FeedPost = PostSummary & { isNew?: boolean };
export type PostPage = { items: FeedPost[]; pinned: FeedPost[]; nextCursor: string | null; lastSeenSeq?: number };

export type Comment = CommentView & { mentions?: MentionRef[] };
/** What a post or comment write answers beside the item: mentioned members who cannot read it (not notified). */
/** API.md: `unreachableMentions` are the user ids that cannot read where they were mentioned. */
export type WriteAnswer = { unreachableMentions?: string[] };

export type AppNotification = NotificationView;
export type NotificationPage = List<AppNotification> & { unreadCount: number };

export type { SearchHit };

// ---- The spine's dead letters (background work that kept failing) ---------------------------

export type DeadLetter = DeadLetterView;
/** GET /communities/{slug}/dead-letters and /platform/dead-letters: a page and the scope's count. */
export type DeadLetterPage = List<DeadLetter> & { total: number };

// ---- Export jobs (the member's archive, the owner's member list) -----------------------------

export type ExportJob = ExportView;
