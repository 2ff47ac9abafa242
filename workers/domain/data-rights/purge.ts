// Running the purges of an erased account through the spine (ADR 019). `account.erased` runs each
// registered purge's first slice as a handler of its own (so one failing purge is retried without
// re-running the others); a purge with more to do emits `account.purge_continued` for its next
// slice, with an id derived from the running event, so a slice that runs twice emits it once.
import { emitFollowUp } from "../events/emit";
import type { DomainEvent } from "../events/kinds";
import { purgeNamed } from "./registry";
import type { Purge } from "./types";

async function runSlice(env: Env, from: { id: string }, userId: string, purge: Purge, cursor: string | null) {
  const next = await purge.run(env, userId, cursor);
  if (next === null) return;
  await emitFollowUp(env, from, `${purge.name}\n${next}`, {
    kind: "account.purge_continued",
    communityId: null,
    subject: { type: "user", id: userId },
    payload: { userId, purge: purge.name, cursor: next },
  });
}

/** The handler of `account.erased` for one purge: its first slice. */
export const purgeHandler = (purge: Purge) => ({
  name: purge.name,
  run: (env: Env, event: DomainEvent<"account.erased">) => runSlice(env, event, event.payload.userId, purge, null),
});

/** The handler of `account.purge_continued`: the named purge's next slice. Throws for an unknown name. */
export async function continuePurge(env: Env, event: DomainEvent<"account.purge_continued">): Promise<void> {
  const purge = purgeNamed(event.payload.purge);
  if (!purge) throw new Error(`no purge named ${event.payload.purge}`);
  await runSlice(env, event, event.payload.userId, purge, event.payload.cursor);
}
