// Which handlers run for each kind of domain event, in order (ADR 014). A handler's name is
// recorded on the event once it has run, so a retry runs only those that failed; names must not
// change while events that use them may still be pending. Later capabilities add their handlers
// here: Durable Object calls (revoke on access.changed), AI passes, Stripe follow-ups, reminders.
import { closeArchivedChannel } from "../chat/channels";
import { sendQueuedMail } from "../../mail/outbox";
import { deliverAccessChange } from "../access-changes";
import { cancelOnDeparture } from "../../billing/settle-cancellations";
import { runExportStep } from "../data-rights/export-jobs";
import { continuePurge, purgeHandler } from "../data-rights/purge";
import { purges } from "../data-rights/registry";
import { followerSlice, followersOfPost, mentionsAndRepliesOfComment, mentionsOfPost, refreshMentionsOf } from "../discussions/consequences";
import { activityOfChannel, activityOfMessage, mentionsOfMessage, renameChatAuthor } from "../chat/consequences";
import { sendMissedMessages } from "../chat/missed-messages";
import { removeSpace } from "../search/index";
import { restoreThread, syncChatMessages, syncSearchDocument } from "../search/sync";
import type { DomainEvent, EventKind } from "./kinds";

export type EventHandler<K extends EventKind> = {
  name: string;
  /** Idempotent: may run more than once for one event. Throws to have the event retried. */
  run: (env: Env, event: DomainEvent<K>) => Promise<void>;
};

const searchPost: EventHandler<"post.created" | "post.updated" | "post.removed"> = {
  name: "search",
  run: (env, event) => syncSearchDocument(env, { type: "post", id: event.payload.postId }),
};
const searchComment: EventHandler<"comment.created" | "comment.updated" | "comment.removed"> = {
  name: "search",
  run: (env, event) => syncSearchDocument(env, { type: "comment", id: event.payload.commentId }),
};
// a removed message's unread mention notices are withdrawn
const messageMentions: EventHandler<"message.created" | "message.updated" | "message.removed"> = { name: "mentions", run: mentionsOfMessage };
const postMentions: EventHandler<"post.created" | "post.updated" | "post.restored"> = { name: "mentions", run: mentionsOfPost };
// an edit can make a post readable to followers (approved after review): they hear of it once
const postFollowers: EventHandler<"post.created" | "post.updated" | "post.restored"> = { name: "followers", run: followersOfPost };
const commentMentions: EventHandler<"comment.created" | "comment.updated"> = { name: "mentions", run: mentionsAndRepliesOfComment };

const registry: { [K in EventKind]: ReadonlyArray<EventHandler<K>> } = {
  // mentions before followers: a follower the post mentions is told once, by the mention
  "post.created": [searchPost, postMentions, postFollowers],
  "post.updated": [searchPost, postMentions, postFollowers],
  "post.removed": [searchPost],
  "post.restored": [{ name: "search", run: restoreThread }, postMentions, postFollowers],
  "post.comments_restored": [{ name: "search", run: restoreThread }],
  "comment.created": [searchComment, commentMentions],
  "comment.updated": [searchComment, commentMentions],
  "comment.removed": [searchComment],
  "space.archived": [
    { name: "search", run: (env, event) => removeSpace(env, event.payload.communityId, event.payload.spaceId) },
    { name: "chat", run: (env, event) => closeArchivedChannel(env, event.payload.spaceId) },
  ],
  "post.followers": [{ name: "followers", run: followerSlice }],
  "user.renamed": [
    { name: "mentions", run: refreshMentionsOf },
    { name: "chat-authors", run: renameChatAuthor },
  ],
  // chat (issue 12, ADR 025): mentions before activity, so a member the message mentions is told once
  // search indexes a forward's messages together (chat.indexed); these tell people
  "message.created": [messageMentions, { name: "activity", run: activityOfMessage }],
  // a space's plain new messages of one forward, together (kinds.ts)
  "chat.activity": [{ name: "activity", run: activityOfChannel }],
  "message.updated": [messageMentions],
  "message.removed": [messageMentions],
  // a member's unread DMs and mentions, 15 minutes on (ADR 033)
  "chat.missed": [{ name: "mail", run: (env, event) => sendMissedMessages(env, event) }],
  "chat.indexed": [{ name: "search", run: (env, event) => syncChatMessages(env, event.payload.channelId, event.payload.seqs) }],
  "mail.queued": [{ name: "mail", run: sendQueuedMail }],
  // one handler per registered purge (data-rights/registry.ts), so each is retried on its own
  "account.erased": purges.map(purgeHandler),
  "account.purge_continued": [{ name: "purge", run: continuePurge }],
  "export.step": [{ name: "export", run: (env, event) => runExportStep(env, event.payload) }],
  // the parties registered with onAccessChanged (chat's revoke, issue 12), called directly after
  // the commit; this is their retry
  // billing: a payer who leaves, is removed or banned is not charged again (ADR 037); also called
  // directly after the commit (its own listener), this is its retry
  "access.changed": [
    { name: "listeners", run: deliverAccessChange },
    { name: "billing", run: (env, event) => cancelOnDeparture(env, event.payload) },
  ],
};

/** The handlers of one kind, in the order they run. */
export function handlersFor<K extends EventKind>(kind: K): ReadonlyArray<EventHandler<K>> {
  return registry[kind];
}
