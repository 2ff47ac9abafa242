// Export jobs (API.md POST /me/exports, /communities/:slug/exports; ADR 019). A request creates
// the job row, an R2 multipart upload and the job's first step event in one go; each step is a
// spine event that reads a bounded number of keyset pages, uploads a part of exactly 5 MiB each
// time that much has gathered (R2: equal parts of at least 5 MiB, the last no larger), leaves
// what is left over in a staging object, then records where it stopped and emits the next step — the row update and the next
// event in one D1 batch, conditional on the step number, so a step delivered twice runs once. The
// finished archive is served to the job's owner only, until it expires; the cron purges it then.
import { and, desc, eq, gt, inArray, isNull, lt, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { rowWhere } from "../../db/insert-select";
import { notFound } from "../../lib/errors";
import { derivedId, newId } from "../../lib/ids";
import { loadUserRow } from "../account/user-view";
import { memberEncoders, memberSection } from "../communities/export";
import { announceEvents, eventInsert } from "../events/emit";
import { olderThan } from "../paging";
import { limitExport, refundDaily } from "../rate-limits";
import type { Page, PageRequest } from "../communities/types";
import { ArchiveTooLarge, INLINE_EXPORT_BYTES, PAGE_ITEMS, accountJson, countItems, exportAccount, type ByteBudget, type Encoder } from "./archive";
import { abortUpload, deletePrefix, exportPrefix } from "./export-data";
import { exportSections } from "./registry";
import type { ExportContext, ExportSection } from "./types";

const j = schema.exportJobs;
type JobRow = typeof j.$inferSelect;
export type ExportKind = JobRow["kind"];
export type ExportFormat = JobRow["format"];

/**
 * The size of every multipart part but the last (bytes): R2's minimum, and R2 wants all parts
 * but the last of one size, with the last no larger (R2 docs, "Multipart upload").
 */
export const PART_BYTES = 5 * 1024 * 1024;
/** How long a finished archive can be downloaded (ms), then the cron deletes it. */
export const EXPORT_TTL_MS = 7 * 24 * 60 * 60_000;
/** A job not finished after this long (its steps dead-lettered and never retried) is purged too. */
const ABANDONED_AFTER_MS = 7 * 24 * 60 * 60_000;

/**
 * How much one step does: pages of `pageItems` items, at most `pagesPerStep` pages. A page is one
 * D1 query (two for member pages, which read consents); 200 pages plus the step's own dozen
 * queries and R2 calls stay far below a queue invocation's 1,000 D1 queries and 1,000
 * subrequests. wrangler.toml's EXPORT_PAGE_ITEMS and EXPORT_PAGES_PER_STEP override the defaults
 * (the tests make steps small so a few dozen rows take many steps).
 */
export type StepLimits = { pageItems: number; pagesPerStep: number };

const positive = (value: string | undefined, fallback: number) => {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

export const stepLimits = (env: Env): StepLimits => ({
  pageItems: Math.min(positive(env.EXPORT_PAGE_ITEMS, PAGE_ITEMS), 1000),
  pagesPerStep: Math.min(positive(env.EXPORT_PAGES_PER_STEP, 200), 300),
});

/** Where a job stopped: stored in export_jobs.state between steps. */
type JobState = {
  exportedAt: string;
  uploadId: string;
  parts: { partNumber: number; etag: string }[];
  /** the encoder's head is written */
  started: boolean;
  /** index of the section being written, and the keyset within it */
  section: number;
  after: number | null;
  /** the section's opening is written; an item of it is written (the next needs a separator) */
  opened: boolean;
  wroteItem: boolean;
  /** text short of a part, saved in the staging object of the step that continues */
  staged: boolean;
};

/** A job as the API shows it (API.md "exports"). */
export type ExportView = {
  id: string;
  kind: ExportKind;
  format: ExportFormat;
  status: "pending" | "running" | "ready" | "failed";
  /** 0–1: items written over items counted when the job was created; 1 once ready */
  progress: number;
  createdAt: string;
  finishedAt: string | null;
  /** only while ready and not expired; serves the job's owner only */
  downloadUrl?: string;
  expiresAt?: string;
};

const stagedKey = (job: Pick<JobRow, "userId" | "id">, step: number) => `${exportPrefix(job.userId)}${job.id}/pending-${step}`;
const stepEventId = (jobId: string, step: number) => derivedId("evt", `export\n${jobId}\n${step}`);

const fileName = (job: Pick<JobRow, "kind" | "format" | "createdAt">, slug: string | null) =>
  job.kind === "account"
    ? `enclave-export-${job.createdAt.toISOString().slice(0, 10)}.json`
    : `${slug ?? "community"}-members.${job.format}`;
const contentType = (format: ExportFormat) => (format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8");

/** What a job writes: its sections, how they become text, and who they are read for. */
type Plan = { ctx: ExportContext; sections: ExportSection[]; encoder: (state: JobState) => Encoder };

/** The job's plan, or null when it may no longer be written (the requester was erased, or no longer owns the community). */
async function planOf(env: Env, job: Pick<JobRow, "userId" | "kind" | "format" | "communityId">): Promise<Plan | null> {
  const user = await loadUserRow(env, job.userId).catch(() => null);
  if (!user) return null;
  if (job.kind === "account") {
    return { ctx: { env, user }, sections: exportSections, encoder: (state) => accountJson(user.id, state.exportedAt) };
  }
  if (!job.communityId || !(await ownsCommunity(env, user.id, job.communityId))) return null;
  return { ctx: { env, user }, sections: [memberSection(job.communityId)], encoder: () => memberEncoders[job.format] };
}

async function ownsCommunity(env: Env, userId: string, communityId: string): Promise<boolean> {
  const c = schema.communities;
  const [row] = await getDb(env)
    .select({ id: c.id })
    .from(c)
    .where(and(eq(c.id, communityId), eq(c.ownerId, userId), isNull(c.deletedAt)))
    .limit(1);
  return Boolean(row);
}

/**
 * Start an export job, or answer the caller's unfinished one of the same kind (a second click does
 * not start a second archive). A new job spends a unit of the daily export budget (429 past it),
 * unless `spend` is false (a GET that could not answer in one response: see exportInlineOrJob). `communityId` and `format` only for `members` (the caller's
 * ownership is checked by the route). Counts the items for progress, opens the R2 multipart
 * upload, writes the row and the first step's event in one batch. Returns the job's view.
 */
export async function requestExport(
  env: Env,
  userId: string,
  spec: ExportSpec,
  options: { spend?: boolean } = {},
): Promise<ExportView> {
  const db = getDb(env);
  const spend = options.spend ?? true;
  const communityId = spec.kind === "members" ? spec.communityId : null;
  const format = spec.kind === "members" ? spec.format : "json";
  const slug = spec.kind === "members" ? spec.slug : null;
  const unfinished = and(
    eq(j.userId, userId),
    eq(j.kind, spec.kind),
    communityId ? eq(j.communityId, communityId) : isNull(j.communityId),
    eq(j.format, format),
    inArray(j.status, ["pending", "running"]),
  );
  const openJob = async () => {
    const [open] = await db.select().from(j).where(unfinished).orderBy(desc(j.createdAt)).limit(1);
    return open ? await toView(env, open, slug) : null;
  };
  const open = await openJob();
  if (open && open.status !== "failed") return open;

  const id = newId("exp");
  const now = new Date();
  const job = { id, userId, kind: spec.kind, format, communityId };
  const plan = await planOf(env, job);
  if (!plan) throw notFound("No such community.");
  const total = await countItems(plan.sections, plan.ctx);
  const objectKey = `${exportPrefix(userId)}${id}/${spec.kind === "account" ? "archive.json" : `members.${format}`}`;
  const upload = await env.UPLOADS.createMultipartUpload(objectKey, { httpMetadata: { contentType: contentType(format) } });
  const state: JobState = {
    exportedAt: now.toISOString(),
    uploadId: upload.uploadId,
    parts: [],
    started: false,
    section: 0,
    after: null,
    opened: false,
    wroteItem: false,
    staged: false,
  };
  // a new archive costs a unit of the day's budget, spent before the job exists so a refused
  // request never shows a job; a request that then loses the race to an identical one gives it back
  if (spend) {
    try {
      await limitExport(env, userId);
    } catch (error) {
      await upload.abort().catch(() => undefined);
      throw error;
    }
  }
  const first = eventInsert(env, stepEvent(id, communityId, 0), { id: await stepEventId(id, 0) });
  const row = { ...job, status: "pending" as const, totalItems: total, state, objectKey, createdAt: now, updatedAt: now };
  try {
    // written only while no unfinished job of the same scope exists (a dead one aside): two
    // requests racing past the read above still make one job
    const live = open ? and(unfinished, sql`${j.id} <> ${open.id}`) : unfinished;
    await db.batch([
      db.insert(j).select(rowWhere(j, row, sql`not exists (select 1 from ${j} where ${live})`)),
      // (written even when the row was not; its step then finds no job and does nothing)
      first.statement,
    ]);
  } catch (error) {
    await upload.abort().catch(() => undefined);
    if (spend) await refundDaily(env, "export", userId);
    throw error;
  }
  const created = await loadJob(env, id);
  if (!created) {
    // another request made it first: answer that one
    await upload.abort().catch(() => undefined);
    if (spend) await refundDaily(env, "export", userId);
    const winner = await openJob();
    if (winner) return winner;
    throw new Error("export job vanished");
  }
  await announceEvents(env, [first.id]);
  return toView(env, created, slug);
}

const stepEvent = (jobId: string, communityId: string | null, step: number) => ({
  kind: "export.step" as const,
  communityId,
  subject: { type: "export" as const, id: jobId },
  payload: { jobId, step },
});

async function loadJob(env: Env, id: string): Promise<JobRow | undefined> {
  const [row] = await getDb(env).select().from(j).where(eq(j.id, id)).limit(1);
  return row;
}

/** Bytes gathered for the next parts, kept as encoded chunks. */
class PartBuffer {
  private chunks: Uint8Array[] = [];
  size = 0;
  private static encoder = new TextEncoder();
  append(text: string | Uint8Array) {
    const bytes = typeof text === "string" ? PartBuffer.encoder.encode(text) : text;
    if (bytes.byteLength === 0) return;
    this.chunks.push(bytes);
    this.size += bytes.byteLength;
  }
  /** The first `count` bytes (all when fewer are held); the rest stays for the next part. */
  take(count = this.size): Uint8Array {
    const n = Math.min(count, this.size);
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.byteLength, n - at);
      out.set(chunk.subarray(0, used), at);
      at += used;
      if (used === chunk.byteLength) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.size -= n;
    return out;
  }
}

/**
 * One step of an export job (the `export.step` handler). Idempotent: a step whose number the job
 * has passed only makes sure the next one was announced; a step cut off half-way runs again from
 * the state the last finished step recorded (R2 replaces a part uploaded again under its number).
 * Throws when D1 or R2 fail, so the spine retries it with backoff.
 */
export async function runExportStep(env: Env, at: { jobId: string; step: number }, limits: StepLimits = stepLimits(env)): Promise<void> {
  const job = await loadJob(env, at.jobId);
  if (!job || job.status === "ready" || job.status === "failed") return;
  if (job.step !== at.step) {
    // a step ran and committed, but the isolate may have died before announcing the next
    if (job.step > at.step) await announceEvents(env, [await stepEventId(job.id, job.step)]);
    return;
  }
  const state = job.state as JobState;
  const plan = await planOf(env, job);
  const upload = env.UPLOADS.resumeMultipartUpload(job.objectKey!, state.uploadId);
  if (!plan) {
    await upload.abort().catch(() => undefined);
    await finish(env, job, { status: "failed", error: "no_longer_allowed" });
    return;
  }
  // a last step that completed the upload but died before recording it
  const done = await env.UPLOADS.head(job.objectKey!);
  if (done) {
    await finish(env, job, { status: "ready", size: done.size });
    return;
  }

  const encoder = plan.encoder(state);
  const next: JobState = { ...state, parts: [...state.parts] };
  const buffer = new PartBuffer();
  if (state.staged) {
    const staged = await env.UPLOADS.get(stagedKey(job, job.step));
    if (!staged) throw new Error(`export ${job.id}: staging object of step ${job.step} is missing`);
    buffer.append(new Uint8Array(await staged.arrayBuffer()));
  }
  if (!next.started) {
    buffer.append(encoder.head);
    next.started = true;
  }
  let written = 0;
  let pages = 0;
  while (next.section < plan.sections.length && pages < limits.pagesPerStep) {
    const section = plan.sections[next.section]!;
    if (!next.opened) {
      buffer.append(encoder.open(section));
      next.opened = true;
      next.wroteItem = false;
    }
    let sectionDone: boolean;
    if (section.shape === "object") {
      buffer.append(encoder.item(await section.build(plan.ctx), true));
      written += 1;
      sectionDone = true;
    } else {
      const page = await section.page(plan.ctx, next.after, limits.pageItems);
      for (const item of page.items) {
        buffer.append(encoder.item(item, !next.wroteItem));
        next.wroteItem = true;
      }
      written += page.items.length;
      next.after = page.last;
      sectionDone = page.last === null;
    }
    pages += 1;
    if (sectionDone) {
      buffer.append(encoder.close(section));
      next.section += 1;
      next.after = null;
      next.opened = false;
    }
    // R2 wants every part but the last of one size, and the last no larger: cut exactly
    while (buffer.size >= PART_BYTES) {
      const part = await upload.uploadPart(next.parts.length + 1, buffer.take(PART_BYTES));
      next.parts.push({ partNumber: part.partNumber, etag: part.etag });
    }
  }

  const finished = next.section >= plan.sections.length;
  if (finished) {
    buffer.append(encoder.tail);
    while (buffer.size > 0 || next.parts.length === 0) {
      const part = await upload.uploadPart(next.parts.length + 1, buffer.take(PART_BYTES));
      next.parts.push({ partNumber: part.partNumber, etag: part.etag });
    }
    const object = await upload.complete(next.parts);
    await finish(env, job, { status: "ready", size: object.size, doneItems: job.doneItems + written });
    return;
  }
  next.staged = buffer.size > 0;
  if (next.staged) await env.UPLOADS.put(stagedKey(job, job.step + 1), buffer.take());
  const db = getDb(env);
  const following = eventInsert(env, stepEvent(job.id, job.communityId, job.step + 1), {
    id: await stepEventId(job.id, job.step + 1),
  });
  await db.batch([
    db
      .update(j)
      .set({ status: "running", state: next, step: job.step + 1, doneItems: job.doneItems + written, updatedAt: new Date() })
      .where(and(eq(j.id, job.id), eq(j.step, job.step))),
    following.statement,
  ]);
  await announceEvents(env, [following.id]);
  if (state.staged) await env.UPLOADS.delete(stagedKey(job, job.step));
}

/** Record the job's end (conditional on its step, so a stale run records nothing) and drop staging objects. */
async function finish(
  env: Env,
  job: JobRow,
  end: { status: "ready"; size: number; doneItems?: number } | { status: "failed"; error: string },
): Promise<void> {
  const now = new Date();
  await getDb(env)
    .update(j)
    .set(
      end.status === "ready"
        ? { status: "ready", size: end.size, doneItems: end.doneItems ?? job.totalItems, state: null, step: job.step + 1, finishedAt: now, updatedAt: now, expiresAt: new Date(now.getTime() + EXPORT_TTL_MS) }
        : { status: "failed", error: end.error, state: null, step: job.step + 1, finishedAt: now, updatedAt: now },
    )
    .where(and(eq(j.id, job.id), eq(j.step, job.step)));
  await deletePrefix(env.UPLOADS, `${exportPrefix(job.userId)}${job.id}/pending-`);
}

/**
 * The API's view of a job. An unfinished job whose current step was dead-lettered reads as
 * failed (an operator's retry of the dead letter brings it back to running).
 */
async function toView(env: Env, job: JobRow, slug: string | null, now = new Date()): Promise<ExportView> {
  let status = job.status;
  if (status === "pending" || status === "running") {
    const [event] = await getDb(env)
      .select({ status: schema.domainEvents.status })
      .from(schema.domainEvents)
      .where(eq(schema.domainEvents.id, await stepEventId(job.id, job.step)))
      .limit(1);
    if (event?.status === "dead") status = "failed";
  }
  const live = job.status === "ready" && job.expiresAt !== null && job.expiresAt > now;
  const progress = job.status === "ready" ? 1 : job.totalItems === 0 ? 0 : Math.min(0.99, job.doneItems / job.totalItems);
  return {
    id: job.id,
    kind: job.kind,
    format: job.format,
    status,
    progress: Math.round(progress * 1000) / 1000,
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt ? job.finishedAt.toISOString() : null,
    ...(live ? { downloadUrl: downloadPath(job, slug), expiresAt: job.expiresAt!.toISOString() } : {}),
  };
}

/** Where the finished archive downloads from (needs the owner's session). */
function downloadPath(job: JobRow, slug: string | null): string {
  return job.kind === "account" ? `/api/v1/me/exports/${job.id}/download` : `/api/v1/communities/${slug}/exports/${job.id}/download`;
}

/** Which of a person's jobs a lookup may see: their account archives, or one community's member lists. */
export type JobScope = { kind: "account" } | { kind: "members"; communityId: string; slug: string };

const scoped = (userId: string, scope: JobScope) =>
  and(
    eq(j.userId, userId),
    eq(j.kind, scope.kind),
    scope.kind === "members" ? eq(j.communityId, scope.communityId) : isNull(j.communityId),
  );

/** One of the caller's jobs in the scope; not_found for another person's job or another scope. */
export async function getExport(env: Env, userId: string, scope: JobScope, jobId: string): Promise<ExportView> {
  const [row] = await getDb(env).select().from(j).where(and(eq(j.id, jobId), scoped(userId, scope))).limit(1);
  if (!row) throw notFound("No such export.");
  return toView(env, row, scope.kind === "members" ? scope.slug : null);
}

/** The caller's jobs in the scope, newest first (keyset pages of `limit`). */
export async function listExports(env: Env, userId: string, scope: JobScope, { limit, after }: PageRequest): Promise<Page<ExportView>> {
  const rows = await getDb(env)
    .select()
    .from(j)
    .where(and(scoped(userId, scope), olderThan(after, j.createdAt, j.id)))
    .orderBy(desc(j.createdAt), desc(j.id))
    .limit(limit + 1);
  const items = await Promise.all(rows.slice(0, limit).map((row) => toView(env, row, scope.kind === "members" ? scope.slug : null)));
  const last = rows.length > limit ? rows[limit - 1]! : null;
  return { items, next: last ? [last.createdAt.getTime(), last.id] : null };
}

/**
 * The finished archive for its owner: the R2 object's body, type and file name. not_found for
 * anyone else, for an unfinished or expired job, and for a member list whose requester no longer
 * owns the community; also for a job outside `scope` (another community's route).
 */
export async function openExportDownload(env: Env, userId: string, scope: JobScope, jobId: string, now = new Date()) {
  const [row] = await getDb(env)
    .select({ job: j, slug: schema.communities.slug })
    .from(j)
    .leftJoin(schema.communities, eq(schema.communities.id, j.communityId))
    .where(and(eq(j.id, jobId), scoped(userId, scope), eq(j.status, "ready")))
    .limit(1);
  if (!row || !row.job.expiresAt || row.job.expiresAt <= now) throw notFound("No such export.");
  const { job } = row;
  if (job.kind === "members" && !(job.communityId && (await ownsCommunity(env, userId, job.communityId)))) {
    throw notFound("No such export.");
  }
  const object = await env.UPLOADS.get(job.objectKey!);
  if (!object) throw notFound("No such export.");
  return { body: object.body, size: object.size, contentType: contentType(job.format), fileName: fileName(job, row.slug) };
}

/** Jobs purged per cron tick (each costs a list and a delete in R2). */
const EXPIRED_PER_TICK = 50;

/**
 * Cron: delete archives past their expiry, and jobs abandoned unfinished (their R2 objects, any
 * open multipart upload, the row). Bounded per tick; the next tick continues.
 */
export async function purgeExpiredExports(env: Env, now = new Date()): Promise<number> {
  const db = getDb(env);
  const expired = await db
    .select()
    .from(j)
    .where(lt(j.expiresAt, now))
    .limit(EXPIRED_PER_TICK);
  const abandoned = await db
    .select()
    .from(j)
    .where(and(inArray(j.status, ["pending", "running", "failed"]), lt(j.createdAt, new Date(now.getTime() - ABANDONED_AFTER_MS))))
    .limit(EXPIRED_PER_TICK);
  const jobs = [...expired, ...abandoned];
  for (const job of jobs) {
    const state = job.state as JobState | null;
    if (state?.uploadId && job.objectKey && job.status !== "ready") {
      await abortUpload(env.UPLOADS, job.objectKey, state.uploadId);
    }
    await deletePrefix(env.UPLOADS, `${exportPrefix(job.userId)}${job.id}/`);
  }
  if (jobs.length > 0) await db.delete(j).where(inArray(j.id, jobs.map((job) => job.id)));
  return jobs.length;
}

/**
 * Items above which the one-response exports (GET /me/export, GET /communities/:slug/export)
 * answer 202 with a job without trying: past this, paging alone takes too many queries. Below
 * it the answer is also bounded by size (INLINE_EXPORT_BYTES, archive.ts): a few long texts can
 * outgrow a Worker's memory long before 10,000 items. Sections outside D1 (chat objects, issue
 * 12) will also send them to a job.
 */
export const INLINE_EXPORT_ITEMS = 10_000;

/** A ready archive this recent answers a GET that would otherwise start another job. */
const REUSE_READY_MS = 60 * 60_000;

export type ExportSpec = { kind: "account" } | { kind: "members"; communityId: string; slug: string; format: ExportFormat };

/**
 * The one-response exports: `build` the archive within INLINE_EXPORT_BYTES when the items allow,
 * else hand over to a job — the caller's unfinished one, or one ready within the last hour, or a
 * new one. These are GETs, which another site can cause with the member's cookie (a top-level
 * link carries a Lax cookie): they never spend the daily export budget, and at most one job an
 * hour comes of them. Throws not_found when the requester may not export (no longer owner).
 */
export async function exportInlineOrJob<T>(
  env: Env,
  userId: string,
  spec: ExportSpec,
  build: (budget: ByteBudget) => Promise<T>,
): Promise<{ inline: true; value: T } | { inline: false; job: ExportView }> {
  const format = spec.kind === "members" ? spec.format : "json";
  const communityId = spec.kind === "members" ? spec.communityId : null;
  const plan = await planOf(env, { userId, kind: spec.kind, format, communityId });
  if (!plan) throw notFound("No such community.");
  if ((await countItems(plan.sections, plan.ctx)) <= INLINE_EXPORT_ITEMS) {
    try {
      return { inline: true, value: await build({ left: INLINE_EXPORT_BYTES }) };
    } catch (error) {
      if (!(error instanceof ArchiveTooLarge)) throw error;
    }
  }
  const slug = spec.kind === "members" ? spec.slug : null;
  const [recent] = await getDb(env)
    .select()
    .from(j)
    .where(
      and(
        scoped(userId, spec.kind === "members" ? { kind: "members", communityId: spec.communityId, slug: spec.slug } : { kind: "account" }),
        eq(j.format, format),
        inArray(j.status, ["ready", "pending", "running"]),
        gt(j.createdAt, new Date(Date.now() - REUSE_READY_MS)),
      ),
    )
    .orderBy(desc(j.createdAt))
    .limit(1);
  if (recent) {
    const view = await toView(env, recent, slug);
    if (view.status !== "failed" && (view.status !== "ready" || view.downloadUrl)) return { inline: false, job: view };
  }
  return { inline: false, job: await requestExport(env, userId, spec, { spend: false }) };
}

/** GET /me/export: the caller's whole archive in one response, or the job that builds it when it is too large (exportInlineOrJob). */
export const exportAccountInlineOrJob = (env: Env, userId: string) =>
  exportInlineOrJob(env, userId, { kind: "account" }, (budget) => exportAccount(env, userId, budget));
