/**
 * Images arriving in requests (multipart files or base64 JSON fields) → the model's input pixels,
 * with the evaluation parameters (shorter side 256·size/224, centre crop; or the 5-point alignment
 * with `crop: 'detect'`), as `vgg2-torch embed` makes them: JPEGs the native decoder takes go
 * through it (native-decode.ts, the same plan as embed's), everything else through the data
 * pipeline's two sharp stages (decodeBase, then renderInto). So a served embedding equals embed's
 * of the same file. The pixel count is read from the header and checked before anything is
 * decoded: a 60000×60000 header costs nothing.
 */
import sharp from 'sharp';
import { IDENTITY_AUGMENT } from '../data/augment';
import { planJpeg } from '../data/decode-plans';
import { DataError, Issues } from '../data/issues';
import { readJpegHeader } from '../data/jpeg-header';
import { detectFaces } from '../detect/detect';
import { sniffFormat } from '../data/magic';
import { decodeBase, renderInto, type FaceOptions } from '../data/transform';
import type { CoalescingDecoder } from './native-decode';

/** A client's mistake (answered 4xx with its message), as opposed to a server fault (5xx). */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ImageLimits {
  /** Most pixels (width × height from the header) an image may declare. */
  maxPixels: number;
  /** 'detect': find the largest face (dlib) and align its 5 points, as `--crop detect` does. */
  crop?: 'detect';
  /** Decodes JPEGs natively, a batch at a time (absent: sharp decodes every image). */
  decoder?: CoalescingDecoder;
}

/** Decodes one request image (named `field` in messages) to size×size×3 RGB bytes. */
export async function requestPixels(buf: Buffer, field: string, size: number, limits: ImageLimits): Promise<Buffer> {
  if (buf.length === 0) throw new RequestError(400, `${field}: empty image`);
  const format = sniffFormat(buf);
  if (!format) throw new RequestError(415, `${field}: not an image (JPEG, PNG, WebP, GIF, TIFF, AVIF)`);
  const jpeg = format === 'jpeg' ? readJpegHeader(buf) : undefined;
  let w: number, h: number;
  if (jpeg) ({ width: w, height: h } = jpeg);
  else {
    let meta: sharp.Metadata;
    try {
      // The header only (no decoding), so no pixel limit here: the check below names the size.
      meta = await sharp(buf, { limitInputPixels: false }).metadata();
    } catch (e) {
      throw new RequestError(415, `${field}: cannot be read as an image: ${(e as Error).message}`);
    }
    [w, h] = [meta.width ?? 0, meta.height ?? 0];
  }
  if (w * h > limits.maxPixels)
    throw new RequestError(413, `${field}: ${w}×${h} pixels is over this server's limit of ${limits.maxPixels}`);
  let landmarks: number[] | undefined;
  if (limits.crop === 'detect') {
    const [found] = await detectFaces([{ name: field, data: buf }], { issues: new Issues({ strict: true }) });
    landmarks = found?.faces[0]?.points;
    if (!landmarks) throw new RequestError(422, `${field}: no face found in the image`);
  }
  const src = { path: field, label: 0, landmarks };
  const face: FaceOptions = { crop: landmarks ? 'align' : 'loose', size };
  try {
    // No await before decode(): the images a batch decodes together share one native call.
    const spec = jpeg && limits.decoder ? planJpeg(buf, src, face, IDENTITY_AUGMENT) : undefined;
    const px = spec && (await limits.decoder!.decode(spec));
    if (px) return Buffer.from(px.buffer, px.byteOffset, px.length);
    // Not for the native decoder (another format, EXIF rotation, CMYK, a file it gives up on): sharp.
    const out = Buffer.alloc(size * size * 3);
    await renderInto(await decodeBase(buf, src, face), size, IDENTITY_AUGMENT, out, 0);
    return out;
  } catch (e) {
    if (e instanceof DataError) throw new RequestError(415, e.message);
    throw e;
  }
}

/** A base64 JSON field (plain or a data: URL) → bytes; anything else is the client's error. */
export function fromBase64(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || value.length === 0)
    throw new RequestError(400, `${field}: expected a base64 string (or a data: URL)`);
  const b64 = value.startsWith('data:') ? value.slice(value.indexOf(',') + 1) : value;
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(b64)) throw new RequestError(400, `${field}: not valid base64`);
  return Buffer.from(b64, 'base64');
}
