// Metadata stripping at the container level: segments and chunks are copied or dropped, pixels are
// never decoded or re-encoded (workerd has no native image library, and a re-encode would cost
// quality and CPU). What survives is a whitelist — the image data and what a decoder needs to show
// it faithfully (colour profiles, gamma, transparency, animation) — so a camera's or an app's own
// metadata (EXIF, GPS, XMP, IPTC, comments, timestamps, private chunks, thumbnails, trailing
// images) cannot slip through under a name we did not think of. The one EXIF fact kept is the
// Orientation tag, written back as a minimal EXIF block of that tag alone, so phone photos are not
// shown sideways. ADR 020 says why this is our code rather than a library.
import type { ImageKind } from "./images";

/** The file is not the image its first bytes claim (a length runs past the end, a block is unknown). */
export class DamagedImageError extends Error {}

const damaged = (why: string): never => {
  throw new DamagedImageError(why);
};

const ascii = (bytes: Uint8Array, at: number, length: number) => String.fromCharCode(...bytes.subarray(at, at + length));
const u16be = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const u32be = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
const u32le = (b: Uint8Array, at: number) => ((b[at + 3] << 24) | (b[at + 2] << 16) | (b[at + 1] << 8) | b[at]) >>> 0;

/** `parts` joined into one new array. */
export function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

// ---- EXIF (TIFF structure; CIPA DC-008 Exif 2.32 §4.6.2, TIFF 6.0 §2) ----

const ORIENTATION_TAG = 0x0112;
const TIFF_SHORT = 3;

/**
 * The Orientation (1–8, Exif 2.32 §4.6.4 A) held in IFD0 of a TIFF-structured EXIF block (starting
 * at its "II"/"MM" byte-order mark), or null when it is absent, out of range or the block is
 * malformed — an unreadable block is dropped like any other, not a reason to refuse the image.
 */
export function readOrientation(tiff: Uint8Array): number | null {
  if (tiff.length < 8) return null;
  const order = ascii(tiff, 0, 2);
  if (order !== "II" && order !== "MM") return null;
  const little = order === "II";
  const u16 = (at: number) => (little ? tiff[at] | (tiff[at + 1] << 8) : u16be(tiff, at));
  const u32 = (at: number) => (little ? u32le(tiff, at) : u32be(tiff, at));
  if (u16(2) !== 42) return null;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return null;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return null;
    if (u16(entry) !== ORIENTATION_TAG) continue;
    if (u16(entry + 2) !== TIFF_SHORT || u32(entry + 4) !== 1) return null;
    const value = u16(entry + 8);
    return value >= 1 && value <= 8 ? value : null;
  }
  return null;
}

/**
 * A big-endian TIFF structure with one IFD of one entry, Orientation = `orientation` (26 bytes):
 * header (8) + entry count (2) + the entry (12: tag, type SHORT, count 1, value left-justified) +
 * next-IFD offset 0 (4). Exif 2.32 §4.6.2; TIFF 6.0 §2 "Image File Directory".
 */
export function orientationOnlyTiff(orientation: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08,
    0x00, 0x01,
    0x01, 0x12, 0x00, TIFF_SHORT, 0x00, 0x00, 0x00, 0x01, 0x00, orientation, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
  ]);
}

/** Orientation 1 is the default: writing it back would only add bytes. */
const worthKeeping = (orientation: number | null): orientation is number => orientation !== null && orientation !== 1;

// ---- JPEG (ITU-T T.81 Annex B; JFIF 1.02; Exif 2.32 §4.5.4; ICC.1:2022 Annex B.4; Adobe TN 5116) ----

const EXIF_HEADER = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]; // "Exif\0\0"
const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;
const COM = 0xfe;

const segment = (marker: number, payload: Uint8Array) =>
  concat([new Uint8Array([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);

/**
 * Which APPn/COM segments stay: JFIF APP0 (with its thumbnail dropped — it may show the uncropped
 * picture), ICC profiles in APP2 (colours) and Adobe APP14 (it says how to convert CMYK/YCCK).
 * Everything else — EXIF and XMP (APP1), FlashPix and MPF (APP2), IPTC/Photoshop (APP13), vendor
 * blocks and COM — goes. Returns the payload to write, or null to drop.
 */
function keptAppPayload(marker: number, payload: Uint8Array): Uint8Array | null {
  if (marker === APP0 && ascii(payload, 0, 5) === "JFIF\0" && payload.length >= 14) {
    const jfif = payload.slice(0, 14);
    jfif[12] = 0; // Xthumbnail
    jfif[13] = 0; // Ythumbnail
    return jfif;
  }
  if (marker === APP2 && ascii(payload, 0, 12) === "ICC_PROFILE\0") return payload;
  if (marker === APP14 && ascii(payload, 0, 5) === "Adobe") return payload;
  return null;
}

function stripJpeg(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes[0] !== 0xff || bytes[1] !== SOI) damaged("no SOI");
  const head: Uint8Array[] = [bytes.subarray(0, 2)];
  const body: Uint8Array[] = [];
  let orientation: number | null = null;
  let at = 2;
  let sawScan = false;
  const assemble = () =>
    concat([...head, ...(worthKeeping(orientation) ? [segment(APP1, concat([new Uint8Array(EXIF_HEADER), orientationOnlyTiff(orientation)]))] : []), ...body]);
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) damaged("expected a marker");
    // fill bytes (0xFF padding before a marker, T.81 B.1.1.2)
    while (bytes[at + 1] === 0xff) at++;
    const marker = bytes[at + 1];
    if (marker === undefined) damaged("truncated marker");
    if (marker === EOI) {
      // anything after the first image's EOI (MPF secondary images, vendor trailers) is dropped
      body.push(bytes.subarray(at, at + 2));
      return assemble();
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      // standalone markers (RSTn, TEM) carry no length
      body.push(bytes.subarray(at, at + 2));
      at += 2;
      continue;
    }
    if (at + 4 > bytes.length) damaged("truncated segment header");
    const length = u16be(bytes, at + 2);
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length) damaged("segment runs past the end");
    const payload = bytes.subarray(at + 4, end);
    if ((marker >= APP0 && marker <= 0xef) || marker === COM) {
      if (marker === APP1 && ascii(payload, 0, 6) === "Exif\0\0" && orientation === null) {
        orientation = readOrientation(payload.subarray(6));
      }
      const kept = keptAppPayload(marker, payload);
      // JFIF must stay first after SOI (JFIF 1.02 §3); the minimal EXIF block follows it
      if (kept) (marker === APP0 && body.length === 0 ? head : body).push(kept === payload ? bytes.subarray(at, end) : segment(marker, kept));
      at = end;
      continue;
    }
    body.push(bytes.subarray(at, end));
    at = end;
    if (marker === SOS) {
      sawScan = true;
      // entropy-coded data runs to the next marker other than a stuffed 0xFF00 or RSTn (T.81 B.1.1.5)
      let scan = at;
      while (scan < bytes.length) {
        if (bytes[scan] === 0xff && scan + 1 < bytes.length) {
          const next = bytes[scan + 1];
          if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) break;
        }
        scan++;
      }
      body.push(bytes.subarray(at, scan));
      at = scan;
    }
  }
  // a file cut short inside its image data: what is there is pixels, kept as browsers show it
  if (!sawScan) damaged("no image data");
  return assemble();
}

// ---- PNG (W3C PNG Third Edition, 2025: §5.3 chunk layout, §4.3 chunk types, §11.3.6.1 eXIf) ----

/** The chunks a decoder needs (critical ones, colour, transparency, physical size, APNG animation). */
const PNG_KEPT = new Set([
  "IHDR", "PLTE", "IDAT", "IEND",
  "tRNS", "cHRM", "gAMA", "iCCP", "sBIT", "sRGB", "cICP", "mDCV", "cLLI", "bKGD", "hIST", "pHYs", "sPLT",
  "acTL", "fcTL", "fdAT",
]);
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO 3309 / ITU-T V.42, polynomial 0xEDB88320) as PNG §5.5 computes it over type and data. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const be32 = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);

/** One PNG chunk: length, type, data, CRC over type and data (PNG §5.3). */
export function pngChunk(type: string, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const typed = concat([new TextEncoder().encode(type), data]);
  return concat([be32(data.length), typed, be32(crc32(typed))]);
}

function stripPng(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out: Uint8Array[] = [bytes.subarray(0, 8)];
  let at = 8;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) damaged("truncated chunk");
    const length = u32be(bytes, at);
    const type = ascii(bytes, at + 4, 4);
    const end = at + 12 + length;
    if (end > bytes.length) damaged("chunk runs past the end");
    if (type === "eXIf") {
      const orientation = readOrientation(bytes.subarray(at + 8, at + 8 + length));
      if (worthKeeping(orientation)) out.push(pngChunk("eXIf", orientationOnlyTiff(orientation)));
    } else if (PNG_KEPT.has(type)) {
      out.push(bytes.subarray(at, end));
    }
    at = end;
    // anything after IEND is not part of the image
    if (type === "IEND") break;
  }
  return concat(out);
}

// ---- WebP (RFC 9649 §2.7: RIFF container, VP8X flags, chunk order) ----

const WEBP_KEPT = new Set(["VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF", "ICCP"]);
// VP8X flags byte (RFC 9649 §2.7.1): Rsv(2) I L E X A R
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

function riffChunk(fourcc: string, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const size = data.length;
  const header = concat([new TextEncoder().encode(fourcc), new Uint8Array([size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, size >>> 24])]);
  // chunks are padded to an even size (RFC 9649 §2.3)
  return concat([header, data, ...(size % 2 ? [new Uint8Array(1)] : [])]);
}

function stripWebp(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const riffEnd = Math.min(bytes.length, 8 + u32le(bytes, 4));
  const kept: Array<{ fourcc: string; data: Uint8Array }> = [];
  let orientation: number | null = null;
  let at = 12;
  while (at < riffEnd) {
    if (at + 8 > riffEnd) damaged("truncated chunk");
    const fourcc = ascii(bytes, at, 4);
    const size = u32le(bytes, at + 4);
    if (at + 8 + size > riffEnd) damaged("chunk runs past the end");
    const data = bytes.subarray(at + 8, at + 8 + size);
    if (fourcc === "EXIF") {
      // some writers keep the JPEG-style "Exif\0\0" prefix; the spec's is bare TIFF
      orientation ??= readOrientation(ascii(data, 0, 6) === "Exif\0\0" ? data.subarray(6) : data);
    } else if (fourcc === "VP8X") {
      if (kept.length > 0 || size < 10) damaged("misplaced VP8X");
      kept.push({ fourcc, data: data.slice() });
    } else if (WEBP_KEPT.has(fourcc)) {
      kept.push({ fourcc, data });
    }
    at += 8 + size + (size % 2);
  }
  if (kept.length === 0) damaged("no image data");
  const vp8x = kept[0].fourcc === "VP8X" ? kept[0].data : null;
  // a simple-format file (no VP8X) cannot carry EXIF, so its orientation cannot be kept either
  const exif = vp8x && worthKeeping(orientation) ? orientationOnlyTiff(orientation) : null;
  if (vp8x) vp8x[0] = (vp8x[0] & ~(VP8X_EXIF | VP8X_XMP)) | (exif ? VP8X_EXIF : 0);
  // metadata chunks follow the image data (RFC 9649 §2.7.1.4, "Assembling the Canvas")
  const body = concat([...kept.map((c) => riffChunk(c.fourcc, c.data)), ...(exif ? [riffChunk("EXIF", exif)] : [])]);
  return riffChunk("RIFF", concat([new TextEncoder().encode("WEBP"), body]));
}

// ---- GIF (GIF89a specification, W3C-hosted CompuServe 1990: §17–§26) ----

/** Application extensions that make an animation loop; any other (XMP DataXMP, ICC, vendors') goes. */
const GIF_KEPT_APPS = new Set(["NETSCAPE2.0", "ANIMEXTS1.0"]);

function stripGif(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  /** The end of a run of data sub-blocks starting at `at` (each a length byte, 0 ends the run). */
  const subBlocksEnd = (at: number) => {
    while (true) {
      if (at >= bytes.length) damaged("truncated sub-blocks");
      const size = bytes[at];
      at += 1 + size;
      if (size === 0) return at;
    }
  };
  if (bytes.length < 13) damaged("truncated header");
  const flags = bytes[10];
  let at = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0);
  const out: Uint8Array[] = [bytes.subarray(0, at)];
  while (true) {
    const introducer = bytes[at];
    if (introducer === 0x3b) {
      out.push(bytes.subarray(at, at + 1));
      return concat(out);
    }
    if (introducer === 0x2c) {
      // image descriptor (10 bytes), local colour table, LZW minimum code size, image data
      if (at + 10 > bytes.length) damaged("truncated image descriptor");
      const local = bytes[at + 9];
      const end = subBlocksEnd(at + 10 + (local & 0x80 ? 3 * 2 ** ((local & 0x07) + 1) : 0) + 1);
      out.push(bytes.subarray(at, end));
      at = end;
      continue;
    }
    if (introducer === 0x21) {
      const label = bytes[at + 1];
      const end = subBlocksEnd(at + 2);
      const comment = label === 0xfe;
      const foreignApp = label === 0xff && !(bytes[at + 2] === 11 && GIF_KEPT_APPS.has(ascii(bytes, at + 3, 11)));
      if (!comment && !foreignApp) out.push(bytes.subarray(at, end));
      at = end;
      continue;
    }
    // a file cut short before its trailer: browsers show what arrived, and so do we
    if (introducer === undefined) return concat(out);
    damaged("unknown block");
  }
}

/**
 * `bytes` without metadata, as the same container and image data: see the file comment for what
 * stays. `kind` is what images.ts sniffed from the first bytes.
 * Throws DamagedImageError when the container's structure is broken (lengths past the end, no
 * image data), since metadata could then hide where a decoder would still find it.
 */
export function stripMetadata(bytes: Uint8Array, kind: ImageKind): Uint8Array<ArrayBuffer> {
  switch (kind.ext) {
    case "jpg":
      return stripJpeg(bytes);
    case "png":
      if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) damaged("no signature");
      return stripPng(bytes);
    case "webp":
      return stripWebp(bytes);
    case "gif":
      return stripGif(bytes);
  }
  return damaged("unknown kind");
}
