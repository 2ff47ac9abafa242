// Export archives are personal data too (ADR 019): an account archive holds everything about its
// owner, a member list holds the members. The rows and R2 objects of an erased person's jobs go
// through the purge, which also aborts a multipart upload a running job left open.
import { eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { purged, type PersonalData } from "./types";

/** R2 prefix of one person's export archives and their staging objects. */
export const exportPrefix = (userId: string) => `x/${userId}/`;

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
        if (uploadId && job.objectKey) {
          // an unfinished multipart upload is invisible to list(); abort it so its parts go
          await env.UPLOADS.resumeMultipartUpload(job.objectKey, uploadId).abort().catch(() => undefined);
        }
      }
      // every object under the prefix: archives, staging parts, and any a crashed step left behind
      let cursor: string | undefined;
      do {
        const listed = await env.UPLOADS.list({ prefix: exportPrefix(userId), cursor, limit: 1000 });
        if (listed.objects.length > 0) await env.UPLOADS.delete(listed.objects.map((o) => o.key));
        cursor = listed.truncated ? listed.cursor : undefined;
      } while (cursor);
      if (jobs.length > 0) await db.delete(j).where(eq(j.userId, userId));
      return jobs.length === PURGE_JOBS ? "more" : null;
    },
  },
};
