// The chat wire protocol (ADR 024): every frame a socket carries, as zod schemas shared by the
// ChatChannel object, the Worker's HTTP routes and the web app. Frames are JSON text.
//
// Ordering and resume: every change in a channel (a message sent, edited, deleted, pinned, a
// reaction) takes the next number of one counter. A message's `seq` is the number it took when
// sent (history pages by it); its `rev` is the number of its latest change. A client keeps the
// highest `rev` it has applied and reconnects with `?after=<rev>`: the object answers every
// message whose rev is greater, in rev order — new messages and changes to older ones alike —
// so nothing acknowledged is missed and nothing is applied twice (a client keeps the higher rev).
import { z } from "zod";
import { canonicalEmoji, isOneEmoji } from "../workers/lib/text";

/** A message body's limit in characters (Unicode code points); beyond it 413 / an error frame `too_large`. */
export const MAX_MESSAGE_CHARS = 4_000;
/** A client id: the client's own name for a message it sends, so a resend is stored once. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
/** Images one message may carry (private uploads tied to the space). */
export const MAX_MESSAGE_IMAGES = 4;
/** Largest frame a client may send, in UTF-16 units: a body of MAX_MESSAGE_CHARS astral characters plus its envelope. */
export const MAX_CLIENT_FRAME_UNITS = 2 * MAX_MESSAGE_CHARS + 2_048;
/** Messages one history page or resume frame carries at most. */
export const MAX_PAGE_MESSAGES = 100;

/** Close codes the object uses (4000–4999 are the application's). */
export const CloseCode = {
  /** access changed: the member was removed, banned, fell below the tier or was erased; reconnecting re-checks */
  accessRevoked: 4403,
  /** the client stopped reading: more than MAX_UNREAD_MESSAGES revs sent that it has not confirmed (`seen`) */
  slowConsumer: 4408,
  /** the channel was archived or deleted */
  gone: 4404,
  /** who the socket was opened as changed (a new display name, a block or an unblock): reconnect at once, resuming with ?after= */
  refresh: 4409,
} as const;

/** A reaction: exactly one emoji (workers/lib/text.ts isOneEmoji), the same rule over HTTP and on the socket. */
const Emoji = z.string().refine(isOneEmoji, { message: "one emoji" }).transform(canonicalEmoji);

const MessageId = z.string().min(1).max(80);
const ClientId = z.string().regex(CLIENT_ID_PATTERN);

// ---- client → object ------------------------------------------------------------------------

export const SendFrame = z.object({
  type: z.literal("send"),
  clientId: ClientId,
  body: z.string(),
  replyTo: MessageId.nullish(),
  imageIds: z.array(z.string().max(80)).max(MAX_MESSAGE_IMAGES).optional(),
  /** the members the composer's mention picker chose, so "@Name" resolves to them (max 50) */
  mentionIds: z.array(z.string().max(80)).max(50).optional(),
});
export const EditFrame = z.object({ type: z.literal("edit"), id: MessageId, body: z.string() });
export const DeleteFrame = z.object({ type: z.literal("delete"), id: MessageId });
export const ReactFrame = z.object({ type: z.literal("react"), id: MessageId, emoji: Emoji, on: z.boolean() });
export const PinFrame = z.object({ type: z.literal("pin"), id: MessageId, pinned: z.boolean() });
/** The client has applied everything up to `rev`: the object's measure of a slow reader. */
export const SeenFrame = z.object({ type: z.literal("seen"), rev: z.number().int().min(0) });

/** The member has read the channel up to message `seq` (ADR 033): their read position moves forward, never back. */
export const ReadFrame = z.object({ type: z.literal("read"), seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });
/** The member is composing (sent at most every 3 s): relayed to the channel's other sockets, never stored. */
export const TypingFrame = z.object({ type: z.literal("typing") });

export const ClientFrame = z.discriminatedUnion("type", [SendFrame, EditFrame, DeleteFrame, ReactFrame, PinFrame, SeenFrame, ReadFrame, TypingFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** The keep-alive a client sends and the object answers while hibernated (setWebSocketAutoResponse). */
export const PING = "ping";
export const PONG = "pong";

// ---- object → client ------------------------------------------------------------------------

export const ReactionSchema = z.object({
  emoji: z.string(),
  count: z.number().int(),
  /** who reacted, at most the first 50, so a client can mark its own */
  userIds: z.array(z.string()),
});

export const AuthorSchema = z.object({ id: z.string(), name: z.string() });

export const ImageSchema = z.object({ id: z.string(), url: z.string() });

export const ReplySchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  author: AuthorSchema,
  /** the quoted message's first words, plain text; empty when it was deleted */
  excerpt: z.string(),
  deleted: z.boolean(),
});

export const MessageSchema = z.object({
  id: z.string(),
  /** position in the channel: history pages by it */
  seq: z.number().int(),
  /** number of the message's latest change: resume (`after`) goes by it */
  rev: z.number().int(),
  /** the raw Markdown (mentions as identity tokens); empty once deleted */
  body: z.string(),
  /** sanitised HTML of the inline Markdown subset, mentions by name */
  html: z.string(),
  author: AuthorSchema,
  createdAt: z.string(),
  editedAt: z.string().nullable(),
  deleted: z.boolean(),
  pinned: z.boolean(),
  replyTo: ReplySchema.nullable(),
  reactions: z.array(ReactionSchema),
  images: z.array(ImageSchema),
  /** the sender's client id, so the sender's tabs can match their pending queue */
  clientId: z.string().nullable(),
});
export type ChatMessage = z.infer<typeof MessageSchema>;

/** Sent once on connect: who the object thinks you are, and the channel's state. */
export const ReadyFrame = z.object({
  type: z.literal("ready"),
  userId: z.string(),
  /** the channel's highest rev when the socket was accepted */
  head: z.number().int(),
  slowModeSeconds: z.number().int(),
  /** the resume that follows in `messages` frames is complete when it reaches this rev */
  resumeTo: z.number().int(),
  /**
   * Confirm (`seen`) at least every this many revs received: a socket more than four times this
   * behind is closed as a slow reader (4408). Confirming more often only costs the object: every
   * reader's frame is one more event it handles, so readers confirm by count, not by the clock.
   */
  confirmEvery: z.number().int().positive(),
});
/** Messages new or changed, in rev order: a resume's pages and the live stream alike (coalesced under load). */
export const MessagesFrame = z.object({ type: z.literal("messages"), messages: z.array(MessageSchema) });
/** To the sender only: the message its client id names is stored (acknowledged means stored). */
export const AckFrame = z.object({ type: z.literal("ack"), clientId: z.string(), message: MessageSchema });
export const SettingsFrame = z.object({ type: z.literal("settings"), slowModeSeconds: z.number().int() });
export const ErrorFrame = z.object({
  type: z.literal("error"),
  /** the API.md error codes: validation_failed, too_large, rate_limited, forbidden, not_found, ... */
  code: z.string(),
  message: z.string(),
  /** seconds until a send may be tried again (rate_limited, slow mode) */
  retryAfter: z.number().optional(),
  /** the client id of the send it refuses, when there was one */
  clientId: z.string().optional(),
});

/** To the member's other sockets in the channel when their read position moved (tabs and devices in sync). */
export const ReadPositionFrame = z.object({ type: z.literal("read"), seq: z.number().int(), unread: z.number().int().min(0) });
/**
 * Who has a socket open in the channel: on connect and whenever the set changes (coalesced).
 * `names[i]` is `userIds[i]`'s display name (the header shows them without a lookup).
 */
/**
 * Who has a socket open in the channel: how many members (`count`), and the first HERE_SHOWN of
 * them by id with their names — a big channel's full list would be a large frame to every socket.
 */
export const HereFrame = z.object({ type: z.literal("here"), count: z.number().int().min(0), userIds: z.array(z.string()), names: z.array(z.string()) });
/** Members a `here` frame names at most. */
export const HERE_SHOWN = 20;
/** Someone else in the channel is composing; show it for about 5 s after the last one. */
export const TypingServerFrame = z.object({ type: z.literal("typing"), userId: z.string(), name: z.string() });

export const ServerFrame = z.discriminatedUnion("type", [ReadyFrame, MessagesFrame, AckFrame, SettingsFrame, ErrorFrame, ReadPositionFrame, HereFrame, TypingServerFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;

// ---- the community's presence socket (durable-objects/community-presence.ts, ADR 033) --------

/** Who is online in the community now (a socket open, or closed less than 60 s ago): on connect. */
export const OnlineFrame = z.object({ type: z.literal("online"), userIds: z.array(z.string()) });
/** One member came online or went offline. */
export const PresenceFrame = z.object({ type: z.literal("presence"), userId: z.string(), online: z.boolean() });
/** The member's unread count in `channelId` may have changed: read the counts again. */
export const InboxFrame = z.object({ type: z.literal("inbox"), channelId: z.string() });

export const PresenceServerFrame = z.discriminatedUnion("type", [OnlineFrame, PresenceFrame, InboxFrame]);
export type PresenceServerFrame = z.infer<typeof PresenceServerFrame>;

// ---- the Worker → object headers ------------------------------------------------------------

/**
 * Identity reaches the object only in these headers, set by the Worker after it checked the
 * cookie, the Origin and access; the Worker drops any the client sent (ADR 024).
 */
export const IdentityHeader = {
  userId: "x-enclave-user-id",
  userName: "x-enclave-user-name",
  role: "x-enclave-role",
  /** the community's access epoch the Worker read with the access check */
  epoch: "x-enclave-access-epoch",
  communityId: "x-enclave-community-id",
  /** the channel: a chat space's id or a DM conversation's (`dm_…`) */
  channelId: "x-enclave-channel-id",
  /** a tag of the session the upgrade was authorised by (not the token): signing out closes its sockets */
  session: "x-enclave-session",
  /** the members the caller blocked, comma-separated (at most MAX_HIDDEN_AUTHORS): their messages are left out of this socket's frames */
  hiddenAuthors: "x-enclave-hidden-authors",
  /** "1" in a 1:1 conversation where a block stands between its two members: sends are refused (403 dm_not_allowed) */
  sendRefused: "x-enclave-send-refused",
} as const;

/** Blocked members one socket carries at most in its hidden set (ADR 033). */
export const MAX_HIDDEN_AUTHORS = 500;

/** The hidden-authors header's value as a sorted list of ids (empty for none); ids past MAX_HIDDEN_AUTHORS are dropped. */
export function parseHiddenAuthors(value: string | null): string[] {
  if (!value) return [];
  return [...new Set(value.split(",").filter((id) => /^[a-z]+_[A-Za-z0-9_]{1,64}$/.test(id)))].slice(0, MAX_HIDDEN_AUTHORS).sort();
}

/**
 * `messages` as a blocker sees them (ADR 033): without those whose author is in `hidden`; a
 * reply to one of theirs quotes nothing of it (empty excerpt); their reactions are not counted
 * (as far as a reaction's `userIds` — its first 50 — name them). The same array when nothing is hidden.
 */
export function withoutAuthors(messages: ChatMessage[], hidden: readonly string[] | undefined): ChatMessage[] {
  if (!hidden || hidden.length === 0) return messages;
  const set = new Set(hidden);
  return messages.flatMap((m) => {
    if (set.has(m.author.id)) return [];
    const replyTo = m.replyTo && set.has(m.replyTo.author.id) ? { ...m.replyTo, excerpt: "" } : m.replyTo;
    const touched = m.reactions.some((r) => r.userIds.some((id) => set.has(id)));
    const reactions = touched ? reactionsWithout(m.reactions, set) : m.reactions;
    return replyTo === m.replyTo && reactions === m.reactions ? [m] : [{ ...m, replyTo, reactions }];
  });
}

function reactionsWithout(reactions: ChatMessage["reactions"], hidden: ReadonlySet<string>): ChatMessage["reactions"] {
  return reactions.flatMap((r) => {
    const userIds = r.userIds.filter((id) => !hidden.has(id));
    const count = r.count - (r.userIds.length - userIds.length);
    return count > 0 ? [{ ...r, userIds, count }] : [];
  });
}

/**
 * A `here` frame as a blocker sees it: without the members in `hidden` (ADR 033). `all` is every
 * member here (id → name), so the first HERE_SHOWN and the count stay right after leaving some out.
 */
export function hereWithout(all: ReadonlyMap<string, string>, hidden: readonly string[] | undefined): Extract<ServerFrame, { type: "here" }> {
  const set = new Set(hidden ?? []);
  const ids = [...all.keys()].filter((id) => !set.has(id)).sort();
  const userIds = ids.slice(0, HERE_SHOWN);
  return { type: "here", count: ids.length, userIds, names: userIds.map((id) => all.get(id)!) };
}

/** A DM conversation's id (`dm_…`), as against a chat space's (`spc_…`). */
export const isConversationId = (channelId: string) => channelId.startsWith("dm_");

/** Parse a text frame from a client; `null` when it is not JSON or not a known frame. */
export function parseClientFrame(text: string): { ok: true; frame: ClientFrame } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: "A frame must be JSON." };
  }
  // `seen`, by far the most frequent frame (every reader confirms every few changes), checked by
  // hand with SeenFrame's rules: zod's walk of the union cost a busy channel ~4 % of its CPU
  if (typeof json === "object" && json !== null && (json as { type?: unknown }).type === "seen") {
    const rev = (json as { rev?: unknown }).rev;
    if (Number.isSafeInteger(rev) && (rev as number) >= 0) return { ok: true, frame: { type: "seen", rev: rev as number } };
  }
  const parsed = ClientFrame.safeParse(json);
  if (!parsed.success) return { ok: false, message: parsed.error.issues.map((i) => `${i.path.join(".") || "frame"}: ${i.message}`).join("; ").slice(0, 300) };
  return { ok: true, frame: parsed.data };
}

// ---- message ids ----------------------------------------------------------------------------

/**
 * A message's id names its channel and seq (`msg_<seq>_<channelId>`), so `/messages/:id` reaches
 * the right object without a scan. Channel ids (`spc_…`, later `dm_…`) contain no character
 * that could be confused with the separator after the seq.
 */
export const messageIdOf = (channelId: string, seq: number) => `msg_${seq}_${channelId}`;

/** The channel and seq a message id names, or null when it is not one. */
export function parseMessageId(id: string): { channelId: string; seq: number } | null {
  const match = /^msg_([1-9][0-9]{0,14})_([a-z]+_[A-Za-z0-9_]{1,64})$/.exec(id);
  if (!match) return null;
  return { channelId: match[2], seq: Number(match[1]) };
}
