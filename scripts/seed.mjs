// Seeds the local demo community. Idempotent: fixed ids and INSERT OR IGNORE, so a second
// `npm start` adds nothing twice. Runs the SQL through wrangler against the local D1.
import { execFileSync } from "node:child_process";
import { webcrypto as crypto } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// the Worker's own case fold (users.name_folded), imported from its TypeScript source (Node 22 strips the types)
const { foldCase } = await import(join(dirname(fileURLToPath(import.meta.url)), "..", "workers/lib/text.ts"));

export const DEMO_PASSWORD = "enclave-demo-2026";
const persistArgs = process.env.SEED_PERSIST_TO ? ["--persist-to", process.env.SEED_PERSIST_TO] : [];

// Same format as workers/lib/crypto.ts: pbkdf2-sha256$iterations$salt$hash (100,000 iterations).
async function hashPassword(password) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password.normalize("NFKC")), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: 100_000 }, key, 256);
  const b64 = (bytes) => Buffer.from(bytes).toString("base64");
  return `pbkdf2-sha256$100000$${b64(salt)}$${b64(new Uint8Array(bits))}`;
}

const q = (value) => (value === null || value === undefined ? "NULL" : typeof value === "number" ? String(value) : `'${String(value).replace(/'/g, "''")}'`);
const row = (table, values) =>
  `INSERT OR IGNORE INTO ${table} (${Object.keys(values).join(", ")}) VALUES (${Object.values(values).map(q).join(", ")});`;

const now = Date.now();
const day = 86_400_000;
const people = [
  { id: "usr_demo_owner", email: "owner@demo.enclave.test", name: "林美 Mei Lin", role: "owner", locale: "zh-Hant", tz: "Asia/Taipei", source: "owner" },
  { id: "usr_demo_admin", email: "admin@demo.enclave.test", name: "Daniel Chen", role: "admin", locale: "en", tz: "Asia/Taipei", source: "invite" },
  { id: "usr_demo_mod", email: "mod@demo.enclave.test", name: "張雅婷 Ya-Ting", role: "moderator", locale: "zh-Hant", tz: "Asia/Taipei", source: "instagram" },
  { id: "usr_demo_vip", email: "vip@demo.enclave.test", name: "Hiro Tanaka", role: "member", locale: "en", tz: "Asia/Tokyo", source: "youtube", comp: "vip" },
  { id: "usr_demo_member", email: "member@demo.enclave.test", name: "王小明 Ming", role: "member", locale: "zh-Hant", tz: "Asia/Taipei", source: "tiktok" },
  { id: "usr_demo_sofia", email: "sofia@demo.enclave.test", name: "Sofia Rossi", role: "member", locale: "en", tz: "Europe/Rome", source: "line" },
];

const community = { id: "com_demo_creator_lab", slug: "creator-lab", name: "Creator Lab 創作者實驗室" };
const tiers = [
  { key: "free", rank: 0, name: "免費", description: "公開討論與每月一次的線上聚會。" },
  { key: "member", rank: 1, name: "會員", description: "完整討論區、每週直播與課程回放。" },
  { key: "vip", rank: 2, name: "VIP", description: "一對一諮詢、私密頻道與優先報名。" },
];
const prices = [
  { id: "prc_demo_member_month", tier: "member", interval: "month", amount: 30000, currency: "twd" },
  { id: "prc_demo_member_year", tier: "member", interval: "year", amount: 300000, currency: "twd" },
  { id: "prc_demo_vip_month", tier: "vip", interval: "month", amount: 90000, currency: "twd" },
  { id: "prc_demo_vip_year", tier: "vip", interval: "year", amount: 900000, currency: "twd" },
];

const sql = [];
for (const [i, p] of people.entries()) {
  sql.push(
    row("users", {
      id: p.id, email: p.email, password_hash: await hashPassword(DEMO_PASSWORD), name: p.name, name_folded: foldCase(p.name), bio: "", locale: p.locale,
      timezone: p.tz, notification_prefs: "{}", kind: "person", email_verified_at: now, created_at: now - (30 - i) * day,
    }),
  );
}
sql.push(
  row("communities", {
    id: community.id, slug: community.slug, name: community.name,
    description: "給內容創作者的私域社群：一起研究經營、變現與社群成長。A private home for creators to learn growth, monetisation and community together.",
    default_locale: "zh-Hant", visibility: "private", owner_id: "usr_demo_owner", created_at: now - 30 * day,
  }),
);
for (const t of tiers) sql.push(row("tiers", { community_id: community.id, key: t.key, rank: t.rank, name: t.name, description: t.description, trial_days: t.key === "member" ? 7 : 0 }));
for (const p of prices) sql.push(row("prices", { id: p.id, community_id: community.id, tier_key: p.tier, interval: p.interval, amount: p.amount, currency: p.currency, active: 1, created_at: now - 30 * day }));
// published pricing in TWD with WELCOME10 accepted; `npm start` makes the prices in the Stripe
// stand-in (scripts/stripe-stand-in/demo-prices.mjs), so Upgrade works offline (ADR 037)
sql.push(row("billing_settings", { community_id: community.id, currency: "twd", allow_promotion_codes: 1, grace_days: 7, refund_policy: "revoke", pricing_published: 1, updated_at: now }));
for (const [i, p] of people.entries()) {
  sql.push(
    row("memberships", {
      community_id: community.id, user_id: p.id, role: p.role, paid_tier: "free", comp_tier: p.comp ?? null,
      status: "active", joined_at: now - (30 - i) * day, source: p.source,
    }),
  );
  sql.push(row("consents", { id: `cns_demo_${i}`, user_id: p.id, community_id: community.id, purpose: "essential", granted: 1, at: now - (30 - i) * day }));
}
sql.push(
  row("invites", { code: "welcome-demo", community_id: community.id, tier: "free", max_uses: 100, uses: 0, expires_at: null, source: "instagram", created_by: "usr_demo_owner", created_at: now }),
);

// Discussion spaces with a few conversations, so the demo looks like a community in use, and a chat space.
const spaces = [
  { id: "spc_demo_announce", name: "📣 公告 Announcements", description: "社群最新消息與活動公告。", min_tier: "free", position: 0 },
  { id: "spc_demo_general", name: "💬 創作討論 General", description: "分享作品、提問、交流經營心得。", min_tier: "free", position: 1 },
  { id: "spc_demo_members", name: "📈 變現研究室 Monetisation", description: "會員限定：付費模式、定價與轉換率。", min_tier: "member", position: 2 },
  { id: "spc_demo_vip", name: "💎 VIP 私房 Inner circle", description: "VIP 限定的深度諮詢與案例拆解。", min_tier: "vip", position: 3 },
  // a real-time chat channel (issue 12); its messages live in the channel's Durable Object, not here
  { id: "spc_demo_lounge", kind: "chat", name: "💬 聊天室 Lounge", description: "即時聊天：打聲招呼、隨意交流。Say hi and chat live.", min_tier: "free", position: 4 },
];
for (const sp of spaces) {
  sql.push(row("spaces", { id: sp.id, community_id: community.id, kind: sp.kind ?? "discussion", name: sp.name, description: sp.description, min_tier: sp.min_tier, private: 0, position: sp.position, created_by: "usr_demo_owner", created_at: now - 29 * day }));
}
const posts = [
  { id: "pst_demo_welcome", space: "spc_demo_announce", author: "usr_demo_owner", title: "歡迎來到 Creator Lab！Welcome 👋", pinned: true,
    body: "大家好，我是 **林美**。這裡是我們的私域社群：\n\n- 在 **創作討論** 自我介紹\n- 會員可以進入 **變現研究室**\n- 每月第一個週六有線上聚會\n\nHello everyone — introduce yourself in *General* and say what you are building!" },
  { id: "pst_demo_intro", space: "spc_demo_general", author: "usr_demo_member", title: "自我介紹：我在做 Podcast 🎙️",
    body: "大家好，我是小明，經營一個關於咖啡的 Podcast，目前每週更新。想請教大家怎麼把聽眾帶到自己的社群？" },
  { id: "pst_demo_tools", space: "spc_demo_general", author: "usr_demo_sofia", title: "Which tools do you use to schedule posts?",
    body: "I publish on Instagram and YouTube. What do you use to plan a content calendar across platforms? Any tips for a small team?" },
  { id: "pst_demo_pricing", space: "spc_demo_members", author: "usr_demo_admin", title: "付費模式拆解：月費 vs 年費",
    body: "我們比較了三個社群的付費模式：\n\n1. 月費 NT$300，轉換率 4%\n2. 年費 NT$3,000，續訂率較高\n3. 混合方案\n\n結論：**年費方案** 搭配 7 天試用效果最好。" },
  { id: "pst_demo_vip", space: "spc_demo_vip", author: "usr_demo_owner", title: "VIP 案例：從 0 到 1,000 位付費會員",
    body: "這一篇分享我們從零開始累積一千位付費會員的完整時間線與數據。" },
];
for (const [i, po] of posts.entries()) {
  const at = now - (20 - i * 3) * day;
  sql.push(row("posts", { id: po.id, community_id: community.id, space_id: po.space, author_id: po.author, title: po.title, body: po.body, moderation_status: "visible", comment_count: 0, pinned_at: po.pinned ? at : null, created_at: at }));
}
const comments = [
  { id: "cmt_demo_1", post: "pst_demo_intro", author: "usr_demo_owner", parent: null, body: "歡迎小明！可以在每集節目結尾放社群的邀請連結，並說明加入後能得到什麼。" },
  { id: "cmt_demo_2", post: "pst_demo_intro", author: "usr_demo_member", parent: "cmt_demo_1", body: "謝謝林美！我這週就試試看 🙏" },
  { id: "cmt_demo_3", post: "pst_demo_tools", author: "usr_demo_vip", parent: null, body: "We keep a shared calendar and batch-record on Mondays. Simple beats clever. <@usr_demo_admin> has our template." },
  { id: "cmt_demo_4", post: "pst_demo_pricing", author: "usr_demo_mod", parent: null, body: "年費方案的退款政策你們怎麼設計？" },
];
for (const [i, c] of comments.entries()) {
  sql.push(row("comments", { id: c.id, community_id: community.id, post_id: c.post, author_id: c.author, parent_id: c.parent, root_id: c.parent, body: c.body, moderation_status: "visible", created_at: now - (10 - i) * day }));
}
sql.push(`UPDATE posts SET comment_count = (SELECT count(*) FROM comments WHERE comments.post_id = posts.id AND comments.deleted_at IS NULL) WHERE community_id = '${community.id}';`);
for (const [target, user, emoji] of [
  ["pst_demo_welcome", "usr_demo_member", "❤️"], ["pst_demo_welcome", "usr_demo_sofia", "🎉"], ["pst_demo_welcome", "usr_demo_vip", "🎉"],
  ["pst_demo_intro", "usr_demo_owner", "👍"], ["pst_demo_pricing", "usr_demo_vip", "🔥"],
]) {
  sql.push(row("reactions", { community_id: community.id, target_type: "post", target_id: target, user_id: user, emoji, created_at: now }));
}
sql.push(row("audit_log", { id: "aud_demo_seed", community_id: community.id, actor_id: "usr_demo_owner", action: "community.create", target_type: "community", target_id: community.id, data: null, at: now - 30 * day }));

const dir = mkdtempSync(join(tmpdir(), "enclave-seed-"));
const file = join(dir, "seed.sql");
writeFileSync(file, sql.join("\n"));
execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "-c", "wrangler.toml", ...persistArgs, "--file", file], {
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});

// the search index lives in its own database and is rebuilt from the main one
execFileSync("npx", ["node", "scripts/reindex.mjs", ...persistArgs], {
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});

console.log(`
  Enclave demo community seeded: "${community.name}" (/c/${community.slug})
  Sign in as the owner:  ${people[0].email}  /  ${DEMO_PASSWORD}
  Other demo members (same password): ${people.slice(1).map((p) => p.email).join(", ")}
  Invite link: http://127.0.0.1:${process.env.ENCLAVE_PORT || "8787"}/invite/welcome-demo
`);
