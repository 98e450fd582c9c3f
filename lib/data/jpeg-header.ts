/**
 * What the native decoder needs to know about a JPEG before decoding it: its size, sample
 * precision, components and EXIF orientation (the native path only takes 8-bit gray/YCbCr files
 * that need no rotation; sharp does the rest). Reads markers up to the frame header only.
 */

/**
 * Images with more pixels are refused before decoding: sharp's default limitInputPixels (0x3FFF²),
 * also kMaxInputPixels in native/jpeg/jpeg_decoder.h. A forged header must not allocate gigabytes.
 */
export const MAX_INPUT_PIXELS = 0x3fff * 0x3fff;

export interface JpegHeader {
  width: number;
  height: number;
  /** Bits per sample (8, or 12 for the rare 12-bit files). */
  precision: number;
  /** 1 gray, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  components: number;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
}

const SOS = 0xda;

/** Start-of-frame markers C0..CF, except DHT (C4), JPG (C8) and DAC (CC). */
function isFrameMarker(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

/** EXIF orientation from an APP1 payload (after the "Exif\0\0" tag), 1 when absent or unreadable. */
function exifOrientation(buf: Uint8Array, tiff: number, end: number): number {
  if (tiff + 8 > end) return 1;
  const little = buf[tiff] === 0x49 && buf[tiff + 1] === 0x49;
  if (!little && !(buf[tiff] === 0x4d && buf[tiff + 1] === 0x4d)) return 1;
  const u16 = (o: number) => (little ? buf[o] | (buf[o + 1] << 8) : (buf[o] << 8) | buf[o + 1]);
  const u32 = (o: number) => (little ? u16(o) + u16(o + 2) * 65536 : u16(o) * 65536 + u16(o + 2));
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return 1;
  const entries = u16(ifd);
  for (let k = 0; k < entries; k++) {
    const e = ifd + 2 + 12 * k;
    if (e + 12 > end) return 1;
    if (u16(e) === 0x0112) {
      const v = u16(e + 8);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/** The header of a JPEG, or undefined when its markers don't lead to a frame header. */
export function readJpegHeader(buf: Uint8Array): JpegHeader | undefined {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return undefined;
  let orientation = 1;
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return undefined;
    const marker = buf[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // no payload
      continue;
    }
    if (marker === SOS || marker === 0xd9) return undefined; // scan data or end before any frame
    const len = (buf[i + 2] << 8) | buf[i + 3];
    const end = i + 2 + len;
    if (len < 2 || end > buf.length) return undefined;
    if (
      marker === 0xe1 &&
      len >= 8 &&
      buf[i + 4] === 0x45 &&
      buf[i + 5] === 0x78 &&
      buf[i + 6] === 0x69 &&
      buf[i + 7] === 0x66 &&
      buf[i + 8] === 0 &&
      buf[i + 9] === 0
    )
      orientation = exifOrientation(buf, i + 10, end);
    if (isFrameMarker(marker)) {
      if (len < 8) return undefined;
      const height = (buf[i + 5] << 8) | buf[i + 6];
      const width = (buf[i + 7] << 8) | buf[i + 8];
      if (!width || !height) return undefined; // height 0: defined later by a DNL marker
      return { width, height, precision: buf[i + 4], components: buf[i + 9], orientation };
    }
    i = end;
  }
  return undefined;
}
