// /uploads: images in R2. POST takes multipart/form-data (the JSON body middleware skips this
// path), so type and size are checked here while the body is read. An upload given a space or a
// conversation is served only to its readers (domain/uploads/audience.ts).
import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { audienceOf, mayFetchUpload, requireAudienceReadable } from "../domain/uploads/audience";
import { limitedBody } from "../lib/limited-body";
import { findUpload, MAX_UPLOAD_BYTES, storeImage, tooLarge } from "../domain/uploads/images";
import { badRequest, DomainError, notFound } from "../lib/errors";
import { errorResponses } from "../domain/schemas/common";
import { createRouter, requireUser, type AppEnv } from "./factory";

export const uploads = createRouter();

// multipart framing around the file: boundaries, part headers, the field name
const MULTIPART_OVERHEAD = 16 * 1024;

const MAX_BODY_BYTES = MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD;

/**
 * The size limit on the bytes as they arrive: a declared Content-Length over it is refused before
 * reading, and any body (chunked, or with a Content-Length that lies) is counted and cut off at
 * the limit (413 too_large) while the form is parsed, so nothing unbounded is ever buffered. The
 * parsed form is handed to the route's validator through Hono's body cache.
 */
const unsupportedForm = () =>
  new DomainError(415, "unsupported_media_type", "Send the image as multipart/form-data with the field `file`.");

const bodySizeLimit = createMiddleware<AppEnv>(async (c, next) => {
  await requireUser(c);
  const length = Number(c.req.header("Content-Length") ?? "0");
  if (length > MAX_BODY_BYTES) throw tooLarge();
  const type = (c.req.header("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
  // only a multipart form is read here; anything else is refused before a byte of it is read
  if (c.req.raw.body && type !== "multipart/form-data") throw unsupportedForm();
  if (type === "multipart/form-data" && c.req.raw.body) {
    const body = limitedBody(c.req.raw.body, MAX_BODY_BYTES);
    c.req.bodyCache.formData = await new Response(body.stream, { headers: { "Content-Type": c.req.header("Content-Type") ?? "" } })
      .formData()
      .catch((err: unknown) => {
        if (body.exceeded()) throw tooLarge();
        throw badRequest(`The form data could not be read: ${err instanceof Error ? err.message : String(err)}`);
      });
  }
  await next();
});

const AUDIENCE_ID = z.string().trim().min(1).max(64);

const UploadForm = z
  .object({
    file: z.instanceof(File, { message: "Attach the image as the form field `file`." }).openapi({
      type: "string",
      format: "binary",
      description:
        "PNG, JPEG, WebP or GIF, at most 5 MB. EXIF, GPS, XMP, IPTC and comments are removed before storing; the EXIF orientation is kept.",
    }),
    spaceId: AUDIENCE_ID.optional().openapi({
      description: "The space the image will be shown in: it is then served only to those who may read that space.",
      example: "spc_x",
    }),
    conversationId: AUDIENCE_ID.optional().openapi({
      description: "The DM conversation the image will be shown in: it is then served only to its participants.",
    }),
  })
  .refine((form) => !(form.spaceId && form.conversationId), {
    path: ["conversationId"],
    message: "Give a spaceId or a conversationId, not both.",
    params: { reason: "space_and_conversation" },
  })
  .openapi("UploadForm");

uploads.openapi(
  createRoute({
    method: "post",
    path: "/uploads",
    tags: ["uploads"],
    summary: "Upload an image (avatars, post images)",
    middleware: [bodySizeLimit] as const,
    request: { body: { content: { "multipart/form-data": { schema: UploadForm } }, required: true } },
    responses: {
      201: {
        description: "Stored",
        content: {
          "application/json": {
            schema: z.object({
              id: z.string().openapi({ description: "the upload's id: a chat message names its images by it (`imageIds`)", example: "upl_x" }),
              url: z.string().openapi({ example: "/api/v1/uploads/u/usr_x/abc.png" }),
            }),
          },
        },
      },
      ...errorResponses(400, 401, 403, 404, 413, 415, 429),
    },
  }),
  async (c) => {
    const user = await requireUser(c);
    const { file, spaceId, conversationId } = c.req.valid("form");
    const audience = spaceId ? { spaceId } : conversationId ? { conversationId } : null;
    await requireAudienceReadable(c.env, c.get("reader"), audience);
    const { id, url } = await storeImage(c.env, user.id, file, audience);
    return c.json({ id, url }, 201);
  },
);

/** Public uploads: an erased avatar leaves browsers and shared caches within the hour (well inside
 * the day erasure promises), and revalidating costs a 304 from the ETag. */
const PUBLIC_CACHE = "public, max-age=3600";
/** Space and conversation uploads: only this browser keeps them, and only for 5 minutes, so losing
 * access (a lapsed tier, a ban) closes the image soon after; the session cookie decides, hence Vary. */
const PRIVATE_CACHE = "private, max-age=300";

// Keys contain slashes (u/<user>/<name>), which an OpenAPI path parameter cannot express, so the
// route is registered with Hono's regex parameter and documented separately.
uploads.openAPIRegistry.registerPath({
  method: "get",
  path: "/uploads/{key}",
  tags: ["uploads"],
  summary: "Fetch an uploaded image",
  description:
    "Public uploads are cached for an hour. One given a spaceId or conversationId is served only to those who may read that space or conversation now (404 to everyone else), with `Cache-Control: private, max-age=300` and `Vary: Cookie`. Answers 304 to a matching If-None-Match.",
  request: { params: z.object({ key: z.string().openapi({ example: "u/usr_x/abc.png" }) }) },
  responses: {
    200: {
      description: "The image",
      content: { "image/*": { schema: z.string().openapi({ type: "string", format: "binary" }) } },
    },
    304: { description: "Not modified (If-None-Match matched)" },
    ...errorResponses(404),
  },
});

uploads.get("/uploads/:key{.+}", async (c) => {
  const key = c.req.param("key");
  const row = await findUpload(c.env, key);
  const audience = row ? audienceOf(row) : null;
  // one answer for "no such file" and "not for you", so a URL reveals nothing to a stranger
  if (!row || !(await mayFetchUpload(c.env, c.get("reader"), audience))) throw notFound("No such upload.");
  // R2 evaluates If-None-Match itself: a match comes back without a body (after the access check,
  // so a 304 is no hint either)
  const object = await c.env.UPLOADS.get(key, { onlyIf: c.req.raw.headers });
  if (!object) throw notFound("No such upload.");
  const headers = new Headers({
    "Cache-Control": audience ? PRIVATE_CACHE : PUBLIC_CACHE,
    ETag: object.httpEtag,
  });
  if (audience) headers.set("Vary", "Cookie");
  if (!("body" in object)) return new Response(null, { status: 304, headers });
  headers.set("Content-Type", row.contentType);
  headers.set("Content-Length", String(object.size));
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Content-Disposition", "inline");
  return new Response(object.body, { headers });
});
