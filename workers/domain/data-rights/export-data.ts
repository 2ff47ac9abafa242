// Export archives are personal data too (ADR 019): an account archive holds everything about its
// owner, a member list holds the members. The rows and R2 objects of an erased person's jobs go
// through the purge, which also aborts a multipart upload a running job left open.
import { eq, inArray } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { purged, type PersonalData } from "./types";

/** R2 prefix of one person's export archives and their staging objects. */
export const exportPrefix = (userId: string) => `x/${userId}/`;

/**
 * Deletes every object under `prefix` in `bucket`, a listed page (≤ 1,000 keys, R2's most per
 * delete) at a time. Idempotent: an empty prefix costs one list.
 */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const listed = await bucket.list({ prefix, cursor, limit: 1000 });
    if (listed.objects.length > 0) await bucket.delete(listed.objects.map((o) => o.key));
    cursor = listed.truncated ? listed.cursor : undefined;
  } while (cursor);
}

/**
 * Aborts an unfinished multipart upload so its parts go (list() never shows them). Never throws:
 * an upload already completed or aborted is what the caller wants anyway.
 */
export async function abortUpload(bucket: R2Bucket, key: string, uploadId: string): Promise<void> {
  await bucket.resumeMultipartUpload(key, uploadId).abort().catch(() => undefined);
}

/** Rows handled per purge slice; each may cost an abort and a list + delete in R2. */
const PURGE_JOBS = 50;

export const exportJobData: PersonalData = {
  name: "export archives",
  columns: { "export_jobs.user_id": purged },
  purge: {
    name: "exports",
    run: async (env, userId) => {
      const db = getDb(env);
      const j = schema.exportJobs;
      const jobs = await db.select({ id: j.id, state: j.state, objectKey: j.objectKey }).from(j).where(eq(j.userId, userId)).limit(PURGE_JOBS);
      for (const job of jobs) {
        const uploadId = typeof job.state?.uploadId === "string" ? job.state.uploadId : null;
        if (uploadId && job.objectKey) await abortUpload(env.UPLOADS, job.objectKey, uploadId);
      }
      // every object under the prefix: archives, staging parts, and any a crashed step left behind
      await deletePrefix(env.UPLOADS, exportPrefix(userId));
      // only the rows whose uploads were aborted above; the next slice takes the rest
      if (jobs.length > 0) await db.delete(j).where(inArray(j.id, jobs.map((job) => job.id)));
      return jobs.length === PURGE_JOBS ? "more" : null;
    },
  },
};
