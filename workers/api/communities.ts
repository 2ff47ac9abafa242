// /communities: create, read, settings, delete, transfer, tiers, member export and audit log.
import { createRoute, z } from "@hono/zod-openapi";
import { createCommunity } from "../domain/communities/create-community";
import { exportMembers, membersCsv } from "../domain/communities/export";
import { loadUserRow } from "../domain/account/user-view";
import { exportInlineOrJob } from "../domain/data-rights/export-jobs";
import { acceptedJob, ExportJobSchema } from "./exports";
import { listAuditLog } from "../domain/communities/audit-log";
import {
  deleteCommunity,
  listPublicCommunities,
  transferOwnership,
  updateCommunity,
  viewCommunity,
} from "../domain/communities/manage-community";
import { requireTierKey, tiersSeenBy, updateTier } from "../domain/communities/tiers";
import { createRouter, requireUser } from "./factory";
import { requireCommunity, requireMember, requireRole } from "./guards";
import { pageRequest, pageResponse } from "../domain/paging";
import { jsonBody, jsonResponse } from "./route-helpers";
import { errorResponses, listOf, PageQuery } from "../domain/schemas/common";
import {
  AuditEntrySchema,
  CommunitySchema,
  CreateCommunityBody,
  MemberExportSchema,
  SlugParam,
  SlugTierParam,
  TierSchema,
  TransferBody,
  UpdateCommunityBody,
  UpdateTierBody,
  ViewerSchema,
} from "../domain/schemas/communities";

export const communities = createRouter();

const CommunityEnvelope = z.object({ community: CommunitySchema });
const tags = ["communities"];

communities.openapi(
  createRoute({
    method: "post",
    path: "/communities",
    tags,
    summary: "Create a community (with default tiers and prices; the caller becomes its owner)",
    request: jsonBody(CreateCommunityBody),
    responses: { 201: jsonResponse(CommunityEnvelope, "Created"), ...errorResponses(400, 401, 403, 409, 415) },
  }),
  async (c) => {
    const user = await requireUser(c);
    const community = await createCommunity(c.env, user, c.req.valid("json"));
    return c.json({ community }, 201);
  },
);

communities.openapi(
  createRoute({
    method: "get",
    path: "/communities",
    tags,
    summary: "Public communities, newest first",
    request: { query: PageQuery },
    responses: { 200: jsonResponse(listOf(CommunitySchema), "A page of public communities"), ...errorResponses(400) },
  }),
  async (c) => {
    const page = await listPublicCommunities(c.env, pageRequest(c.req.valid("query")));
    return c.json(pageResponse(page), 200);
  },
);

communities.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}",
    tags,
    summary: "A community and the caller's place in it (private communities are 404 to non-members)",
    request: { params: SlugParam },
    responses: {
      200: jsonResponse(z.object({ community: CommunitySchema, viewer: ViewerSchema.nullable() }), "The community"),
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const access = await requireCommunity(c, c.req.valid("param").slug);
    return c.json(await viewCommunity(c.env, access), 200);
  },
);

communities.openapi(
  createRoute({
    method: "patch",
    path: "/communities/{slug}",
    tags,
    summary: "Change a community's settings (admin and up; the slug is fixed)",
    request: { params: SlugParam, ...jsonBody(UpdateCommunityBody) },
    responses: { 200: jsonResponse(CommunityEnvelope, "Updated"), ...errorResponses(400, 401, 403, 404, 415) },
  }),
  async (c) => {
    const access = requireRole(await requireMember(c, c.req.valid("param").slug), "admin");
    const community = await updateCommunity(c.env, access, c.req.valid("json"));
    return c.json({ community }, 200);
  },
);

communities.openapi(
  createRoute({
    method: "delete",
    path: "/communities/{slug}",
    tags,
    summary: "Delete a community (owner; soft delete)",
    request: { params: SlugParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const access = requireRole(await requireMember(c, c.req.valid("param").slug), "owner");
    await deleteCommunity(c.env, access);
    return c.body(null, 204);
  },
);

communities.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/transfer",
    tags,
    summary: "Hand ownership to an active member (owner); the old owner becomes an admin",
    request: { params: SlugParam, ...jsonBody(TransferBody) },
    responses: { 200: jsonResponse(CommunityEnvelope, "Transferred"), ...errorResponses(400, 401, 403, 404, 409, 415) },
  }),
  async (c) => {
    const access = requireRole(await requireMember(c, c.req.valid("param").slug), "owner");
    const community = await transferOwnership(c.env, access, c.req.valid("json").userId);
    return c.json({ community }, 200);
  },
);

communities.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/tiers",
    tags: ["tiers"],
    summary: "The community's tiers with their prices: what is on sale, and for the owner and admins also prices set but not published (published: false)",
    request: { params: SlugParam },
    responses: { 200: jsonResponse(z.object({ items: z.array(TierSchema) }), "Tiers by rank"), ...errorResponses(404) },
  }),
  async (c) => {
    const access = await requireCommunity(c, c.req.valid("param").slug);
    return c.json({ items: await tiersSeenBy(c.env, access) }, 200);
  },
);

communities.openapi(
  createRoute({
    method: "patch",
    path: "/communities/{slug}/tiers/{key}",
    tags: ["tiers"],
    summary: "Edit a tier's text, trial and prices (owner); prices are upserted per interval",
    request: { params: SlugTierParam, ...jsonBody(UpdateTierBody) },
    responses: { 200: jsonResponse(z.object({ tier: TierSchema }), "Updated"), ...errorResponses(400, 401, 403, 404, 415, 502) },
  }),
  async (c) => {
    const { slug, key } = c.req.valid("param");
    const access = requireRole(await requireMember(c, slug), "owner");
    const tier = await updateTier(c.env, access, requireTierKey(key), c.req.valid("json"));
    return c.json({ tier }, 200);
  },
);

communities.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/export",
    tags,
    summary: "Export active members with consent state and join source (owner); CSV with Accept: text/csv",
    request: { params: SlugParam },
    responses: {
      200: {
        description: "The members",
        content: {
          "application/json": { schema: z.object({ items: z.array(MemberExportSchema) }) },
          "text/csv": { schema: z.string() },
        },
      },
      202: jsonResponse(z.object({ export: ExportJobSchema }), "Too large for one response: the export job building it"),
      ...errorResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const access = requireRole(await requireMember(c, c.req.valid("param").slug), "owner");
    const user = await requireUser(c);
    const csv = (c.req.header("Accept") ?? "").toLowerCase().includes("text/csv");
    const { slug } = access.community;
    const requester = await loadUserRow(c.env, user.id);
    const spec = { kind: "members" as const, communityId: access.community.id, slug, format: csv ? ("csv" as const) : ("json" as const) };
    const choice = await exportInlineOrJob(c.env, user.id, spec, (budget) => exportMembers(c.env, access.community.id, requester, budget));
    if (!choice.inline) return acceptedJob(c, choice.job, `/api/v1/communities/${slug}/exports/${choice.job.id}`);
    const rows = choice.value;
    if (csv) {
      return c.body(membersCsv(rows), 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="${access.community.slug}-members.csv"`,
        "Cache-Control": "no-store",
      });
    }
    c.header("Cache-Control", "no-store");
    return c.json({ items: rows }, 200);
  },
);

communities.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/audit-log",
    tags,
    summary: "Who did what in the community, newest first (admin and up)",
    request: { params: SlugParam, query: PageQuery },
    responses: { 200: jsonResponse(listOf(AuditEntrySchema), "A page of audit entries"), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const access = requireRole(await requireMember(c, c.req.valid("param").slug), "admin");
    const page = await listAuditLog(c.env, access.community.id, pageRequest(c.req.valid("query")));
    return c.json(pageResponse(page), 200);
  },
);
