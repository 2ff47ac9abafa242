// Schemas for spaces, posts, comments and reactions. Request bodies derive from the resource
// schemas (pick/partial/extend).
import { z } from "@hono/zod-openapi";
import { spaceKinds } from "../../db/schema";
import { reactionEmoji } from "../discussions/reactions";
import { Id, IsoDate, NameField, TitleField } from "./common";
import { TierKeySchema, UserCardSchema, UserRefSchema } from "./communities";
import { ViewerPermissionsSchema } from "./permissions";

export const pathId = (name: string) => Id.openapi({ param: { name, in: "path" } });
export const SpaceIdParam = z.object({ spaceId: pathId("spaceId") });
export const SpaceUserParam = SpaceIdParam.extend({ userId: pathId("userId") });
export const PostIdParam = z.object({ postId: pathId("postId") });
export const CommentIdParam = z.object({ commentId: pathId("commentId") });
// validated in the handler so that any other emoji answers the API's 400 envelope with its list
const EmojiParam = z
  .string()
  .min(1)
  .max(32)
  .openapi({ param: { name: "emoji", in: "path" }, example: "👍", description: `URL-encoded; one of ${reactionEmoji.join(" ")}` });
export const PostEmojiParam = PostIdParam.extend({ emoji: EmojiParam });
export const CommentEmojiParam = CommentIdParam.extend({ emoji: EmojiParam });

export const SpaceSchema = z
  .object({
    id: z.string(),
    communityId: z.string(),
    kind: z.enum(spaceKinds).openapi({ description: "discussion now; chat and events spaces are stored, their features come later" }),
    name: NameField(80),
    description: z.string().trim().max(1000),
    minTier: TierKeySchema,
    private: z.boolean().openapi({ description: "only listed members (and admins) see it" }),
    position: z.number().int().min(0).max(10_000),
    archived: z.boolean(),
    createdAt: IsoDate,
    following: z.boolean(),
    newPosts: z.number().int().openapi({ description: "visible posts since the caller's last visit" }),
  })
  .openapi("Space");

const MemberIds = z.array(Id).max(200);

export const CreateSpaceBody = SpaceSchema.pick({ name: true, kind: true })
  .extend({ minTier: TierKeySchema.default("free") })
  .extend(SpaceSchema.pick({ description: true, private: true }).partial().shape)
  .extend({ memberIds: MemberIds.optional().openapi({ description: "for a private space: who is in it" }) })
  .openapi("CreateSpace");

export const UpdateSpaceBody = SpaceSchema.pick({ name: true, description: true, minTier: true, private: true, position: true })
  .partial()
  .strict()
  .openapi("UpdateSpace");

export const SpaceMembersBody = z.object({ userIds: MemberIds.min(1) }).openapi("AddSpaceMembers");
export const ReorderSpacesBody = z.object({ spaceIds: z.array(Id).min(1).max(500) }).openapi("ReorderSpaces");

export const SpaceListItemSchema = z
  .object({
    space: SpaceSchema,
    locked: z.boolean().openapi({ description: "listed, but above the caller's tier" }),
    unread: z.number().int().min(0).optional().openapi({ description: "chat spaces, signed-in callers: messages after your read position (ADR 033)" }),
  })
  .openapi("SpaceListItem");
export const SpaceMemberSchema = z.object({ user: UserCardSchema, addedAt: IsoDate }).openapi("SpaceMember");

export const ReactionSchema = z
  .object({ emoji: z.string(), count: z.number().int(), reacted: z.boolean().openapi({ description: "the caller is among them" }) })
  .openapi("Reaction");
export const ReactionsEnvelope = z.object({ reactions: z.array(ReactionSchema) });

const ModerationStatus = z.enum(["visible", "pending_review"]);

/** A member a text mentions, by id, with the name shown now ("Deleted member" once erased). */
export const MentionRefSchema = z.object({ id: z.string(), name: z.string() }).openapi("MentionRef");
const Mentions = z.array(MentionRefSchema).openapi({
  description: "the members the body's mention tokens (<@userId>) name, with their current names, in order",
});
const MentionIds = z
  .array(Id)
  .max(50)
  .optional()
  .openapi({
    description:
      "members the composer picked: their typed @Name in the body becomes their mention token. A typed @Name of " +
      "exactly one member becomes a token without a pick; a body may also hold tokens <@userId> itself.",
  });
const UnreachableMentions = z.array(z.string()).openapi({
  description: "user ids of mentioned members who cannot read where they were mentioned, and so were not notified (their names are in `mentions`)",
});

export const PostSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    spaceId: z.string(),
    communityId: z.string(),
    author: UserCardSchema,
    title: TitleField(200),
    body: z.string().openapi({
      description:
        "Markdown, at most 40,000 characters (413 too_large beyond) nested at most 32 levels deep (400 markdown_too_deep beyond)",
    }),
    excerpt: z.string().openapi({ description: "plain text, at most 200 characters" }),
    moderationStatus: ModerationStatus,
    pinned: z.boolean(),
    locked: z.boolean(),
    hidden: z.boolean().openapi({ description: "hidden by a moderator: seen only by moderators and the author" }),
    edited: z.boolean(),
    editedAt: IsoDate.nullable(),
    commentCount: z.number().int(),
    reactions: z.array(ReactionSchema),
    mentions: Mentions,
    createdAt: IsoDate,
  })
  .openapi("Post");

export const FeedPostSchema = PostSchema.omit({ body: true, mentions: true }).extend({
  isNew: z.boolean().openapi({ description: "written after the caller's previous visit" }),
}).openapi("FeedPost");

export const FeedSchema = z
  .object({
    items: z.array(FeedPostSchema),
    pinned: z
      .array(FeedPostSchema)
      .openapi({ description: "pinned posts, apart from (and never repeated in) items; on the first page, empty on later ones" }),
    nextCursor: z.string().nullable(),
    lastSeenSeq: z.number().int().nullable().openapi({ description: "the seq seen at the previous visit; null when signed out" }),
  })
  .openapi("PostFeed");

export const CreatePostBody = PostSchema.pick({ title: true, body: true }).extend({ mentionIds: MentionIds }).openapi("CreatePost");
export const UpdatePostBody = PostSchema.pick({ title: true, body: true }).partial().extend({ mentionIds: MentionIds }).strict().openapi("UpdatePost");
export const PostEnvelope = z.object({ post: PostSchema });
export const PostWriteEnvelope = z.object({ post: PostSchema, unreachableMentions: UnreachableMentions });
export const PostWithHtml = z.object({
  post: PostSchema,
  html: z.string().openapi({ description: "the body rendered and sanitised" }),
  viewer: ViewerPermissionsSchema,
});

const SwitchFlag = z.boolean().optional().openapi({ description: "true (the default) sets it, false clears it" });
export const PinBody = z.object({ pinned: SwitchFlag }).openapi("PinPost");
export const LockBody = z.object({ locked: SwitchFlag }).openapi("LockPost");
export const HideBody = z.object({ hidden: SwitchFlag }).openapi("HideContent");

export const CommentSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    postId: z.string(),
    parentId: z.string().nullable(),
    rootId: z.string().nullable(),
    depth: z.union([z.literal(0), z.literal(1)]).openapi({ description: "replies deeper than one level are flattened to 1" }),
    replyTo: z
      .object({ id: z.string(), author: UserRefSchema })
      .nullable()
      .openapi({ description: "for a flattened reply: the comment it answers" }),
    author: UserCardSchema,
    body: z
      .string()
      .trim()
      .min(1)
      .openapi({
        description:
          "Markdown, at most 10,000 characters (413 too_large beyond) nested at most 32 levels deep (400 markdown_too_deep beyond)",
      }),
    html: z.string(),
    moderationStatus: ModerationStatus,
    hidden: z.boolean(),
    deleted: z.boolean().openapi({ description: "removed but answered: kept as an empty placeholder" }),
    edited: z.boolean(),
    editedAt: IsoDate.nullable(),
    reactions: z.array(ReactionSchema),
    mentions: Mentions,
    createdAt: IsoDate,
    viewer: ViewerPermissionsSchema,
  })
  .openapi("Comment");

export const CreateCommentBody = CommentSchema.pick({ body: true }).extend({ parentId: Id.optional(), mentionIds: MentionIds }).openapi("CreateComment");
export const UpdateCommentBody = CommentSchema.pick({ body: true }).extend({ mentionIds: MentionIds }).strict().openapi("UpdateComment");
export const CommentEnvelope = z.object({ comment: CommentSchema });
export const CommentWriteEnvelope = z.object({ comment: CommentSchema, unreachableMentions: UnreachableMentions });
