import { chromium } from "playwright-core";
const [,, path, name, width = "1280", lang = "en-US"] = process.argv;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const ctx = await browser.newContext({ baseURL: "http://127.0.0.1:8787", locale: lang, viewport: { width: Number(width), height: 900 } });
const page = await ctx.newPage();
await page.goto(path);
await page.screenshot({ path: `/tmp/shots/${name}.png` });
await browser.close();
