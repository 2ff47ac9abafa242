import { and, desc, eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import type { Page, PageRequest } from "./types";
import type { UserRef } from "./views";
import { olderThan } from "../paging";

export type AuditEntryView = {
  id: string;
  action: string;
  actor: UserRef | null;
  targetType: string | null;
  targetId: string | null;
  data: Record<string, unknown> | null;
  at: string;
};

export async function listAuditLog(env: Env, communityId: string, page: PageRequest): Promise<Page<AuditEntryView>> {
  const a = schema.auditLog;
  const u = schema.users;
  const after = page.after;
  const rows = await getDb(env)
    .select({ entry: a, actorName: u.name, actorId: u.id })
    .from(a)
    .leftJoin(u, eq(u.id, a.actorId))
    .where(
      and(
        eq(a.communityId, communityId),
        olderThan(after, a.at, a.id),
      ),
    )
    .orderBy(desc(a.at), desc(a.id))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit).map(
    ({ entry, actorId, actorName }): AuditEntryView => ({
      id: entry.id,
      action: entry.action,
      actor: actorId ? { id: actorId, name: actorName ?? "" } : null,
      targetType: entry.targetType,
      targetId: entry.targetId,
      data: entry.data,
      at: entry.at.toISOString(),
    }),
  );
  const last = rows.length > page.limit ? rows[page.limit - 1].entry : null;
  return { items, next: last ? [last.at.getTime(), last.id] : null };
}
