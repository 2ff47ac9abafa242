// The kinds of domain event and what each one carries (ADR 014). A payload names things by id
// only — never a title, a body, a name or an address — so erasing a person leaves nothing behind
// in domain_events, and a handler always acts on the state stored now, not on a copy that may be
// stale by the time it runs (an edit, a delete or a lost tier in between).
import { z } from "zod";

const id = z.string().min(1).max(100);

/** Why access changed: the writer that changed it (domain/access-changes.ts). */
export const accessChangeReasons = [
  "community_created",
  "community_deleted",
  "ownership_transferred",
  "member_joined",
  "role_changed",
  "tier_changed",
  "member_removed",
  "member_left",
  "member_banned",
  "member_unbanned",
  "space_created",
  "space_access_changed",
  "space_member_added",
  "space_member_removed",
  "account_erased",
] as const;
export type AccessChangeReason = (typeof accessChangeReasons)[number];

export const eventPayloads = {
  "post.created": z.object({ postId: id }),
  "post.updated": z.object({ postId: id }),
  /** deleted or hidden: leaves search with its comments; notifications stop showing it at read time */
  "post.removed": z.object({ postId: id }),
  /** shown again after being hidden: back in search with its comments, and told as an edit is */
  "post.restored": z.object({ postId: id }),
  /** one slice of a restored post's comments going back into search: those after seq `afterSeq` */
  "post.comments_restored": z.object({ postId: id, afterSeq: z.number().int().min(0) }),
  "comment.created": z.object({ commentId: id, postId: id }),
  "comment.updated": z.object({ commentId: id, postId: id }),
  "comment.removed": z.object({ commentId: id, postId: id }),
  /** every post and comment of the space leaves search at once */
  "space.archived": z.object({ spaceId: id, communityId: id }),
  /**
   * One slice of telling a space's followers of a post (ADR 008): followers whose id sorts after
   * `after` ("" from the start). A slice that does not finish emits the next.
   */
  "post.followers": z.object({ postId: id, after: z.string().max(100) }),
  /**
   * A member's name changed, or they were erased (shown as "Deleted member" from now on): the
   * stored excerpts and search text of what mentions them are written again, 25 sources a slice
   * after mention id `after` ("" from the start); for an erased member the mention rows go last.
   */
  "user.renamed": z.object({ userId: id, after: z.string().max(100) }),
  /**
   * An account was erased (ADR 019): each purge registered in data-rights/registry.ts removes what
   * the person left outside D1 (R2 uploads and archives now; Durable Objects, Stripe later).
   */
  "account.erased": z.object({ userId: id }),
  /** the next slice of one purge that did not finish in one run, from `cursor` */
  "account.purge_continued": z.object({ userId: id, purge: z.string().min(1).max(40), cursor: z.string().max(1024) }),
  /** the next step of an export job (data-rights/export-jobs.ts); a step runs once per job and number */
  "export.step": z.object({ jobId: id, step: z.number().int().min(0) }),
  /**
   * A chat message was stored, edited or deleted in a channel's Durable Object (ADR 024),
   * forwarded from the object's outbox: handlers read the message from the object by seq.
   */
  /** `mentions` false: the body held no mention token when stored (the mentions handler has nothing to do) */
  "message.created": z.object({ channelId: id, seq: z.number().int().min(1), mentions: z.boolean().optional() }),
  "message.updated": z.object({ channelId: id, seq: z.number().int().min(1) }),
  "message.removed": z.object({ channelId: id, seq: z.number().int().min(1) }),
  /**
   * The messages of one channel that one outbox forward touched, indexed for search together: one
   * SEARCH transaction (one FTS segment) per forward instead of one per message (ADR 024).
   */
  "chat.indexed": z.object({ channelId: id, seqs: z.array(z.number().int().min(1)).min(1).max(100) }),
  /**
   * A space's new messages without mentions that one outbox forward carried, as one event: each
   * author's last one (`latest`, by seq). Their one consequence is the channel's "all" notice, which
   * the handler brings up to date once per forward rather than once per author (a busy channel's
   * forward carries dozens of authors). Messages that mention someone still raise message.created.
   */
  "chat.activity": z.object({
    channelId: id,
    latest: z.array(z.object({ seq: z.number().int().min(1), authorId: id })).min(1).max(100),
  }),
  /**
   * A member's missed-message job for one 15-minute slot (ADR 033): due when the slot's messages
   * are 15 minutes old; emails what of chat_missed is due and still unread, once.
   */
  "chat.missed": z.object({ userId: id, slot: z.number().int().min(0) }),
  /** a row of the mail outbox to send (the row holds the address and the text) */
  "mail.queued": z.object({ outboxId: id }),
  /**
   * Membership or access changed (domain/access-changes.ts): sockets close, caches and
   * recommendations forget. `userId` null: everyone in the community or space may be affected.
   */
  "access.changed": z.object({
    communityId: id,
    userId: id.nullable(),
    spaceId: id.nullable(),
    reason: z.enum(accessChangeReasons),
  }),
} as const;

export type EventKind = keyof typeof eventPayloads;
export type EventPayload<K extends EventKind> = z.infer<(typeof eventPayloads)[K]>;
export const eventKinds = Object.keys(eventPayloads) as EventKind[];

/** What an event is about, for the dead-letter page and for finding a subject's events. */
export type EventSubject = { type: "post" | "comment" | "message" | "space" | "mail" | "user" | "community" | "export"; id: string };

/** An event as a handler receives it: its row, with the payload parsed for its kind. */
export type DomainEvent<K extends EventKind = EventKind> = {
  id: string;
  kind: K;
  communityId: string | null;
  subject: EventSubject;
  payload: EventPayload<K>;
  createdAt: Date;
};

export const isEventKind = (kind: string): kind is EventKind => Object.hasOwn(eventPayloads, kind);
