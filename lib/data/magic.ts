/** Image format detection by magic bytes (Yale's files have no extension; a .jpg may be WebP). */
import * as fs from 'fs';

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif';

/** Format of an image from its first bytes, or undefined when sharp would not read it. */
export function sniffFormat(head: Uint8Array): ImageFormat | undefined {
  const ascii = (o: number, s: string) => s.split('').every((c, k) => head[o + k] === c.charCodeAt(0));
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head[0] === 0x89 && ascii(1, 'PNG')) return 'png';
  if (head.length >= 6 && (ascii(0, 'GIF87a') || ascii(0, 'GIF89a'))) return 'gif';
  if (head.length >= 12 && ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (head.length >= 4 && (ascii(0, 'II*\0') || ascii(0, 'MM\0*'))) return 'tiff';
  if (head.length >= 12 && ascii(4, 'ftyp') && (ascii(8, 'avif') || ascii(8, 'avis'))) return 'avif';
  return undefined;
}

/** Size and detected format of a file (format undefined for empty or unknown files). */
export function sniffFile(file: string): { size: number; format: ImageFormat | undefined } {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    const got = fs.readSync(fd, head, 0, 16, 0);
    const size = fs.fstatSync(fd).size;
    return { size, format: got > 0 ? sniffFormat(head.subarray(0, got)) : undefined };
  } finally {
    fs.closeSync(fd);
  }
}
