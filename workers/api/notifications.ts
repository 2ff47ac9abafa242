// /me/notifications: the caller's mentions, replies, new posts in followed spaces and new chat messages.
import { createRoute, z } from "@hono/zod-openapi";
import { notificationKinds } from "../db/schema";
import { countUnread, markRead, readNotifications } from "../domain/notifications/list";
import { createRouter, requireUser } from "./factory";
import { jsonResponse } from "./route-helpers";
import { errorResponses, Id, IsoDate, PageQuery } from "../domain/schemas/common";
import { MarkReadBody } from "../domain/schemas/user";

export const notifications = createRouter();

const tags = ["notifications"];

const NotificationSchema = z
  .object({
    id: z.string(),
    kind: z.enum(notificationKinds),
    text: z.string().openapi({ description: "Rendered in the reader's language", example: "Mei Lin mentioned you in “Pricing”" }),
    url: z.string().openapi({ example: "/c/book-club/posts/pst_abc#comment-cmt_def" }),
    readAt: IsoDate.nullable(),
    createdAt: IsoDate,
    title: z.string().openapi({ description: "the post's title, as quoted in `text` (for clients that isolate it when rendering); \"\" for chat" }),
    spaceName: z.string().openapi({ description: "the space's name, as it may appear in `text`" }),
    excerpt: z.string().nullable().openapi({ description: "a chat mention's message, its first words as plain text; null for other kinds" }),
    community: z.object({ slug: z.string(), name: z.string() }),
    actor: z.object({ id: z.string(), name: z.string() }).nullable(),
  })
  .openapi("Notification");

const NotificationsQuery = PageQuery.extend({
  unread: z
    .enum(["true", "false"])
    .optional()
    .openapi({ description: "true: unread notifications only" }),
});

const NotificationPage = z
  .object({
    items: z.array(NotificationSchema),
    nextCursor: z.string().nullable(),
    unreadCount: z.number().int(),
  })
  .openapi("NotificationPage");

const UnreadCount = z.object({ count: z.number().int() }).openapi("UnreadCount");


notifications.openapi(
  createRoute({
    method: "get",
    path: "/me/notifications",
    tags,
    summary: "The caller's notifications, newest first; ones about content they can no longer read are left out",
    request: { query: NotificationsQuery },
    responses: { 200: jsonResponse(NotificationPage, "A page of notifications"), ...errorResponses(400, 401) },
  }),
  async (c) => {
    const user = await requireUser(c);
    const query = c.req.valid("query");
    const page = await readNotifications(c.env, user.id, { ...query, unreadOnly: query.unread === "true" });
    c.header("Cache-Control", "no-store");
    return c.json(page, 200);
  },
);

notifications.openapi(
  createRoute({
    method: "get",
    path: "/me/notifications/unread-count",
    tags,
    summary: "How many unread notifications the caller may still read",
    responses: { 200: jsonResponse(UnreadCount, "The count"), ...errorResponses(401) },
  }),
  async (c) => {
    c.header("Cache-Control", "no-store");
    return c.json({ count: await countUnread(c.env, (await requireUser(c)).id) }, 200);
  },
);

notifications.openapi(
  createRoute({
    method: "post",
    path: "/me/notifications/read",
    tags,
    summary: "Mark the given notifications (or all) read; ids of other people's notifications are ignored",
    // no body (or {}) marks everything read
    request: { body: { required: false, content: { "application/json": { schema: MarkReadBody } } } },
    responses: { 204: { description: "Marked" }, ...errorResponses(400, 401, 415) },
  }),
  async (c) => {
    const body: { ids?: string[] } | undefined = c.req.valid("json");
    await markRead(c.env, (await requireUser(c)).id, body?.ids);
    return c.body(null, 204);
  },
);
