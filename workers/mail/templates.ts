// Mail texts in the recipient's language. Plain text only: the outbox and the sender carry text.
import type { Locale } from "../lib/locale";

export type MailContent = { subject: string; text: string };

type Templates = {
  verifyEmail: (p: { name: string; link: string; appName: string }) => MailContent;
  passwordReset: (p: { name: string; link: string; appName: string }) => MailContent;
  /** unread DMs and mentions after 15 minutes (ADR 033): one mail gathers them all */
  missedMessages: (p: { name: string; appName: string; items: MissedItem[]; more: number; settingsLink: string }) => MailContent;
};

/** One unread message in a missed-messages mail: where, from whom, its first words, a link to it. */
export type MissedItem = { where: string; dm: boolean; author: string; excerpt: string; link: string };

const missedLines = (items: MissedItem[], dmLabel: string) => items.flatMap((item) => [`${item.dm ? dmLabel : `#${item.where}`} · ${item.author}: ${item.excerpt}`, item.link, ""]);

const templates: Record<Locale, Templates> = {
  en: {
    verifyEmail: ({ name, link, appName }) => ({
      subject: `Confirm your email for ${appName}`,
      text: [
        `Hi ${name},`,
        "",
        `Welcome to ${appName}. Confirm that this is your email address by opening this link:`,
        "",
        link,
        "",
        "The link works once and expires in 24 hours. If you did not sign up, ignore this mail.",
      ].join("\n"),
    }),
    passwordReset: ({ name, link, appName }) => ({
      subject: `Reset your ${appName} password`,
      text: [
        `Hi ${name},`,
        "",
        "Someone (hopefully you) asked to reset your password. Choose a new one here:",
        "",
        link,
        "",
        "The link works once and expires in 1 hour. Setting a new password signs you out everywhere.",
        "If you did not ask for this, ignore this mail: your password stays as it is.",
      ].join("\n"),
    }),
    missedMessages: ({ name, appName, items, more, settingsLink }) => ({
      subject: items.length + more === 1 ? `You have an unread message on ${appName}` : `You have ${items.length + more} unread messages on ${appName}`,
      text: [
        `Hi ${name},`,
        "",
        "These are waiting for you:",
        "",
        ...missedLines(items, "Direct message"),
        ...(more > 0 ? [`…and ${more} more.`, ""] : []),
        `You get this mail when a direct message or a mention stays unread for 15 minutes. Turn it off here: ${settingsLink}`,
      ].join("\n"),
    }),
  },
  "zh-Hant": {
    verifyEmail: ({ name, link, appName }) => ({
      subject: `確認你在 ${appName} 的電子郵件地址`,
      text: [
        `${name} 你好：`,
        "",
        `歡迎加入 ${appName}。請開啟以下連結，確認這是你的電子郵件地址：`,
        "",
        link,
        "",
        "此連結只能使用一次，24 小時後失效。如果你沒有註冊，請忽略這封郵件。",
      ].join("\n"),
    }),
    passwordReset: ({ name, link, appName }) => ({
      subject: `重設你的 ${appName} 密碼`,
      text: [
        `${name} 你好：`,
        "",
        "我們收到重設你密碼的要求。請在這裡設定新密碼：",
        "",
        link,
        "",
        "此連結只能使用一次，1 小時後失效。設定新密碼後，所有裝置都會登出。",
        "如果這不是你提出的要求，請忽略這封郵件，你的密碼不會改變。",
      ].join("\n"),
    }),
    missedMessages: ({ name, appName, items, more, settingsLink }) => ({
      subject: `你在 ${appName} 有 ${items.length + more} 則未讀訊息`,
      text: [
        `${name} 你好：`,
        "",
        "以下訊息正等著你：",
        "",
        ...missedLines(items, "私訊"),
        ...(more > 0 ? [`……還有 ${more} 則。`, ""] : []),
        `私訊或提及你的訊息 15 分鐘未讀時，我們會寄這封郵件給你。可在這裡關閉：${settingsLink}`,
      ].join("\n"),
    }),
  },
};

export const mailTemplates = (locale: string): Templates => templates[locale === "zh-Hant" ? "zh-Hant" : "en"];
