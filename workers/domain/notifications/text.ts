// Notification sentences, rendered when read in the reader's language (a stored sentence would
// keep an old title, a renamed actor and the language of the day it was written).
import type { Locale } from "../../lib/locale";
import type { NotificationKind } from "./deliver";

export type NotificationFacts = {
  kind: NotificationKind;
  actor: string | null;
  title: string;
  spaceName: string;
  onComment: boolean;
  /** about a chat message: it is named by its space (`spaceName`), not by a title */
  inChat: boolean;
  /** a reply to the reader's comment rather than a comment on the reader's post */
  replyToComment: boolean;
};

type Phrases = {
  someone: string;
  mentionPost: (actor: string, title: string) => string;
  mentionComment: (actor: string, title: string) => string;
  replyPost: (actor: string, title: string) => string;
  replyComment: (actor: string, title: string) => string;
  newPost: (actor: string, title: string, space: string) => string;
  mentionMessage: (actor: string, space: string) => string;
  newMessages: (actor: string, space: string) => string;
  directMessage: (actor: string, conversation: string) => string;
};

const phrases: Record<Locale, Phrases> = {
  en: {
    someone: "Someone",
    mentionPost: (a, t) => `${a} mentioned you in “${t}”`,
    mentionComment: (a, t) => `${a} mentioned you in a comment on “${t}”`,
    replyPost: (a, t) => `${a} commented on your post “${t}”`,
    replyComment: (a, t) => `${a} replied to your comment on “${t}”`,
    newPost: (a, t, s) => `${a} posted “${t}” in ${s}`,
    mentionMessage: (a, s) => `${a} mentioned you in ${s}`,
    newMessages: (a, s) => `New messages in ${s}, the latest from ${a}`,
    directMessage: (a, c) => (c ? `${a} sent you a message in ${c}` : `${a} sent you a direct message`),
  },
  "zh-Hant": {
    someone: "有人",
    mentionPost: (a, t) => `${a} 在「${t}」中提到了你`,
    mentionComment: (a, t) => `${a} 在「${t}」的留言中提到了你`,
    replyPost: (a, t) => `${a} 留言回應了你的貼文「${t}」`,
    replyComment: (a, t) => `${a} 回覆了你在「${t}」的留言`,
    newPost: (a, t, s) => `${a} 在「${s}」發表了「${t}」`,
    mentionMessage: (a, s) => `${a} 在「${s}」中提到了你`,
    newMessages: (a, s) => `「${s}」有新訊息，最新一則來自 ${a}`,
    directMessage: (a, c) => (c ? `${a} 在「${c}」傳了訊息給你` : `${a} 傳了私訊給你`),
  },
};

export function notificationText(locale: Locale, facts: NotificationFacts): string {
  const p = phrases[locale];
  const actor = facts.actor ?? p.someone;
  switch (facts.kind) {
    case "mention":
      if (facts.inChat) return p.mentionMessage(actor, facts.spaceName);
      return facts.onComment ? p.mentionComment(actor, facts.title) : p.mentionPost(actor, facts.title);
    case "reply":
      return facts.replyToComment ? p.replyComment(actor, facts.title) : p.replyPost(actor, facts.title);
    case "new_post":
      return p.newPost(actor, facts.title, facts.spaceName);
    case "new_message":
      return p.newMessages(actor, facts.spaceName);
    case "direct_message":
      // a DM's notice names its conversation in `spaceName` ("" for a 1:1 or an unnamed group)
      return p.directMessage(actor, facts.spaceName);
  }
}
