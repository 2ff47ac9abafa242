import { getDb, schema } from "../../db/client";
import { newId } from "../../lib/ids";

/** Joining records the essential-processing consent the membership itself depends on. */
export function essentialConsentInsert(env: Env, userId: string, communityId: string, at: Date) {
  return getDb(env)
    .insert(schema.consents)
    .values({ id: newId("cns"), userId, communityId, purpose: "essential", granted: true, at });
}
