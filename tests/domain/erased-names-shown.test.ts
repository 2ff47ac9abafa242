// An erased account's name is said in the page's language (a fresh tester's low, issue 12): the
// API names it "Deleted member" (DELETED_MEMBER_NAME) on authors and in the mentions the server
// renders; the page shows 已刪除的成員 on a zh-Hant page, in names, mentions and avatars alike.
import { createElement as h } from "react";
import { renderToString } from "react-dom/server";
import { I18nextProvider } from "react-i18next";
import { describe, expect, it } from "vitest";
import { createI18n } from "../../app/i18n";
import { RichText } from "../../app/components/discussions";
import { Name } from "../../app/components/name";
import { Avatar } from "../../app/components/ui";
import { renderChatMarkdown } from "../../workers/lib/markdown";
import { DELETED_MEMBER_NAME } from "../../workers/lib/vocabulary";

const inLocale = (locale: "en" | "zh-Hant", node: ReturnType<typeof h>) => renderToString(h(I18nextProvider, { i18n: createI18n(locale) }, node));

describe("an erased account's name on the page", () => {
  it("reads 已刪除的成員 on a zh-Hant page and Deleted member in English, as an author and in a mention the server rendered", () => {
    const html = renderChatMarkdown("thanks <@usr_gone1>, and <@usr_here1>", { mentionNames: new Map([["usr_gone1", DELETED_MEMBER_NAME], ["usr_here1", "Mei"]]) });
    expect(html).toContain(`>@${DELETED_MEMBER_NAME}</span>`);
    const zh = inLocale("zh-Hant", h("div", null, h(Name, null, DELETED_MEMBER_NAME), h(RichText, { html })));
    expect(zh).toContain("已刪除的成員");
    expect(zh).not.toContain(DELETED_MEMBER_NAME);
    expect(zh).toContain(">@Mei</span>");
    const en = inLocale("en", h("div", null, h(Name, null, DELETED_MEMBER_NAME), h(RichText, { html })));
    expect(en.match(/Deleted member/g)).toHaveLength(2);
  });

  it("draws no initials from the placeholder name ('DM'), and a member's own name as typed", () => {
    expect(inLocale("en", h(Avatar, { name: DELETED_MEMBER_NAME }))).toContain('data-initials="?"');
    expect(inLocale("zh-Hant", h(Name, null, "Deleted memberx"))).toContain("Deleted memberx");
  });
});
