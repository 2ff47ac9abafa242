// The dead-letter pages say what failed in words (issue 8): every kind of domain event and every
// handler the spine runs has its label in both languages, so no row falls back to the raw kind.
import { createI18n, locales } from "../../app/i18n";
import { describe, expect, it } from "vitest";
import { handlersFor } from "../../workers/domain/events/handlers";
import { eventKinds } from "../../workers/domain/events/kinds";

describe("dead-letter labels", () => {
  for (const locale of locales) {
    it(`names every event kind and handler in ${locale}`, () => {
      const i18n = createI18n(locale);
      for (const kind of eventKinds) {
        expect(i18n.exists(`deadLetters.kinds.${kind}`), `${locale}: deadLetters.kinds.${kind}`).toBe(true);
        expect(typeof i18n.t(`deadLetters.kinds.${kind}`)).toBe("string");
        for (const handler of handlersFor(kind)) expect(i18n.exists(`deadLetters.handlers.${handler.name}`), `${locale}: handler ${handler.name}`).toBe(true);
      }
    });
  }

  it("labels a new post's failed work in words, and a kind it does not know as background work", () => {
    const en = createI18n("en");
    expect(en.t("deadLetters.kinds.post.created")).toBe("Indexing and notifying for a new post");
    expect(en.t("deadLetters.kinds.mail.queued")).toBe("Sending an email");
    expect(createI18n("zh-Hant").t("deadLetters.kinds.mail.queued")).toBe("寄送電子郵件");
    expect(en.t("deadLetters.kinds.chat.sent", { defaultValue: en.t("deadLetters.kinds.unknown") })).toBe("Background work");
  });
});
