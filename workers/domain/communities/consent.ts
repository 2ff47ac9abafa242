import { getDb, schema } from "../../db/client";
import { changedJustBefore, rowWhere } from "../../db/insert-select";
import { newId } from "../../lib/ids";

/**
 * Joining records the essential-processing consent the membership itself depends on: written
 * only if the statement just before it in the batch changed a row, so a join that did not
 * happen (a ban landed first, the invite ran out) consents to nothing.
 */
export function essentialConsentInsertIfChanged(env: Env, userId: string, communityId: string, at: Date) {
  const row = { id: newId("cns"), userId, communityId, purpose: "essential" as const, granted: true, at };
  return getDb(env).insert(schema.consents).select(rowWhere(schema.consents, row, changedJustBefore));
}
