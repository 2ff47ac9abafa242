// The local D1 databases (.wrangler/state, or --persist-to) through `wrangler d1 execute --local`,
// for the scripts that rewrite them from outside a Worker (reindex.mjs, text-backfill.mjs).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };

/** Runs `what` (--command SQL or --file path) on binding `database`; returns wrangler's JSON answer. */
export function localD1(database, what, { config = "wrangler.toml", persistTo } = {}) {
  const cmd = ["wrangler", "d1", "execute", database, "--local", "-c", config, "--json", ...what];
  if (persistTo) cmd.push("--persist-to", persistTo);
  const res = spawnSync("npx", cmd, { cwd: root, env, encoding: "utf8", maxBuffer: 1 << 30 });
  if (res.status !== 0) throw new Error(`wrangler d1 execute ${database} failed:\n${res.stderr || res.stdout}`);
  return JSON.parse(res.stdout);
}

/** A SQL literal: NULL, a number, or a quoted string. */
export const quote = (value) =>
  value === null || value === undefined ? "NULL" : typeof value === "number" ? String(value) : `'${String(value).replace(/'/g, "''")}'`;
