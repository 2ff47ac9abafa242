// Every admin action writes the audit log, in the same batch as the change it records.
import { getDb, schema } from "../db/client";
import { changedJustBefore, rowWhere } from "../db/insert-select";
import { newId } from "../lib/ids";

export type AuditEntry = {
  communityId: string | null;
  actorId: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  data?: Record<string, unknown>;
};

export function auditInsert(env: Env, entry: AuditEntry) {
  return getDb(env)
    .insert(schema.auditLog)
    .values({ id: newId("aud"), at: new Date(), ...entry });
}

/**
 * The audit row for a conditional change, written only if the statement just before it in the
 * batch changed a row (SQLite's changes()): a change that lost a race leaves no record of itself.
 * Two in a row chain: the second sees the first one's insert.
 */
export function auditInsertIfChanged(env: Env, entry: AuditEntry) {
  const row = { id: newId("aud"), at: new Date(), ...entry };
  return getDb(env).insert(schema.auditLog).select(rowWhere(schema.auditLog, row, changedJustBefore));
}
