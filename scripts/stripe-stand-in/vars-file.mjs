// Secrets for `wrangler dev` without a command line (ADR 040): `--var NAME:value` shows the value to
// anyone who runs `ps` on the machine, so `npm start` and the e2e run write the Stripe settings into
// a dotenv file only their user can read (mode 0600, in the local state folder) and hand wrangler
// its path with `--env-file` (wrangler 4: "Path to an .env file to load - can be specified multiple
// times - values from earlier files are overridden by values in later files").
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** A value that dotenv reads back unchanged without quoting, and dotenv-expand (which wrangler runs) leaves alone. */
const PLAIN = /^[A-Za-z0-9_.:/@+=,-]*$/;

/**
 * Writes `vars` (NAME → value) to `file` as dotenv lines, readable and writable by this user only
 * (0600, also when the file existed with a wider mode); its folder is made if missing.
 * @param {string} file
 * @param {Record<string, string>} vars
 * @throws Error for a name or value that would need quoting (spaces, quotes, `$`, `#`, newlines)
 */
export function writeVarsFile(file, vars) {
  const lines = Object.entries(vars).map(([name, value]) => {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name) || !PLAIN.test(value)) throw new Error(`${name}: the value cannot be written to a dotenv file as it is`);
    return `${name}=${value}`;
  });
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `# written by Enclave's start scripts for wrangler dev --env-file; do not edit\n${lines.join("\n")}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * The command lines (Linux `/proc/<pid>/cmdline`, arguments joined by spaces) of this machine's
 * processes that contain any of `secrets` — what `ps -ef` would show everyone. Empty where /proc
 * is missing. Used by the e2e run to prove the Stripe secrets are not passed as arguments.
 * @param {string[]} secrets
 * @returns {string[]}
 */
export function commandLinesShowing(secrets) {
  let pids;
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const found = [];
  for (const pid of pids) {
    let line;
    try {
      line = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      continue; // gone meanwhile
    }
    if (secrets.some((secret) => secret && line.includes(secret))) found.push(`${pid}: ${line}`);
  }
  return found;
}
