// Image uploads in R2. The type is decided by the file's first bytes, never by the name or the
// declared type, so nothing but these four image formats is ever served from our origin.
import { and, eq, isNull } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { DomainError, badRequest } from "../../lib/errors";
import { newId, randomToken } from "../../lib/ids";
import { limitUpload } from "../rate-limits";
import { UPLOAD_URL_PREFIX } from "../../lib/vocabulary";
import type { UploadAudience } from "./audience";
import { DamagedImageError, stripMetadata } from "./metadata";

export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

export const tooLarge = () =>
  new DomainError(413, "too_large", `Images can be at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB.`);
const unsupported = () =>
  new DomainError(415, "unsupported_media_type", "Upload a PNG, JPEG, WebP or GIF image.");

export type ImageKind = { contentType: string; ext: "png" | "jpg" | "gif" | "webp" };

const startsWith = (bytes: Uint8Array, prefix: number[], offset = 0) =>
  bytes.length >= offset + prefix.length && prefix.every((b, i) => bytes[offset + i] === b);
const ascii = (text: string) => [...text].map((ch) => ch.charCodeAt(0));

export function sniffImage(bytes: Uint8Array): ImageKind | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { contentType: "image/png", ext: "png" };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { contentType: "image/jpeg", ext: "jpg" };
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return { contentType: "image/gif", ext: "gif" };
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return { contentType: "image/webp", ext: "webp" };
  return null;
}

const KEY_SHAPE = /^u\/[a-z0-9_]+\/[a-z2-7]+\.(png|jpg|gif|webp)$/;

export const uploadUrl = (key: string) => `${UPLOAD_URL_PREFIX}${key}`;
const keyFromUrl = (url: string) => (url.startsWith(UPLOAD_URL_PREFIX) ? url.slice(UPLOAD_URL_PREFIX.length) : null);

const damagedImage = () =>
  badRequest("The image file is damaged: it could not be read.", {
    issues: [{ path: "file", message: "image_damaged", code: "image_damaged" }],
  });

/**
 * Stores `file` (at most MAX_UPLOAD_BYTES) for `userId` as `{ id, url }` (the uploads row's id, the URL) under /api/v1/uploads/, with
 * its metadata stripped (metadata.ts) and `audience` recorded (audience.ts; the caller has checked
 * the uploader may read it). Throws 413 too_large, 415 unsupported_media_type (not PNG, JPEG, WebP
 * or GIF by its bytes), 400 validation_failed (empty, or a broken container).
 */
export async function storeImage(env: Env, userId: string, file: File, audience: UploadAudience = null): Promise<{ id: string; url: string }> {
  if (file.size > MAX_UPLOAD_BYTES) throw tooLarge();
  if (file.size === 0) throw badRequest("The file is empty.", { issues: [{ path: "file", message: "empty", code: "file_empty" }] });
  const sent = new Uint8Array(await file.arrayBuffer());
  const kind = sniffImage(sent);
  if (!kind) throw unsupported();
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = stripMetadata(sent, kind);
  } catch (err) {
    if (err instanceof DamagedImageError) throw damagedImage();
    throw err;
  }
  // a day's budget of files per member (ADR 021), spent only by an image that will be stored
  await limitUpload(env, userId);
  const key = `u/${userId}/${randomToken(16)}.${kind.ext}`;
  const id = newId("upl");
  await env.UPLOADS.put(key, bytes, { httpMetadata: { contentType: kind.contentType } });
  try {
    await getDb(env)
      .insert(schema.uploads)
      .values({
        id,
        userId,
        key,
        contentType: kind.contentType,
        size: bytes.byteLength,
        spaceId: audience && "spaceId" in audience ? audience.spaceId : null,
        conversationId: audience && "conversationId" in audience ? audience.conversationId : null,
      });
  } catch (err) {
    // an object without its row would be invisible to export and erasure
    await env.UPLOADS.delete(key);
    throw err;
  }
  return { id, url: uploadUrl(key) };
}

/**
 * The uploads row of `key` (type and audience), or null for a malformed or unknown key. Served only
 * while its row exists, so erasure takes effect at once on our side.
 */
export async function findUpload(env: Env, key: string) {
  if (!KEY_SHAPE.test(key)) return null;
  const [row] = await getDb(env)
    .select({ contentType: schema.uploads.contentType, spaceId: schema.uploads.spaceId, conversationId: schema.uploads.conversationId })
    .from(schema.uploads)
    .where(eq(schema.uploads.key, key))
    .limit(1);
  return row ?? null;
}

/**
 * Whether `url` is a public upload (no space, no conversation) of `userId`: what an avatar may
 * be, since an avatar is shown wherever its owner appears, to anyone.
 */
export async function isOwnPublicUpload(env: Env, userId: string, url: string): Promise<boolean> {
  const key = keyFromUrl(url);
  if (!key || !KEY_SHAPE.test(key)) return false;
  const [row] = await getDb(env)
    .select({ id: schema.uploads.id })
    .from(schema.uploads)
    .where(
      and(
        eq(schema.uploads.key, key),
        eq(schema.uploads.userId, userId),
        isNull(schema.uploads.spaceId),
        isNull(schema.uploads.conversationId),
      ),
    )
    .limit(1);
  return Boolean(row);
}
