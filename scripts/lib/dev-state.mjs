// What `npm start` (scripts/start.mjs) reads to tell whether a step's work is already done.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { root } from "./local-d1.mjs";

/** Where `wrangler dev --local` and `wrangler d1 … --local` keep D1, R2 and Durable Objects. */
export const LOCAL_STATE = ".wrangler/state";

function* files(path) {
  if (!existsSync(path)) return;
  if (!statSync(path).isDirectory()) {
    yield path;
    return;
  }
  for (const name of readdirSync(path).sort()) yield* files(join(path, name));
}

/**
 * SHA-256 (hex) over the paths (relative to the repository) and contents of every file under
 * `paths` (files or folders, walked in name order). A missing path counts as empty, so creating
 * it changes the hash.
 */
export function contentHash(paths) {
  const hash = createHash("sha256");
  for (const path of paths) {
    hash.update(`${path}\0`);
    for (const file of files(join(root, path))) hash.update(`${relative(root, file)}\0`).update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}

/** Whether the local D1 databases exist at all (a deleted state must be migrated and seeded again). */
export function localDatabasesExist() {
  const dir = join(root, LOCAL_STATE, "v3", "d1", "miniflare-D1DatabaseObject");
  return existsSync(dir) && readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite").length >= 2;
}
