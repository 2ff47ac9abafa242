// Invites: created and revoked by moderators and admins, previewed by anyone with the code,
// accepted by a signed-in person.
import { createRoute, z } from "@hono/zod-openapi";
import { acceptInvite, createInvite, inviteOrigin, listInvites, previewInvite, revokeInvite } from "../domain/communities/invites";
import { createRouter, requireUser, type AppContext } from "./factory";
import { requireMember, requireRole } from "./guards";
import { pageRequest, pageResponse } from "../domain/paging";
import { jsonBody, jsonResponse } from "./route-helpers";
import { errorResponses, listOf, PageQuery } from "../domain/schemas/common";
import {
  CodeParam,
  CreatedInviteSchema,
  CreateInviteBody,
  InvitePreviewSchema,
  InviteSchema,
  MembershipSchema,
  SlugCodeParam,
  SlugParam,
} from "../domain/schemas/communities";

export const invites = createRouter();

const tags = ["invites"];

// links must point at the app people open, which behind a proxy is not always this request's origin
const appOrigin = (c: AppContext) => inviteOrigin(c.env, c.req.url);

invites.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/invites",
    tags,
    summary: "Create an invite link (moderators: free tier; admins: any tier)",
    request: { params: SlugParam, ...jsonBody(CreateInviteBody) },
    responses: { 201: jsonResponse(CreatedInviteSchema, "Created"), ...errorResponses(400, 401, 403, 404, 415) },
  }),
  async (c) => {
    const access = requireRole(await requireMember(c, c.req.valid("param").slug), "moderator");
    const input = c.req.valid("json");
    const invite = await createInvite(
      c.env,
      access,
      { ...input, expiresAt: input.expiresAt ? new Date(input.expiresAt) : undefined },
      appOrigin(c),
    );
    return c.json({ code: invite.code, url: invite.url, invite }, 201);
  },
);

invites.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/invites",
    tags,
    summary: "The community's invites with their uses, newest first (moderator and up)",
    request: { params: SlugParam, query: PageQuery },
    responses: { 200: jsonResponse(listOf(InviteSchema), "A page of invites"), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const access = requireRole(await requireMember(c, c.req.valid("param").slug), "moderator");
    const page = await listInvites(c.env, access, pageRequest(c.req.valid("query")), appOrigin(c));
    return c.json(pageResponse(page), 200);
  },
);

invites.openapi(
  createRoute({
    method: "delete",
    path: "/communities/{slug}/invites/{code}",
    tags,
    summary: "Revoke an invite (moderator and up)",
    request: { params: SlugCodeParam },
    responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const { slug, code } = c.req.valid("param");
    const access = requireRole(await requireMember(c, slug), "moderator");
    await revokeInvite(c.env, access, code);
    return c.body(null, 204);
  },
);

invites.openapi(
  createRoute({
    method: "get",
    path: "/invites/{code}",
    tags,
    summary: "Preview an invite (no sign-in needed)",
    request: { params: CodeParam },
    responses: { 200: jsonResponse(InvitePreviewSchema, "The invite"), ...errorResponses(404) },
  }),
  async (c) => c.json(await previewInvite(c.env, c.req.valid("param").code), 200),
);

invites.openapi(
  createRoute({
    method: "post",
    path: "/invites/{code}/accept",
    tags,
    summary: "Accept an invite; 409 with reason expired, revoked or used_up",
    request: { params: CodeParam },
    responses: {
      200: jsonResponse(z.object({ membership: MembershipSchema }), "The caller's membership"),
      ...errorResponses(401, 403, 404, 409),
    },
  }),
  async (c) => {
    const user = await requireUser(c);
    const membership = await acceptInvite(c.env, user.id, c.req.valid("param").code);
    return c.json({ membership }, 200);
  },
);
