// Export jobs (API.md "exports", ADR 019): the account's archive at /me/exports and a community's
// member list at /communities/:slug/exports (owner). POST answers 202 with the job; GET shows its
// progress and, once ready, a download URL that serves the job's owner only until it expires.
// Another account asking for the job or the file gets 404.
import { createRoute, z } from "@hono/zod-openapi";
import {
  getExport,
  listExports,
  openExportDownload,
  requestExport,
  type ExportView,
  type JobScope,
} from "../domain/data-rights/export-jobs";
import { exportKinds, exportStatuses } from "../db/schema";
import { createRouter, requireUser, type AppContext } from "./factory";
import { requireMember, requireRole } from "./guards";
import { pageRequest, pageResponse } from "../domain/paging";
import { jsonResponse, optionalJsonBody } from "./route-helpers";
import { errorResponses, Id, IsoDate, listOf, PageQuery } from "../domain/schemas/common";
import { MemberExportRequest, SlugParam } from "../domain/schemas/communities";

export const exportsRouter = createRouter();

export const ExportJobSchema = z
  .object({
    id: z.string(),
    kind: z.enum(exportKinds),
    format: z.enum(["json", "csv"]),
    status: z.enum(exportStatuses),
    progress: z.number().min(0).max(1).openapi({ description: "Share of items written, 0–1; 1 once ready" }),
    createdAt: IsoDate,
    finishedAt: IsoDate.nullable(),
    downloadUrl: z.string().optional().openapi({ description: "While ready and not expired; serves the job's owner only" }),
    expiresAt: IsoDate.optional(),
  })
  .openapi("ExportJob");
const ExportAnswer = z.object({ export: ExportJobSchema }).openapi("ExportAnswer");
const JobParam = z.object({ id: Id.openapi({ param: { name: "id", in: "path" } }) });
const SlugJobParam = SlugParam.extend({ id: Id.openapi({ param: { name: "id", in: "path" } }) });

/** 202 with the job and where to follow it. */
export function acceptedJob(c: AppContext, job: ExportView, path: string) {
  c.header("Location", path);
  c.header("Cache-Control", "no-store");
  return c.json({ export: job }, 202);
}

async function ownerScope(c: AppContext, slug: string): Promise<JobScope & { kind: "members" }> {
  const access = requireRole(await requireMember(c, slug), "owner");
  return { kind: "members", communityId: access.community.id, slug: access.community.slug };
}

function download(found: Awaited<ReturnType<typeof openExportDownload>>) {
  return new Response(found.body, {
    headers: {
      "Content-Type": found.contentType,
      "Content-Length": String(found.size),
      "Content-Disposition": `attachment; filename="${found.fileName}"`,
      "Cache-Control": "private, no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

const tags = ["exports"];
const accepted = { 202: jsonResponse(ExportAnswer, "The job; follow it at the Location") };
const downloadAnswer = (what: string) => ({
  200: { description: what, content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } },
});

// ---- the account's archive --------------------------------------------------------------------

exportsRouter.openapi(
  createRoute({
    method: "post",
    path: "/me/exports",
    tags,
    summary: "Start building the caller's archive (or answer the unfinished one)",
    responses: { ...accepted, ...errorResponses(401, 429) },
  }),
  async (c) => {
    const job = await requestExport(c.env, (await requireUser(c)).id, { kind: "account" });
    return acceptedJob(c, job, `/api/v1/me/exports/${job.id}`);
  },
);

exportsRouter.openapi(
  createRoute({
    method: "get",
    path: "/me/exports",
    tags,
    summary: "The caller's archive jobs, newest first",
    request: { query: PageQuery },
    responses: { 200: jsonResponse(listOf(ExportJobSchema), "A page of jobs"), ...errorResponses(400, 401) },
  }),
  async (c) => {
    const page = await listExports(c.env, (await requireUser(c)).id, { kind: "account" }, pageRequest(c.req.valid("query")));
    c.header("Cache-Control", "no-store");
    return c.json(pageResponse(page), 200);
  },
);

exportsRouter.openapi(
  createRoute({
    method: "get",
    path: "/me/exports/{id}",
    tags,
    summary: "One archive job: status, progress, and the download URL once ready",
    request: { params: JobParam },
    responses: { 200: jsonResponse(ExportAnswer, "The job"), ...errorResponses(401, 404) },
  }),
  async (c) => {
    const job = await getExport(c.env, (await requireUser(c)).id, { kind: "account" }, c.req.valid("param").id);
    c.header("Cache-Control", "no-store");
    return c.json({ export: job }, 200);
  },
);

exportsRouter.openapi(
  createRoute({
    method: "get",
    path: "/me/exports/{id}/download",
    tags,
    summary: "Download the finished archive (its owner only, until it expires)",
    request: { params: JobParam },
    responses: { ...downloadAnswer("The archive as a JSON file"), ...errorResponses(401, 404) },
  }),
  async (c) => download(await openExportDownload(c.env, (await requireUser(c)).id, { kind: "account" }, c.req.valid("param").id)),
);

// ---- a community's member list (owner) ---------------------------------------------------------

exportsRouter.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/exports",
    tags,
    summary: "Start building the member list with consents and join source (owner)",
    request: { params: SlugParam, ...optionalJsonBody(MemberExportRequest) },
    responses: { ...accepted, ...errorResponses(400, 401, 403, 404, 415, 429) },
  }),
  async (c) => {
    const scope = await ownerScope(c, c.req.valid("param").slug);
    const { format } = c.req.valid("json") ?? { format: "json" as const };
    const job = await requestExport(c.env, (await requireUser(c)).id, { ...scope, format: format ?? "json" });
    return acceptedJob(c, job, `/api/v1/communities/${scope.slug}/exports/${job.id}`);
  },
);

exportsRouter.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/exports",
    tags,
    summary: "The caller's member-list jobs for this community, newest first (owner)",
    request: { params: SlugParam, query: PageQuery },
    responses: { 200: jsonResponse(listOf(ExportJobSchema), "A page of jobs"), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const scope = await ownerScope(c, c.req.valid("param").slug);
    const page = await listExports(c.env, (await requireUser(c)).id, scope, pageRequest(c.req.valid("query")));
    c.header("Cache-Control", "no-store");
    return c.json(pageResponse(page), 200);
  },
);

exportsRouter.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/exports/{id}",
    tags,
    summary: "One member-list job (owner)",
    request: { params: SlugJobParam },
    responses: { 200: jsonResponse(ExportAnswer, "The job"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const { slug, id } = c.req.valid("param");
    const job = await getExport(c.env, (await requireUser(c)).id, await ownerScope(c, slug), id);
    c.header("Cache-Control", "no-store");
    return c.json({ export: job }, 200);
  },
);

exportsRouter.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/exports/{id}/download",
    tags,
    summary: "Download the finished member list (the owner who asked for it, until it expires)",
    request: { params: SlugJobParam },
    responses: { ...downloadAnswer("The member list as a JSON or CSV file"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const { slug, id } = c.req.valid("param");
    return download(await openExportDownload(c.env, (await requireUser(c)).id, await ownerScope(c, slug), id));
  },
);
