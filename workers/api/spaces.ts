// /communities/:slug/spaces and /spaces/:spaceId: the caller's space list, admin management of
// spaces and private member lists, and follows.
import { ViewerPermissionsSchema } from "../domain/schemas/permissions";
import { withUnread } from "../domain/chat/inbox";
import { createRoute, z } from "@hono/zod-openapi";
import { assertRole } from "../domain/discussions/access";
import {
  addSpaceMembers,
  archiveSpace,
  createSpace,
  listSpaceMembers,
  listSpaces,
  readSpace,
  removeSpaceMember,
  reorderSpaces,
  setFollowing,
  updateSpace,
} from "../domain/discussions/spaces";
import { createRouter } from "./factory";
import { requireCommunity, requireMember, requireRole, requireSpace } from "./guards";
import { jsonBody, jsonResponse } from "./route-helpers";
import { errorResponses } from "../domain/schemas/common";
import { SlugParam } from "../domain/schemas/communities";
import {
  CreateSpaceBody,
  ReorderSpacesBody,
  SpaceIdParam,
  SpaceListItemSchema,
  SpaceMemberSchema,
  SpaceMembersBody,
  SpaceSchema,
  SpaceUserParam,
  UpdateSpaceBody,
} from "../domain/schemas/discussions";

export const spaces = createRouter();

const SpaceEnvelope = z.object({ space: SpaceSchema });
const SpaceList = z.object({ items: z.array(SpaceListItemSchema), nextCursor: z.null() });
const SpaceMemberList = z.object({ items: z.array(SpaceMemberSchema), nextCursor: z.null() });
const tags = ["spaces"];

spaces.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/spaces",
    tags,
    summary: "Create a space (admin and up); a private one lists its members",
    request: { params: SlugParam, ...jsonBody(CreateSpaceBody) },
    responses: { 201: jsonResponse(SpaceEnvelope, "Created"), ...errorResponses(400, 401, 403, 404, 415) },
  }),
  async (c) => {
    const access = requireRole(await requireMember(c, c.req.valid("param").slug), "admin");
    const space = await createSpace(c.env, access, c.req.valid("json"));
    return c.json({ space }, 201);
  },
);

spaces.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/spaces",
    tags,
    summary: "The spaces the caller may know of, by position; those above their tier come back locked",
    description: "Private spaces appear only to their listed members and to admins. All spaces in one page.",
    request: { params: SlugParam },
    responses: { 200: jsonResponse(SpaceList, "The spaces"), ...errorResponses(404) },
  }),
  async (c) => {
    const access = await requireCommunity(c, c.req.valid("param").slug);
    const userId = await c.get("reader").userId();
    const items = await withUnread(c.env, userId, await listSpaces(c.env, access, userId));
    return c.json({ items, nextCursor: null }, 200);
  },
);

spaces.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/spaces/reorder",
    tags,
    summary: "Set the order of spaces (admin and up); spaces left out keep their order after the listed ones",
    request: { params: SlugParam, ...jsonBody(ReorderSpacesBody) },
    responses: { 200: jsonResponse(SpaceList, "The spaces in their new order"), ...errorResponses(400, 401, 403, 404, 415) },
  }),
  async (c) => {
    const access = requireRole(await requireMember(c, c.req.valid("param").slug), "admin");
    const items = await reorderSpaces(c.env, access, c.req.valid("json").spaceIds);
    return c.json({ items, nextCursor: null }, 200);
  },
);

spaces.openapi(
  createRoute({
    method: "get",
    path: "/spaces/{spaceId}",
    tags,
    summary: "A space the caller may read",
    request: { params: SpaceIdParam },
    responses: { 200: jsonResponse(SpaceEnvelope.extend({ viewer: ViewerPermissionsSchema }), "The space"), ...errorResponses(403, 404) },
  }),
  async (c) => {
    const access = await requireSpace(c, c.req.valid("param").spaceId, "read");
    return c.json(await readSpace(c.env, access), 200);
  },
);

spaces.openapi(
  createRoute({
    method: "patch",
    path: "/spaces/{spaceId}",
    tags,
    summary: "Change a space (admin and up)",
    request: { params: SpaceIdParam, ...jsonBody(UpdateSpaceBody) },
    responses: { 200: jsonResponse(SpaceEnvelope, "Updated"), ...errorResponses(400, 401, 403, 404, 409, 415) },
  }),
  async (c) => {
    const access = assertRole(await requireSpace(c, c.req.valid("param").spaceId, "write"), "admin");
    return c.json({ space: await updateSpace(c.env, access, c.req.valid("json")) }, 200);
  },
);

spaces.openapi(
  createRoute({
    method: "delete",
    path: "/spaces/{spaceId}",
    tags,
    summary: "Archive a space (admin and up): it and its posts disappear for everyone",
    request: { params: SpaceIdParam },
    responses: { 204: { description: "Archived" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const access = assertRole(await requireSpace(c, c.req.valid("param").spaceId, "write"), "admin");
    await archiveSpace(c.env, access);
    return c.body(null, 204);
  },
);

spaces.openapi(
  createRoute({
    method: "get",
    path: "/spaces/{spaceId}/members",
    tags,
    summary: "Who is listed in a private space (admin and up)",
    request: { params: SpaceIdParam },
    responses: { 200: jsonResponse(SpaceMemberList, "The listed members"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const access = assertRole(await requireSpace(c, c.req.valid("param").spaceId, "write"), "admin");
    return c.json({ items: await listSpaceMembers(c.env, access), nextCursor: null }, 200);
  },
);

spaces.openapi(
  createRoute({
    method: "post",
    path: "/spaces/{spaceId}/members",
    tags,
    summary: "List community members in a private space (admin and up)",
    request: { params: SpaceIdParam, ...jsonBody(SpaceMembersBody) },
    responses: { 200: jsonResponse(SpaceMemberList, "The listed members"), ...errorResponses(400, 401, 403, 404, 409, 415) },
  }),
  async (c) => {
    const access = assertRole(await requireSpace(c, c.req.valid("param").spaceId, "write"), "admin");
    return c.json({ items: await addSpaceMembers(c.env, access, c.req.valid("json").userIds), nextCursor: null }, 200);
  },
);

spaces.openapi(
  createRoute({
    method: "delete",
    path: "/spaces/{spaceId}/members/{userId}",
    tags,
    summary: "Take someone off a private space's list (admin and up); their follow ends too",
    request: { params: SpaceUserParam },
    responses: { 204: { description: "Removed" }, ...errorResponses(401, 403, 404, 409) },
  }),
  async (c) => {
    const { spaceId, userId } = c.req.valid("param");
    const access = assertRole(await requireSpace(c, spaceId, "write"), "admin");
    await removeSpaceMember(c.env, access, userId);
    return c.body(null, 204);
  },
);

for (const [method, following] of [
  ["post", true],
  ["delete", false],
] as const) {
  spaces.openapi(
    createRoute({
      method,
      path: "/spaces/{spaceId}/follow",
      tags,
      summary: following ? "Follow a space: a notification for each new post" : "Stop following a space",
      request: { params: SpaceIdParam },
      responses: { 200: jsonResponse(SpaceEnvelope, "The space"), ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      const access = await requireSpace(c, c.req.valid("param").spaceId, "write");
      return c.json({ space: await setFollowing(c.env, access, following) }, 200);
    },
  );
}
