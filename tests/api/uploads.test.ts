import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { pngChunk } from "../../workers/domain/uploads/metadata";
import { call, createUser, ORIGIN, type TestUser } from "../helpers";
import { bytes, gif, jpegSegment, png, riff } from "../upload-fixtures";
import { makeCommunity } from "../community-fixtures";
import { makeChat } from "../chat-fixtures";

const db = getDb(env);

// the smallest well-formed files of each kind, without metadata (stored as sent)
const PNG = png();
const JPEG = bytes([0xff, 0xd8], jpegSegment(0xda, [1, 1, 0, 0, 63, 0]), [0x11, 0xff, 0xd9]);
const GIF = gif({ metadata: false });
const WEBP = riff("RIFF", bytes("WEBP", riff("VP8 ", bytes([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x01, 0x00, 0x01, 0x00]))));
/** A well-formed PNG of exactly `size` bytes: the rest is one private ancillary chunk (dropped on storing). */
const pngOfSize = (size: number) => png(pngChunk("prVt", new Uint8Array(size - PNG.length - 12)));

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
    const res = await upload(user, new Blob([pngOfSize(5 * 1024 * 1024 + 1)], { type: "image/png" }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("too_large");
  });

  it("accepts a file of exactly 5 MB", async () => {
    const user = await createUser();
    const max = pngOfSize(5 * 1024 * 1024);
    expect(max.length).toBe(5 * 1024 * 1024);
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

  /**
   * A multipart body of exactly `size` bytes as a stream without Content-Length: the image `file`,
   * then a text field `note` that fills the rest (so only the body's size, not the file's, is over
   * any limit). Counts what the server pulled.
   */
  function chunkedForm(file: Uint8Array, size: number) {
    const boundary = "enclave-test-boundary";
    const head = bytes(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
      file,
      `\r\n--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n`,
    );
    const tail = bytes(`\r\n--${boundary}--\r\n`);
    const whole = new Uint8Array(size).fill(0x61);
    whole.set(head);
    whole.set(tail, size - tail.length);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= size) return controller.close();
        const part = whole.subarray(pulled, Math.min(size, pulled + 64 * 1024));
        pulled += part.length;
        controller.enqueue(part);
      },
    });
    return { body, pulled: () => pulled, contentType: `multipart/form-data; boundary=${boundary}` };
  }

  const postChunked = (user: TestUser, form: ReturnType<typeof chunkedForm>) =>
    SELF.fetch(`${ORIGIN}/api/v1/uploads`, {
      method: "POST",
      headers: { Origin: ORIGIN, Cookie: user.cookie, "Content-Type": form.contentType },
      body: form.body,
    });

  const LIMIT = 5 * 1024 * 1024 + 16 * 1024;

  it("refuses a chunked body without Content-Length at one byte over the limit with 413, storing nothing", async () => {
    const user = await createUser();
    const form = chunkedForm(PNG, LIMIT + 1);
    const res = await postChunked(user, form);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("too_large");
    expect((await env.UPLOADS.list({ prefix: `u/${user.id}/` })).objects).toHaveLength(0);
    expect(await db.select().from(schema.uploads).where(eq(schema.uploads.userId, user.id))).toHaveLength(0);
  });

  it("stops reading an endless chunked body soon after the limit instead of buffering it", async () => {
    const user = await createUser();
    const form = chunkedForm(PNG, 64 * 1024 * 1024);
    const res = await postChunked(user, form);
    expect(res.status).toBe(413);
    await res.arrayBuffer();
    expect(form.pulled()).toBeLessThan(LIMIT + 2 * 1024 * 1024);
  });

  it("accepts a chunked body without Content-Length of exactly the limit", async () => {
    const user = await createUser();
    const form = chunkedForm(PNG, LIMIT);
    const res = await postChunked(user, form);
    expect(res.status).toBe(201);
    await res.arrayBuffer();
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

  it("answers a broken multipart body with 400 validation_failed, not 500", async () => {
    const user = await createUser();
    const res = await SELF.fetch(`${ORIGIN}/api/v1/uploads`, {
      method: "POST",
      headers: { Origin: ORIGIN, Cookie: user.cookie, "Content-Type": "multipart/form-data; boundary=nope" },
      body: "this is not multipart at all",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("validation_failed");
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

describe("an upload's id", () => {
  it("is answered beside the URL, and a chat message sent with it in imageIds carries that image", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const form = new FormData();
    form.append("file", new Blob([PNG], { type: "image/png" }), "photo.png");
    form.append("spaceId", space.id);
    const res = await SELF.fetch(`${ORIGIN}/api/v1/uploads`, { method: "POST", headers: { Origin: ORIGIN, Cookie: c.owner.cookie }, body: form });
    expect(res.status).toBe(201);
    const answer = (await res.json()) as { id: string; url: string };
    const [row] = await db.select().from(schema.uploads).where(eq(schema.uploads.id, answer.id));
    expect(`/api/v1/uploads/${row.key}`).toBe(answer.url);
    expect(row.spaceId).toBe(space.id);
    const sent = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "look", imageIds: [answer.id] } });
    expect(sent.status).toBe(201);
    expect(sent.body.message.images).toEqual([{ id: answer.id, url: answer.url }]);
  });
});

describe("GET /uploads/:key", () => {
  it("serves a public upload with its type, an hour of public caching (not immutable), nosniff and inline disposition", async () => {
    const user = await createUser();
    const { body } = await upload(user, new Blob([PNG], { type: "image/png" }));
    const res = await SELF.fetch(`${ORIGIN}${body.url}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("image/png");
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect(res.headers.get("Vary")).toBeNull();
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
  it("documents the multipart upload with its spaceId and conversationId fields, and the image route", async () => {
    const doc = await (await SELF.fetch(`${ORIGIN}/api/v1/openapi.json`)).json<{
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
      components: { schemas: Record<string, { properties: Record<string, { format?: string }> }> };
    }>();
    const post = doc.paths["/api/v1/uploads"]?.post;
    expect(post?.requestBody?.content["multipart/form-data"]).toBeDefined();
    expect(doc.components.schemas.UploadForm.properties.file.format).toBe("binary");
    // where the image will be shown decides who may fetch it
    expect(Object.keys(doc.components.schemas.UploadForm.properties).sort()).toEqual(["conversationId", "file", "spaceId"]);
    expect(doc.paths["/api/v1/uploads/{key}"]?.get).toBeDefined();
  });
});
