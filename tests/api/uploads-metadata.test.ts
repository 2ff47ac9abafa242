// Issue 10 §3: EXIF, GPS, XMP, IPTC and text metadata are stripped from what is stored, at the
// container level, keeping the Orientation so phone photos are not shown sideways.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { crc32 } from "../../workers/domain/uploads/metadata";
import { createUser } from "../helpers";
import {
  bytes,
  gif,
  GPS_LATITUDE,
  jpegSegment,
  jpegSegments,
  keyOf,
  ORIENTATION_6_TIFF,
  phoneJpeg,
  phonePng,
  phoneWebp,
  png,
  pngChunks,
  postUpload,
  webpChunks,
} from "../upload-fixtures";

async function stored(url: string): Promise<Uint8Array> {
  const object = await env.UPLOADS.get(keyOf(url));
  return new Uint8Array(await object!.arrayBuffer());
}

/** Upload `file` as a new user (201 expected) and read back what R2 holds. */
async function storedAfterUpload(file: Uint8Array): Promise<{ url: string; file: Uint8Array }> {
  const res = await postUpload(await createUser(), file);
  expect(res.status).toBe(201);
  return { url: res.body.url, file: await stored(res.body.url) };
}

/** Whether `needle` occurs anywhere in `haystack`. */
function contains(haystack: Uint8Array, needle: Uint8Array | number[] | string): boolean {
  const n = bytes(needle);
  outer: for (let i = 0; i + n.length <= haystack.length; i++) {
    for (let j = 0; j < n.length; j++) if (haystack[i + j] !== n[j]) continue outer;
    return true;
  }
  return false;
}

/** Nothing a camera or editor left identifies the photo, its place or its author. */
function expectNoMetadata(file: Uint8Array) {
  expect(contains(file, GPS_LATITUDE), "GPS latitude").toBe(false);
  expect(contains(file, [0x88, 0x25]), "GPSInfo tag").toBe(false);
  for (const word of ["Canon", "xmpmeta", "PhoneCam", "Jane Doe", "secret", "Taipei", "8BIM"]) {
    expect(contains(file, word), word).toBe(false);
  }
}

describe("metadata stripping on upload", () => {
  it("checks PNG chunk CRCs with the standard CRC-32 (IEND's is AE426082)", () => {
    expect(crc32(new TextEncoder().encode("IEND"))).toBe(0xae426082);
  });

  it("stores a phone JPEG without EXIF GPS, XMP, IPTC, comments, JFIF thumbnail or trailing image, Orientation 6 kept alone", async () => {
    const { url, file } = await storedAfterUpload(phoneJpeg());
    expectNoMetadata(file);
    expect([...file.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect([...file.subarray(-2)]).toEqual([0xff, 0xd9]);
    const segments = jpegSegments(file);
    expect(segments.map(([m]) => m)).toEqual([0xe0, 0xe1, 0xdb, 0xc0, 0xc4, 0xda, 0, 0xd9]);
    // JFIF stays first, its thumbnail emptied
    expect([...segments[0][1]]).toEqual([...new TextEncoder().encode("JFIF\0"), 1, 2, 0, 0, 72, 0, 72, 0, 0]);
    expect([...segments[1][1]]).toEqual([...new TextEncoder().encode("Exif\0\0"), ...ORIENTATION_6_TIFF]);
    // the entropy-coded data is untouched, stuffed byte and restart marker included
    expect([...segments[6][1]]).toEqual([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56]);
    const [row] = await getDb(env).select().from(schema.uploads).where(eq(schema.uploads.key, keyOf(url)));
    expect(row.size).toBe(file.length);
  });

  it("adds no EXIF block to a JPEG whose orientation is the default", async () => {
    const upright = bytes([0xff, 0xd8], jpegSegment(0xe1, bytes("Exif\0\0", ORIENTATION_6_TIFF.map((b, i) => (i === 19 ? 1 : b)))), jpegSegment(0xda, [1, 1, 0, 0, 63, 0]), [0x11, 0xff, 0xd9]);
    const { file } = await storedAfterUpload(upright);
    expect(jpegSegments(file).map(([m]) => m)).toEqual([0xda, 0, 0xd9]);
  });

  it("stores a phone PNG with only the image chunks and an orientation-only eXIf, every CRC valid", async () => {
    const { file } = await storedAfterUpload(phonePng());
    expectNoMetadata(file);
    const chunks = pngChunks(file, crc32);
    expect(chunks.map((c) => c.type)).toEqual(["IHDR", "sRGB", "eXIf", "IDAT", "IEND"]);
    expect(chunks.every((c) => c.crcOk)).toBe(true);
    expect([...chunks[2].data]).toEqual(ORIENTATION_6_TIFF);
    // nothing after IEND
    expect(file.length).toBe(8 + chunks.reduce((n, c) => n + 12 + c.data.length, 0));
  });

  it("stores a PNG without metadata byte for byte as sent", async () => {
    const plain = png();
    expect((await storedAfterUpload(plain)).file).toEqual(plain);
  });

  it("stores a phone WebP without XMP, with the EXIF flag, an orientation-only EXIF chunk and a RIFF size that adds up", async () => {
    const { file } = await storedAfterUpload(phoneWebp());
    expectNoMetadata(file);
    const { riffSizeOk, chunks } = webpChunks(file);
    expect(riffSizeOk).toBe(true);
    expect(chunks.map((c) => c.fourcc)).toEqual(["VP8X", "VP8L", "EXIF"]);
    // VP8X flags: EXIF (0x08) set, XMP (0x04) cleared
    expect(chunks[0].data[0]).toBe(0x08);
    expect([...chunks[1].data]).toEqual([0x2f, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11]);
    expect([...chunks[2].data]).toEqual(ORIENTATION_6_TIFF);
  });

  it("stores a GIF without its comment and XMP extensions, keeping the animation loop", async () => {
    const { file } = await storedAfterUpload(gif());
    expectNoMetadata(file);
    expect(file).toEqual(gif({ metadata: false }));
  });

  it("refuses a container whose structure is broken with 400 image_damaged and stores nothing", async () => {
    const user = await createUser();
    const cases = [
      bytes([0xff, 0xd8, 0xff, 0xe1, 0x40, 0x00], "Exif\0\0"), // APP1 longer than the file
      bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0x10, 0, 0x65, 0x58, 0x49, 0x66]), // eXIf past the end
      bytes("RIFF", [20, 0, 0, 0], "WEBP", "EXIF", [0xff, 0, 0, 0]), // chunk past the RIFF end
      bytes("GIF89a", [1, 0, 1, 0, 0, 0, 0], [0x99]), // unknown block
    ];
    for (const broken of cases) {
      const res = await postUpload(user, broken);
      expect(res.status).toBe(400);
      expect(res.body.error.issues[0]).toMatchObject({ path: "file", code: "image_damaged" });
    }
    expect(await getDb(env).select().from(schema.uploads).where(eq(schema.uploads.userId, user.id))).toHaveLength(0);
    expect((await env.UPLOADS.list({ prefix: `u/${user.id}/` })).objects).toHaveLength(0);
  });
});
