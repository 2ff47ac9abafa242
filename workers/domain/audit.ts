// Every admin action writes the audit log, in the same batch as the change it records.
import { sql } from "drizzle-orm";
import { getDb, schema } from "../db/client";
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
  const db = getDb(env);
  const value = <T>(v: T, name: string) => sql<T>`${v}`.as(name);
  return db.insert(schema.auditLog).select(
    db
      .select({
        id: value(newId("aud"), "id"),
        communityId: value(entry.communityId, "community_id"),
        actorId: value(entry.actorId, "actor_id"),
        action: value(entry.action, "action"),
        targetType: value(entry.targetType ?? null, "target_type"),
        targetId: value(entry.targetId ?? null, "target_id"),
        data: value(entry.data === undefined ? null : JSON.stringify(entry.data), "data"),
        at: value(Date.now(), "at"),
      })
      .from(sql`(select 1)`)
      .where(sql`changes() > 0`),
  );
}
