// Account erasure (DELETE /me). The users row stays as "Deleted member" so content and audit
// trails keep pointing at someone; everything personal goes in ONE batch so a failure leaves the
// account whole rather than half-erased. A feature that stores personal rows adds an entry to
// `erasureSteps` (and a section to export.ts); work outside D1 goes in `afterErase`.
import { and, eq, isNull, or } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { getDb, schema } from "../../db/client";
import { verifyPassword } from "../../lib/crypto";
import { conflict } from "../../lib/errors";
import { commitAccessWrite, writeMembershipErasure } from "../access-changes";
import { auditInsert } from "../audit";
import { invalidCredentials } from "../auth/login";
import { limitByEmail } from "../rate-limits";
import { eraseDiscussionData } from "../discussions/data-rights";
import { announceEvents } from "../events/emit";
import { renameEvent } from "./profile";
import { loadUserRow, type UserRow } from "./user-view";
import { eraseNotificationData } from "../notifications/account-data";

export { DELETED_MEMBER_NAME } from "../../lib/vocabulary";
import { DELETED_MEMBER_NAME } from "../../lib/vocabulary";

type ErasureContext = { env: Env; user: UserRow; now: Date; uploadKeys: string[] };
type ErasureStep = (ctx: ErasureContext) => BatchItem<"sqlite">[];

export const erasureSteps: ErasureStep[] = [
  ({ env, user, now }) => [
    getDb(env)
      .update(schema.users)
      .set({
        email: null,
        ...schema.userName(DELETED_MEMBER_NAME),
        bio: "",
        avatarUrl: null,
        passwordHash: null,
        notificationPrefs: {},
        deletedAt: now,
      })
      .where(eq(schema.users.id, user.id)),
  ],
  ({ env, user }) => {
    const db = getDb(env);
    const personal = [
      db.delete(schema.sessions).where(eq(schema.sessions.userId, user.id)),
      db.delete(schema.emailTokens).where(eq(schema.emailTokens.userId, user.id)),
      db.delete(schema.consents).where(eq(schema.consents.userId, user.id)),
      db.delete(schema.uploads).where(eq(schema.uploads.userId, user.id)),
      // remembered answers of the member's creates carry their name and words
      db.delete(schema.idempotencyKeys).where(eq(schema.idempotencyKeys.userId, user.id)),
    ];
    const mailTo = user.email
      ? or(eq(schema.outbox.userId, user.id), eq(schema.outbox.toEmail, user.email))
      : eq(schema.outbox.userId, user.id);
    return [...personal, db.delete(schema.outbox).where(mailTo)];
  },
  // memberships, space listings and ban reasons: access-changes.ts writeMembershipErasure, in eraseAccount
  // audit rows stay for the communities' accountability; their free-form data may hold names and emails
  ({ env, user }) => [
    getDb(env)
      .update(schema.auditLog)
      .set({ data: null })
      .where(or(eq(schema.auditLog.actorId, user.id), eq(schema.auditLog.targetId, user.id))),
  ],
  eraseNotificationData,
  eraseDiscussionData,
];

type AfterErase = (ctx: ErasureContext) => Promise<void>;

export const afterErase: AfterErase[] = [
  async ({ env, uploadKeys }) => {
    // R2 deletes take at most 1000 keys per call
    for (let i = 0; i < uploadKeys.length; i += 1000) await env.UPLOADS.delete(uploadKeys.slice(i, i + 1000));
  },
];

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
  const [uploads, memberOf] = await db.batch([
    db.select({ key: schema.uploads.key }).from(schema.uploads).where(eq(schema.uploads.userId, user.id)),
    db.select({ communityId: m.communityId }).from(m).where(and(eq(m.userId, user.id), eq(m.status, "active"))),
  ]);
  const ctx: ErasureContext = { env, user, now: new Date(), uploadKeys: uploads.map((u) => u.key) };
  const statements = erasureSteps.flatMap((step) => step(ctx));
  const access = writeMembershipErasure(env, user.id, memberOf.map((r) => r.communityId));
  // others' posts that mention them show "Deleted member" in excerpts and search too (ADR 017)
  const renamed = renameEvent(env, user.id);
  await commitAccessWrite(env, access, [
    // ids only, no data: nothing personal is left for the scrub to remove
    auditInsert(env, { communityId: null, actorId: user.id, action: "account.erased", targetType: "user", targetId: user.id }),
    ...statements,
    renamed.statement,
  ]);
  await announceEvents(env, [renamed.id]);
  for (const step of afterErase) await step(ctx);
}
