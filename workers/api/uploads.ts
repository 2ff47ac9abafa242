// /uploads: images in R2. POST takes multipart/form-data (the JSON body middleware skips this
// path), so type and size are checked here before the body is read.
import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { MAX_UPLOAD_BYTES, openUpload, storeImage, tooLarge } from "../domain/uploads/images";
import { notFound } from "../lib/errors";
import { errorResponses } from "./schemas/common";
import { createRouter, requireUser, type AppEnv } from "./factory";

export const uploads = createRouter();

// multipart framing around the file: boundaries, part headers, the field name
const MULTIPART_OVERHEAD = 16 * 1024;

const bodySizeLimit = createMiddleware<AppEnv>(async (c, next) => {
  await requireUser(c);
  const length = Number(c.req.header("Content-Length") ?? "0");
  if (length > MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD) throw tooLarge();
  await next();
});

const UploadForm = z
  .object({
    file: z.instanceof(File, { message: "Attach the image as the form field `file`." }).openapi({
      type: "string",
      format: "binary",
      description: "PNG, JPEG, WebP or GIF, at most 5 MB",
    }),
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
        content: { "application/json": { schema: z.object({ url: z.string().openapi({ example: "/api/v1/uploads/u/usr_x/abc.png" }) }) } },
      },
      ...errorResponses(400, 401, 413, 415),
    },
  }),
  async (c) => {
    const { url } = await storeImage(c.env, (await requireUser(c)).id, c.req.valid("form").file);
    return c.json({ url }, 201);
  },
);

// Keys contain slashes (u/<user>/<name>), which an OpenAPI path parameter cannot express, so the
// route is registered with Hono's regex parameter and documented separately.
uploads.openAPIRegistry.registerPath({
  method: "get",
  path: "/uploads/{key}",
  tags: ["uploads"],
  summary: "Fetch an uploaded image (public, immutable)",
  request: { params: z.object({ key: z.string().openapi({ example: "u/usr_x/abc.png" }) }) },
  responses: {
    200: {
      description: "The image",
      content: { "image/*": { schema: z.string().openapi({ type: "string", format: "binary" }) } },
    },
    ...errorResponses(404),
  },
});

uploads.get("/uploads/:key{.+}", async (c) => {
  const found = await openUpload(c.env, c.req.param("key"));
  if (!found) throw notFound("No such upload.");
  return new Response(found.object.body, {
    headers: {
      "Content-Type": found.contentType,
      "Content-Length": String(found.object.size),
      "Cache-Control": "public, max-age=31536000, immutable",
      "X-Content-Type-Options": "nosniff",
      "Content-Disposition": "inline",
      ETag: found.object.httpEtag,
    },
  });
});
