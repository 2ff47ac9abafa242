// Every admin action writes the audit log, in the same batch as the change it records.
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
