// Real image containers built byte by byte for the upload tests: a phone-style JPEG, PNG, WebP and
// GIF carrying the metadata a camera or an editor writes (EXIF with GPS and Orientation, XMP,
// text chunks, comments), small enough to read in a failing test's output. The pixel data is
// minimal but well formed where a browser would check it (PNG's IDAT is a real zlib stream).
import { SELF } from "cloudflare:test";
import { concat, pngChunk } from "../workers/domain/uploads/metadata";
import { ORIGIN, type TestUser } from "./helpers";

const text = (s: string) => new TextEncoder().encode(s);

export const bytes = (...parts: Array<Uint8Array | number[] | string>): Uint8Array<ArrayBuffer> =>
  concat(parts.map((p) => (typeof p === "string" ? text(p) : p instanceof Uint8Array ? p : new Uint8Array(p))));

/** The latitude a leaked photo would give away, as it appears in the GPS IFD (25°2'0" N). */
export const GPS_LATITUDE = [0, 0, 0, 25, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];

/**
 * A big-endian TIFF/EXIF structure as cameras write it: IFD0 with Make ("Canon"), Orientation
 * (`orientation`) and a GPSInfo pointer (tag 0x8825) to a GPS IFD holding GPSLatitudeRef "N" and
 * GPSLatitude (three RATIONALs).
 */
export function cameraTiff(orientation: number): Uint8Array<ArrayBuffer> {
  // layout: header 8 | IFD0 at 8: 2 + 3*12 + 4 = 42 → 50 | GPS IFD at 50: 2 + 2*12 + 4 = 30 → 80 | latitude at 80 (24) | "Canon\0" at 104
  const entry = (tag: number, type: number, count: number, value: number[]) => [tag >> 8, tag & 0xff, 0, type, 0, 0, 0, count, ...value];
  return bytes(
    [0x4d, 0x4d, 0, 42, 0, 0, 0, 8],
    [0, 3],
    entry(0x010f, 2, 6, [0, 0, 0, 104]), // Make → "Canon\0"
    entry(0x0112, 3, 1, [0, orientation, 0, 0]), // Orientation
    entry(0x8825, 4, 1, [0, 0, 0, 50]), // GPSInfo IFD pointer
    [0, 0, 0, 0],
    [0, 2],
    entry(0x0001, 2, 2, [0x4e, 0, 0, 0]), // GPSLatitudeRef "N"
    entry(0x0002, 5, 3, [0, 0, 0, 80]), // GPSLatitude
    [0, 0, 0, 0],
    GPS_LATITUDE,
    "Canon\0",
  );
}

/** What a stripped file must hold instead: Orientation alone (Exif 2.32 §4.6.2, big-endian). */
export const ORIENTATION_6_TIFF = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0];

const XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="25,2N" xmp:CreatorTool="PhoneCam"/></rdf:RDF></x:xmpmeta>';

// ---- JPEG ----

export const jpegSegment = (marker: number, payload: Uint8Array | number[] | string) => {
  const data = bytes(payload);
  return bytes([0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 0xff], data);
};

/**
 * A baseline JPEG as a phone writes it: SOI, JFIF APP0 (with a 1×1 thumbnail), APP1 Exif (GPS,
 * Orientation 6), APP1 XMP, APP13 IPTC, COM, DQT, SOF0, DHT, SOS, entropy-coded data with a
 * stuffed 0xFF00 and an RST0, EOI, then a trailing second image (as MPF appends) with its own Exif.
 */
export function phoneJpeg(): Uint8Array<ArrayBuffer> {
  return bytes(
    [0xff, 0xd8],
    jpegSegment(0xe0, bytes("JFIF\0", [1, 2, 0, 0, 72, 0, 72, 1, 1], [0xaa, 0xbb, 0xcc])),
    jpegSegment(0xe1, bytes("Exif\0\0", cameraTiff(6))),
    jpegSegment(0xe1, bytes("http://ns.adobe.com/xap/1.0/\0", XMP)),
    jpegSegment(0xed, "Photoshop 3.0\u00008BIM\x04\x04IPTC city=Taipei"),
    jpegSegment(0xfe, "secret comment"),
    jpegSegment(0xdb, bytes([0], new Uint8Array(64).fill(1))),
    jpegSegment(0xc0, [8, 0, 1, 0, 1, 1, 1, 0x11, 0]),
    jpegSegment(0xc4, bytes([0], [0, 1, ...new Array(14).fill(0)], [0])),
    jpegSegment(0xda, [1, 1, 0, 0, 63, 0]),
    [0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56],
    [0xff, 0xd9],
    [0xff, 0xd8],
    jpegSegment(0xe1, bytes("Exif\0\0", cameraTiff(1))),
    [0xff, 0xd9],
  );
}

/** The segments of a JPEG up to EOI: [marker, payload] (entropy-coded data as marker 0). */
export function jpegSegments(jpeg: Uint8Array): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  let at = 2;
  while (at < jpeg.length) {
    const marker = jpeg[at + 1];
    if (marker === 0xd9) {
      out.push([marker, new Uint8Array()]);
      return out;
    }
    const length = (jpeg[at + 2] << 8) | jpeg[at + 3];
    out.push([marker, jpeg.subarray(at + 4, at + 2 + length)]);
    at += 2 + length;
    if (marker === 0xda) {
      const start = at;
      while (!(jpeg[at] === 0xff && jpeg[at + 1] === 0xd9)) at++;
      out.push([0, jpeg.subarray(start, at)]);
    }
  }
  throw new Error("no EOI");
}

// ---- PNG ----

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** zlib stream of one scanline of a 1×1 greyscale image: filter byte 0, pixel 0. */
const IDAT_1X1 = [0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01];
const IHDR_1X1 = [0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0];

/** A valid 1×1 PNG with `extra` chunks between IHDR and IDAT. */
export const png = (...extra: Uint8Array[]) =>
  bytes(PNG_SIGNATURE, pngChunk("IHDR", bytes(IHDR_1X1)), ...extra, pngChunk("IDAT", bytes(IDAT_1X1)), pngChunk("IEND", new Uint8Array()));

/** A PNG as an editor saves a phone photo: eXIf (GPS, Orientation 6), tEXt, iTXt (XMP), zTXt, tIME, then bytes after IEND. */
export function phonePng(): Uint8Array<ArrayBuffer> {
  return bytes(
    PNG_SIGNATURE,
    pngChunk("IHDR", bytes(IHDR_1X1)),
    pngChunk("sRGB", bytes([0])),
    pngChunk("eXIf", cameraTiff(6)),
    pngChunk("tEXt", bytes("Author\0Jane Doe")),
    pngChunk("iTXt", bytes("XML:com.adobe.xmp\0\0\0\0\0", XMP)),
    pngChunk("zTXt", bytes("Comment\0\0", [0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    pngChunk("tIME", bytes([0x07, 0xea, 11, 30, 12, 0, 0])),
    pngChunk("IDAT", bytes(IDAT_1X1)),
    pngChunk("IEND", new Uint8Array()),
    "trailing secret after IEND",
  );
}

/** The chunks of a PNG: type, data and whether the stored CRC matches one computed here. */
export function pngChunks(file: Uint8Array, crc: (b: Uint8Array) => number) {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: Array<{ type: string; data: Uint8Array; crcOk: boolean }> = [];
  for (let at = 8; at < file.length; ) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(file.subarray(at + 4, at + 8));
    const data = file.subarray(at + 8, at + 8 + length);
    out.push({ type, data, crcOk: view.getUint32(at + 8 + length) === crc(file.subarray(at + 4, at + 8 + length)) });
    at += 12 + length;
  }
  return out;
}

// ---- WebP ----

export function riff(fourcc: string, data: Uint8Array) {
  const size = data.length;
  return bytes(fourcc, [size & 0xff, (size >> 8) & 0xff, (size >> 16) & 0xff, size >>> 24], data, size % 2 ? [0] : []);
}

/**
 * An extended WebP (VP8X with the EXIF and XMP flags set, 1×1 canvas), an odd-sized VP8L
 * bitstream (so a pad byte follows it), EXIF (little-endian TIFF: GPS, Orientation 6) and XMP.
 */
export function phoneWebp(): Uint8Array<ArrayBuffer> {
  const vp8x = bytes([0x08 | 0x04, 0, 0, 0], [0, 0, 0], [0, 0, 0]);
  const vp8l = bytes([0x2f, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11]);
  return riff("RIFF", bytes("WEBP", riff("VP8X", vp8x), riff("VP8L", vp8l), riff("EXIF", littleEndian(cameraTiff(6))), riff("XMP ", bytes(XMP))));
}

/** The same TIFF structure written little-endian ("II"), as Android cameras do. */
function littleEndian(tiff: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const be = new DataView(tiff.buffer);
  const out = tiff.slice();
  const le = new DataView(out.buffer);
  out[0] = out[1] = 0x49;
  le.setUint16(2, 42, true);
  le.setUint32(4, 8, true);
  const swapIfd = (ifd: number) => {
    const count = be.getUint16(ifd);
    le.setUint16(ifd, count, true);
    for (let i = 0; i < count; i++) {
      const e = ifd + 2 + i * 12;
      const type = be.getUint16(e + 2);
      le.setUint16(e, be.getUint16(e), true);
      le.setUint16(e + 2, type, true);
      le.setUint32(e + 4, be.getUint32(e + 4), true);
      if (type === 3) le.setUint16(e + 8, be.getUint16(e + 8), true);
      else if (type === 4 || type === 5 || (type === 2 && be.getUint32(e + 4) > 4)) le.setUint32(e + 8, be.getUint32(e + 8), true);
    }
  };
  swapIfd(8);
  swapIfd(50);
  for (let r = 80; r < 104; r += 4) le.setUint32(r, be.getUint32(r), true);
  return out;
}

/** The chunks of a WebP file, after checking that the RIFF size covers exactly the file. */
export function webpChunks(file: Uint8Array) {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const riffSizeOk = view.getUint32(4, true) === file.length - 8;
  const out: Array<{ fourcc: string; data: Uint8Array }> = [];
  for (let at = 12; at < file.length; ) {
    const size = view.getUint32(at + 4, true);
    out.push({ fourcc: new TextDecoder().decode(file.subarray(at, at + 4)), data: file.subarray(at + 8, at + 8 + size) });
    at += 8 + size + (size % 2);
  }
  return { riffSizeOk, chunks: out };
}

// ---- GIF ----

const subBlocks = (data: string | number[]) => {
  const b = bytes(data);
  return bytes([b.length], b, [0]);
};

/** A 1×1 looping GIF89a, by default with a comment extension and an XMP application extension. */
export function gif(opts: { metadata: boolean } = { metadata: true }): Uint8Array<ArrayBuffer> {
  return bytes(
    "GIF89a",
    [1, 0, 1, 0, 0x80, 0, 0], // 1×1, global colour table of 2 entries
    [0, 0, 0, 255, 255, 255],
    opts.metadata ? bytes([0x21, 0xfe], subBlocks("secret comment")) : [],
    [0x21, 0xff, 11], "NETSCAPE2.0", [3, 1, 0, 0, 0],
    opts.metadata ? bytes([0x21, 0xff, 11], "XMP DataXMP", subBlocks(XMP)) : [],
    [0x21, 0xf9, 4, 0, 0, 0, 0, 0], // graphic control
    [0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0], [2], subBlocks([0x44, 0x01]),
    [0x3b],
  );
}

// ---- the API ----

/** POST /api/v1/uploads as `as` with `fields` (the file under "file"); the parsed answer. */
export async function postUpload(as: TestUser | null, file: Uint8Array | Blob | string | null, fields: Record<string, string> = {}) {
  const form = new FormData();
  if (typeof file === "string") form.append("file", file);
  else if (file !== null) form.append("file", file instanceof Blob ? file : new Blob([file as Uint8Array<ArrayBuffer>]), "picture");
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const headers: Record<string, string> = { Origin: ORIGIN };
  if (as) headers.Cookie = as.cookie;
  const res = await SELF.fetch(`${ORIGIN}/api/v1/uploads`, { method: "POST", headers, body: form });
  const body = await res.text();
  return { status: res.status, body: body ? JSON.parse(body) : null, headers: res.headers };
}

/** GET an upload's URL as `as` (null: signed out), with extra request headers. */
export async function fetchUpload(url: string, as: TestUser | null, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(`${ORIGIN}${url}`, { headers: { ...headers, ...(as ? { Cookie: as.cookie } : {}) } });
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

export const keyOf = (url: string) => url.slice("/api/v1/uploads/".length);
