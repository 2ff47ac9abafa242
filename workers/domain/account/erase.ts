// Account erasure (DELETE /me). The users row stays as "Deleted member" so content and audit
// trails keep pointing at someone; everything personal goes in ONE batch so a failure leaves the
// account whole rather than half-erased. What each kind of personal data does is registered in
// domain/data-rights/registry.ts (ADR 019): its step in the batch, and its purge outside D1,
// which runs through the spine's `account.erased` event (retried, dead-lettered for an operator).
import { and, eq, isNull } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { verifyPassword } from "../../lib/crypto";
import { conflict } from "../../lib/errors";
import { commitAccessWrite, writeMembershipErasure } from "../access-changes";
import { auditInsert } from "../audit";
import { invalidCredentials } from "../auth/login";
import { limitByEmail } from "../rate-limits";
import { erasureSteps } from "../data-rights/registry";
import { announceEvents, eventInsert } from "../events/emit";
import { renameEvent } from "./profile";
import { loadUserRow } from "./user-view";

export { DELETED_MEMBER_NAME } from "../../lib/vocabulary";

export async function eraseAccount(env: Env, userId: string, password: string): Promise<void> {
  const db = getDb(env);
  const user = await loadUserRow(env, userId);
  await limitByEmail(env, `erase:${user.id}`);
  if (!(await verifyPassword(password, user.passwordHash))) throw invalidCredentials();

  const owned = await db
    .select({ slug: schema.communities.slug })
    .from(schema.communities)
    .where(and(eq(schema.communities.ownerId, user.id), isNull(schema.communities.deletedAt)));
  if (owned.length > 0) {
    throw conflict("You own a community: transfer or delete it before deleting your account.", {
      communities: owned.map((c) => c.slug),
    });
  }

  const m = schema.memberships;
  const memberOf = await db.select({ communityId: m.communityId }).from(m).where(and(eq(m.userId, user.id), eq(m.status, "active")));
  const statements = erasureSteps.flatMap((step) => step({ env, user, now: new Date() }));
  const access = writeMembershipErasure(env, user.id, memberOf.map((r) => r.communityId));
  // others' posts that mention them show "Deleted member" in excerpts and search too (ADR 017)
  const renamed = renameEvent(env, user.id);
  // R2 objects now; Durable Objects, Stripe and AI caches later: registry.ts purges
  const erased = eventInsert(env, { kind: "account.erased", communityId: null, subject: { type: "user", id: user.id }, payload: { userId: user.id } });
  await commitAccessWrite(env, access, [
    // ids only, no data: nothing personal is left for the scrub to remove
    auditInsert(env, { communityId: null, actorId: user.id, action: "account.erased", targetType: "user", targetId: user.id }),
    ...statements,
    renamed.statement,
    erased.statement,
  ]);
  await announceEvents(env, [renamed.id, erased.id]);
}
