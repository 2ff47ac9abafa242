// /communities/:slug/members, bans, join and leave.
import { createRoute, z } from "@hono/zod-openapi";
import { banMember, listBans, unbanMember } from "../domain/communities/bans";
import { joinCommunity, leaveCommunity, listMembers, removeMember, updateMember } from "../domain/communities/members";
import { createRouter, requireUser } from "./factory";
import { withOnline } from "../domain/chat/inbox";
import { requireCommunity, requireMember, requireRole } from "./guards";
import { pageRequest, pageResponse } from "../domain/paging";
import { jsonBody, jsonResponse } from "./route-helpers";
import { errorResponses, listOf, PageQuery } from "../domain/schemas/common";
import {
  BanBody,
  BanSchema,
  MemberSchema,
  MembershipSchema,
  SlugParam,
  SlugUserParam,
  UpdateMemberBody,
} from "../domain/schemas/communities";

export const members = createRouter();

const MembershipEnvelope = z.object({ membership: MembershipSchema });
const MemberListQuery = PageQuery.extend({
  q: z.string().trim().max(100).optional().openapi({ description: "Keep members with a word of their name starting with this (any case)", example: "chen" }),
});
const tags = ["members"];

members.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/members",
    tags,
    summary: "Active members in join order (admins also see source, compTier and paidTier); `q` keeps those with a name word starting with it",
    request: { params: SlugParam, query: MemberListQuery },
    responses: { 200: jsonResponse(listOf(MemberSchema), "A page of members"), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const access = await requireMember(c, c.req.valid("param").slug);
    const query = c.req.valid("query");
    const page = await listMembers(c.env, access, pageRequest(query), { q: query.q });
    return c.json(pageResponse({ ...page, items: await withOnline(c.env, access.community.id, page.items) }), 200);
  },
);

members.openapi(
  createRoute({
    method: "patch",
    path: "/communities/{slug}/members/{userId}",
    tags,
    summary: "Change a member's role or comp tier (admin and up; only the owner makes or unmakes admins)",
    request: { params: SlugUserParam, ...jsonBody(UpdateMemberBody) },
    responses: { 200: jsonResponse(MembershipEnvelope, "Updated"), ...errorResponses(400, 401, 403, 404, 409, 415) },
  }),
  async (c) => {
    const { slug, userId } = c.req.valid("param");
    const access = requireRole(await requireMember(c, slug), "admin");
    const membership = await updateMember(c.env, access, userId, c.req.valid("json"));
    return c.json({ membership }, 200);
  },
);

members.openapi(
  createRoute({
    method: "delete",
    path: "/communities/{slug}/members/{userId}",
    tags,
    summary: "Remove a member (moderator and up; only people below the caller's role)",
    request: { params: SlugUserParam },
    responses: { 204: { description: "Removed" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const { slug, userId } = c.req.valid("param");
    const access = requireRole(await requireMember(c, slug), "moderator");
    await removeMember(c.env, access, userId);
    return c.body(null, 204);
  },
);

members.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/bans",
    tags,
    summary: "Banned people, newest first (moderator and up)",
    request: { params: SlugParam, query: PageQuery },
    responses: { 200: jsonResponse(listOf(BanSchema), "A page of bans"), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const access = requireRole(await requireMember(c, c.req.valid("param").slug), "moderator");
    const page = await listBans(c.env, access, pageRequest(c.req.valid("query")));
    return c.json(pageResponse(page), 200);
  },
);

members.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/bans",
    tags,
    summary: "Ban someone (moderator and up; only people below the caller's role)",
    request: { params: SlugParam, ...jsonBody(BanBody) },
    responses: { 201: jsonResponse(z.object({ ban: BanSchema }), "Banned"), ...errorResponses(400, 401, 403, 404, 409, 415) },
  }),
  async (c) => {
    const access = requireRole(await requireMember(c, c.req.valid("param").slug), "moderator");
    const { userId, reason } = c.req.valid("json");
    const ban = await banMember(c.env, access, userId, reason);
    return c.json({ ban }, 201);
  },
);

members.openapi(
  createRoute({
    method: "delete",
    path: "/communities/{slug}/bans/{userId}",
    tags,
    summary: "Lift a ban (moderator and up); the person stays outside until they join again",
    request: { params: SlugUserParam },
    responses: { 204: { description: "Unbanned" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const { slug, userId } = c.req.valid("param");
    const access = requireRole(await requireMember(c, slug), "moderator");
    await unbanMember(c.env, access, userId);
    return c.body(null, 204);
  },
);

members.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/leave",
    tags,
    summary: "Leave the community (the owner must transfer ownership first)",
    request: { params: SlugParam },
    responses: { 204: { description: "Left" }, ...errorResponses(401, 403, 404, 409) },
  }),
  async (c) => {
    const access = await requireMember(c, c.req.valid("param").slug);
    await leaveCommunity(c.env, access);
    return c.body(null, 204);
  },
);

members.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/join",
    tags,
    summary: "Join a public community at the free tier (private communities join by invite)",
    request: { params: SlugParam },
    responses: { 200: jsonResponse(MembershipEnvelope, "The caller's membership"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const user = await requireUser(c);
    const access = await requireCommunity(c, c.req.valid("param").slug);
    const membership = await joinCommunity(c.env, access, user.id);
    return c.json({ membership }, 200);
  },
);
