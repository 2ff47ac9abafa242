// Seeds the local demo community. Idempotent: fixed ids and INSERT OR IGNORE, so a second
// `npm start` adds nothing twice. Runs the SQL through wrangler against the local D1.
import { execFileSync } from "node:child_process";
import { webcrypto as crypto } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
  { id: "prc_demo_member_month", tier: "member", interval: "month", amount: 30000, currency: "TWD" },
  { id: "prc_demo_member_year", tier: "member", interval: "year", amount: 300000, currency: "TWD" },
  { id: "prc_demo_vip_month", tier: "vip", interval: "month", amount: 90000, currency: "TWD" },
  { id: "prc_demo_vip_year", tier: "vip", interval: "year", amount: 900000, currency: "TWD" },
];

const sql = [];
for (const [i, p] of people.entries()) {
  sql.push(
    row("users", {
      id: p.id, email: p.email, password_hash: await hashPassword(DEMO_PASSWORD), name: p.name, bio: "", locale: p.locale,
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
for (const p of prices) sql.push(row("prices", { id: p.id, community_id: community.id, tier_key: p.tier, interval: p.interval, amount: p.amount, currency: p.currency, active: 1 }));
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
sql.push(row("audit_log", { id: "aud_demo_seed", community_id: community.id, actor_id: "usr_demo_owner", action: "community.create", target_type: "community", target_id: community.id, data: null, at: now - 30 * day }));

const dir = mkdtempSync(join(tmpdir(), "enclave-seed-"));
const file = join(dir, "seed.sql");
writeFileSync(file, sql.join("\n"));
execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "-c", "wrangler.toml", ...persistArgs, "--file", file], {
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});

console.log(`
  Enclave demo community seeded: "${community.name}" (/c/${community.slug})
  Sign in as the owner:  ${people[0].email}  /  ${DEMO_PASSWORD}
  Other demo members (same password): ${people.slice(1).map((p) => p.email).join(", ")}
  Invite link: http://127.0.0.1:8787/invite/welcome-demo
`);
