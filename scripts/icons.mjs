// Draws the site icons from public/favicon.svg with the Chromium the browser tests use, offline:
// PNGs for the web app manifest and iOS, and favicon.ico (an ICO that carries PNG images, which
// every current browser reads). Run after changing the SVG: `npm run icons`.
import { readFileSync, writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

const svg = readFileSync("public/favicon.svg", "utf8");
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const page = await browser.newPage();

async function png(size, padding = 0) {
  await page.setViewportSize({ width: size, height: size });
  const inner = size - padding * 2;
  // maskable icons keep their drawing inside the central safe zone on a full-bleed background
  await page.setContent(
    `<html><body style="margin:0;background:${padding ? "#4f46e5" : "transparent"}"><div style="width:${inner}px;height:${inner}px;margin:${padding}px">${svg.replace("<svg ", `<svg width="${inner}" height="${inner}" `)}</div></body></html>`,
  );
  return page.screenshot({ omitBackground: !padding, type: "png" });
}

writeFileSync("public/apple-touch-icon.png", await png(180, 14));
writeFileSync("public/icon-192.png", await png(192));
writeFileSync("public/icon-512.png", await png(512));
writeFileSync("public/icon-maskable-512.png", await png(512, 52));

// ICO: a 6-byte header, one 16-byte entry per image, then the PNG bytes
const images = [await png(16), await png(32), await png(48)];
const header = Buffer.alloc(6 + 16 * images.length);
header.writeUInt16LE(0, 0);
header.writeUInt16LE(1, 2); // 1 = icon
header.writeUInt16LE(images.length, 4);
let offset = header.length;
images.forEach((image, i) => {
  const size = [16, 32, 48][i];
  const at = 6 + 16 * i;
  header.writeUInt8(size, at);
  header.writeUInt8(size, at + 1);
  header.writeUInt16LE(1, at + 4); // colour planes
  header.writeUInt16LE(32, at + 6); // bits per pixel
  header.writeUInt32LE(image.length, at + 8);
  header.writeUInt32LE(offset, at + 12);
  offset += image.length;
});
writeFileSync("public/favicon.ico", Buffer.concat([header, ...images]));
await browser.close();
