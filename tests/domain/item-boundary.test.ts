// One bad item must not take down its list: the server renders the other items and a notice in
// place of the one that throws, instead of failing the whole page.
import { createElement as h } from "react";
import { renderToReadableStream } from "react-dom/server";
import { I18nextProvider } from "react-i18next";
import { describe, expect, it } from "vitest";
import { ItemBoundary } from "../../app/components/item-boundary";
import { createI18n } from "../../app/i18n";

function Item({ title }: { title: string | null }) {
  if (title === null) throw new Error("a post without a title");
  return h("li", null, title);
}

async function render(locale: "en" | "zh-Hant", titles: Array<string | null>) {
  const errors: unknown[] = [];
  const list = h("ul", null, ...titles.map((title, i) => h(ItemBoundary, { key: i, children: h(Item, { title }) })));
  const stream = await renderToReadableStream(h(I18nextProvider, { i18n: createI18n(locale) }, list), { onError: (e) => void errors.push(e) });
  await stream.allReady;
  return { html: await new Response(stream).text(), errors };
}

describe("ItemBoundary", () => {
  it("renders the items around one that throws, and a notice in its place", async () => {
    const { html, errors } = await render("en", ["Cold brew ratios", null, "Water temperature"]);
    expect(html).toContain("Cold brew ratios");
    expect(html).toContain("Water temperature");
    expect(html).toContain("This item could not be shown.");
    expect(errors).toHaveLength(1);
  });

  it("says so in Traditional Chinese for a Chinese reader", async () => {
    const { html } = await render("zh-Hant", [null, "冷泡茶"]);
    expect(html).toContain("這一則無法顯示。");
    expect(html).toContain("冷泡茶");
  });
});
