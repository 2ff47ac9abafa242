// Chat's request and answer shapes (API.md "Chat and DMs"); the message itself is the wire
// protocol's (durable-objects/protocol.ts), so the API, the socket and the web app share one shape.
import { z } from "@hono/zod-openapi";
import { chatNotifyLevels, conversationKinds, dmPolicies } from "../../db/schema";
import { MAX_CONVERSATION_MEMBERS, MAX_CONVERSATION_NAME } from "../chat/conversations";
import { NameField, PageQuery } from "./common";
import { CLIENT_ID_PATTERN, MAX_MESSAGE_IMAGES, MessageSchema } from "../../../durable-objects/protocol";
import { pathId } from "./discussions";

export const ChatMessageSchema = MessageSchema.openapi("ChatMessage");

export const MessageIdParam = z.object({ messageId: pathId("messageId") });
export const MessageEmojiParam = MessageIdParam.extend({ emoji: z.string().min(1).max(64) });

export const HistoryQuery = z.object({
  before: z.coerce.number().int().min(1).optional().openapi({ description: "seq: the page of messages before it (newest page without)" }),
  after: z.coerce.number().int().min(0).optional().openapi({ description: "seq: the page of messages after it, oldest first" }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const HistorySchema = z.object({
  items: z.array(ChatMessageSchema).openapi({ description: "oldest first" }),
  nextCursor: z.string().nullable().openapi({ description: "the seq to pass as `before` (or `after`) for the next page; null at the end" }),
  head: z.number().int().openapi({ description: "the channel's latest rev: open the socket with ?after=<head> to continue live" }),
  slowModeSeconds: z.number().int(),
  pinned: z.array(ChatMessageSchema),
});

export const SendMessageBody = z.object({
  // no schema maximum: past 4,000 characters is 413 too_large however far (composeMessage), within the request's byte limit
  body: z.string().openapi({ description: "Markdown (inline subset), at most 4,000 characters (413 beyond)" }),
  clientId: z.string().regex(CLIENT_ID_PATTERN).optional().openapi({ description: "the client's id for this message: a resend with the same id is stored once" }),
  replyTo: z.string().max(100).nullish(),
  imageIds: z.array(z.string().max(100)).max(MAX_MESSAGE_IMAGES).optional().openapi({ description: "your uploads for this space (POST /uploads with spaceId)" }),
  mentionIds: z.array(z.string().max(100)).max(50).optional(),
});

export const MessageEnvelope = z.object({ message: ChatMessageSchema });
export const MessageWriteEnvelope = z.object({ message: ChatMessageSchema, unreachableMentions: z.array(z.string()) });

export const UpdateMessageBody = z
  .object({ body: z.string().optional(), pinned: z.boolean().optional() })
  .refine((b) => b.body !== undefined || b.pinned !== undefined, { message: "Give body or pinned." });

export const ChannelSettingsBody = z.object({ slowModeSeconds: z.number().int().min(0).max(21_600) });
export const ChannelSettingsSchema = z.object({ slowModeSeconds: z.number().int() });

export const NotifyLevelBody = z.object({ level: z.enum(chatNotifyLevels) });
export const NotifyLevelSchema = z.object({ level: z.enum(chatNotifyLevels) });

// ---- DMs (ADR 033) ---------------------------------------------------------------------------

export const ConversationIdParam = z.object({ conversationId: pathId("conversationId") });

export const ConversationMemberSchema = z.object({ id: z.string(), name: z.string(), online: z.boolean() });
export const ConversationSchema = z
  .object({
    id: z.string(),
    kind: z.enum(conversationKinds),
    name: z.string().nullable().openapi({ description: "a group's name; null for a 1:1 and an unnamed group" }),
    members: z.array(ConversationMemberSchema).openapi({ description: "the active participants, the caller included" }),
    createdAt: z.string(),
  })
  .openapi("Conversation");
export const ConversationEnvelope = z.object({ conversation: ConversationSchema });
export const ConversationListSchema = z.object({
  items: z.array(
    ConversationSchema.extend({
      lastMessage: z.object({ excerpt: z.string(), authorId: z.string().nullable(), at: z.string(), seq: z.number().int() }).nullable(),
      unread: z.number().int().openapi({ description: "messages not read yet (max(0, sent − read))" }),
    }),
  ),
  nextCursor: z.string().nullable(),
  unreadTotal: z.number().int(),
});
export const ConversationListQuery = PageQuery.pick({ cursor: true }).extend({ limit: z.coerce.number().int().min(1).max(100).default(30) });

export const CreateConversationBody = z.object({
  memberIds: z
    .array(z.string().min(1).max(100))
    .min(1)
    .max(MAX_CONVERSATION_MEMBERS)
    .openapi({ description: `the other members (you are added): one for a 1:1, up to ${MAX_CONVERSATION_MEMBERS} people in all` }),
  name: NameField(MAX_CONVERSATION_NAME).nullish().openapi({ description: "a group's name" }),
});
export const RenameConversationBody = CreateConversationBody.pick({ name: true }).required();

export const DmSettingsSchema = z.object({
  policy: z.enum(dmPolicies).openapi({ description: "who may start a DM with you: everyone, shared_space (members of a space you are in), nobody; moderators always may" }),
});

export const BlockBody = z.object({ userId: z.string().min(1).max(100) });
export const BlockSchema = z.object({ user: z.object({ id: z.string(), name: z.string() }), createdAt: z.string() });
export const BlockEnvelope = z.object({ block: BlockSchema });
export const BlockListSchema = z.object({ items: z.array(BlockSchema) });
