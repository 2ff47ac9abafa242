// SQLite reports a unique index refusing a row only as text ("UNIQUE constraint failed: t.col,
// t.col2"), which D1 puts in the error's message and drizzle, wrapping it, in the cause's.
// Where a race is settled by a unique index, this is how the loser is recognised.

/**
 * Whether `err` (or an error it wraps as `cause`) is SQLite's UNIQUE constraint failure, and with
 * `column` ("table.column", e.g. "users.email") whether that column is among the ones it names.
 * Anything else — a foreign-key failure, a lost connection, a non-Error — is false.
 */
export function isUniqueViolation(err: unknown, column?: string): boolean {
  for (let at: unknown = err, depth = 0; at instanceof Error && depth < 5; at = at.cause, depth++) {
    const failed = /UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)/i.exec(at.message);
    if (failed && (column === undefined || failed[1].split(", ").includes(column))) return true;
  }
  return false;
}
