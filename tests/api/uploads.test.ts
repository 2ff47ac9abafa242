import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { call, createUser, ORIGIN, type TestUser } from "../helpers";

const db = getDb(env);

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
const GIF = new Uint8Array(new TextEncoder().encode("GIF89a\x01\x00\x01\x00"));
const WEBP = new Uint8Array([...new TextEncoder().encode("RIFF"), 36, 0, 0, 0, ...new TextEncoder().encode("WEBPVP8 ")]);

async function upload(as: TestUser | null, file: Blob | string | null, opts: { name?: string; field?: string } = {}) {
  const form = new FormData();
  if (file !== null) {
    if (typeof file === "string") form.append(opts.field ?? "file", file);
    else form.append(opts.field ?? "file", file, opts.name ?? "picture.png");
  }
  const headers: Record<string, string> = { Origin: ORIGIN };
  if (as) headers.Cookie = as.cookie;
  const res = await SELF.fetch(`${ORIGIN}/api/v1/uploads`, { method: "POST", headers, body: form });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

describe("POST /uploads", () => {
  it("stores a PNG in R2 under u/<userId>/ and answers its URL with 201", async () => {
    const user = await createUser();
    const res = await upload(user, new Blob([PNG], { type: "image/png" }));
    expect(res.status).toBe(201);
    expect(res.body.url).toMatch(new RegExp(`^/api/v1/uploads/u/${user.id}/[a-z2-7]+\\.png$`));
    const key = res.body.url.slice("/api/v1/uploads/".length);
    const object = await env.UPLOADS.get(key);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(PNG);
    const [row] = await db.select().from(schema.uploads).where(eq(schema.uploads.key, key));
    expect(row).toMatchObject({ userId: user.id, contentType: "image/png", size: PNG.byteLength });
  });

  it("decides the type from the bytes, not from the declared type or name", async () => {
    const user = await createUser();
    const cases: Array<[Uint8Array<ArrayBuffer>, string, string]> = [
      [JPEG, "image/jpeg", "jpg"],
      [GIF, "image/gif", "gif"],
      [WEBP, "image/webp", "webp"],
    ];
    for (const [bytes, type, ext] of cases) {
      // everything declared as PNG: the stored type must still be the real one
      const res = await upload(user, new Blob([bytes], { type: "image/png" }), { name: "x.png" });
      expect(res.status).toBe(201);
      expect(res.body.url.endsWith(`.${ext}`)).toBe(true);
      const served = await SELF.fetch(`${ORIGIN}${res.body.url}`);
      expect(served.headers.get("Content-Type")).toBe(type);
      await served.arrayBuffer();
    }
  });

  it("refuses anything that is not one of the four image formats with 415, whatever it claims to be", async () => {
    const user = await createUser();
    const html = await upload(user, new Blob(["<script>alert(1)</script>"], { type: "image/png" }), { name: "evil.png" });
    expect(html.status).toBe(415);
    expect(html.body.error.code).toBe("unsupported_media_type");
    const svg = await upload(user, new Blob(['<svg xmlns="http://www.w3.org/2000/svg"/>'], { type: "image/svg+xml" }), { name: "a.svg" });
    expect(svg.status).toBe(415);
    expect(await db.select().from(schema.uploads).where(eq(schema.uploads.userId, user.id))).toHaveLength(0);
  });

  it("refuses a file over 5 MB with 413 too_large", async () => {
    const user = await createUser();
    const big = new Uint8Array(5 * 1024 * 1024 + 1);
    big.set(PNG);
    const res = await upload(user, new Blob([big], { type: "image/png" }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("too_large");
  });

  it("accepts a file of exactly 5 MB", async () => {
    const user = await createUser();
    const max = new Uint8Array(5 * 1024 * 1024);
    max.set(PNG);
    expect((await upload(user, new Blob([max], { type: "image/png" }))).status).toBe(201);
  });

  it("refuses an oversized body by its Content-Length before reading it", async () => {
    const user = await createUser();
    const res = await SELF.fetch(`${ORIGIN}/api/v1/uploads`, {
      method: "POST",
      headers: {
        Origin: ORIGIN,
        Cookie: user.cookie,
        "Content-Type": "multipart/form-data; boundary=x",
        "Content-Length": String(6 * 1024 * 1024),
      },
      body: new Uint8Array(6 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("too_large");
  });

  it("answers 400 when the file field is missing, empty or a plain string", async () => {
    const user = await createUser();
    const missing = await upload(user, null);
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe("validation_failed");
    expect(missing.body.error.issues[0].path).toBe("file");
    expect((await upload(user, "just text")).status).toBe(400);
    expect((await upload(user, new Blob([PNG]), { field: "image" })).status).toBe(400);
    expect((await upload(user, new Blob([], { type: "image/png" }))).status).toBe(400);
  });

  it("answers a JSON body with 415", async () => {
    const user = await createUser();
    const res = await call("/api/v1/uploads", { body: { file: "iVBORw0KGgo=" }, as: user });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe("unsupported_media_type");
  });

  it("needs a signed-in user", async () => {
    const res = await upload(null, new Blob([PNG], { type: "image/png" }));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthenticated");
  });

  it("refuses a cross-origin upload", async () => {
    const user = await createUser();
    const form = new FormData();
    form.append("file", new Blob([PNG], { type: "image/png" }), "a.png");
    const res = await SELF.fetch(`${ORIGIN}/api/v1/uploads`, {
      method: "POST",
      headers: { Origin: "https://evil.example", Cookie: user.cookie },
      body: form,
    });
    expect(res.status).toBe(403);
    await res.arrayBuffer();
  });
});

describe("GET /uploads/:key", () => {
  it("serves the image with its type, a year of immutable caching, nosniff and inline disposition", async () => {
    const user = await createUser();
    const { body } = await upload(user, new Blob([PNG], { type: "image/png" }));
    const res = await SELF.fetch(`${ORIGIN}${body.url}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("image/png");
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("Content-Disposition")).toBe("inline");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PNG);
  });

  it("answers an unknown or malformed key with the 404 envelope", async () => {
    for (const path of ["u/usr_nobody/aaaa.png", "u/../secrets.png", "anything"]) {
      const res = await SELF.fetch(`${ORIGIN}/api/v1/uploads/${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });

  it("stops serving an object whose uploads row is gone", async () => {
    const user = await createUser();
    const { body } = await upload(user, new Blob([GIF], { type: "image/gif" }));
    await db.delete(schema.uploads).where(eq(schema.uploads.userId, user.id));
    const res = await SELF.fetch(`${ORIGIN}${body.url}`);
    expect(res.status).toBe(404);
    await res.arrayBuffer();
  });
});

describe("OpenAPI", () => {
  it("documents the multipart upload and the image route", async () => {
    const doc = await (await SELF.fetch(`${ORIGIN}/api/v1/openapi.json`)).json<{
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
      components: { schemas: Record<string, { properties: Record<string, { format?: string }> }> };
    }>();
    const post = doc.paths["/api/v1/uploads"]?.post;
    expect(post?.requestBody?.content["multipart/form-data"]).toBeDefined();
    expect(doc.components.schemas.UploadForm.properties.file.format).toBe("binary");
    expect(doc.paths["/api/v1/uploads/{key}"]?.get).toBeDefined();
  });
});
