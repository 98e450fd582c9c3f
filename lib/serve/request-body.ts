/**
 * One reader for both request shapes: multipart/form-data (image files and text fields) or JSON
 * (images as base64 strings). Images come back as bytes by field name, other fields as strings;
 * nothing in a request is ever used as a path.
 */
import type { FastifyRequest } from 'fastify';
import { fromBase64, RequestError } from './images';

export interface RequestBody {
  /** Image bytes by field name (a field given several times keeps every image, in order). */
  images: Map<string, Buffer[]>;
  fields: Map<string, string>;
}

export async function readBody(req: FastifyRequest, imageFields: readonly string[]): Promise<RequestBody> {
  const images = new Map<string, Buffer[]>();
  const fields = new Map<string, string>();
  const addImage = (name: string, b: Buffer) => images.set(name, [...(images.get(name) ?? []), b]);
  if (req.isMultipart()) {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (!imageFields.includes(part.fieldname))
          throw new RequestError(400, `unexpected file field '${part.fieldname}' (expected ${imageFields.join(', ')})`);
        addImage(part.fieldname, await part.toBuffer());
      } else {
        fields.set(part.fieldname, String(part.value));
      }
    }
  } else {
    const body = req.body;
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
      throw new RequestError(400, 'expected multipart/form-data or a JSON object');
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (imageFields.includes(k)) {
        for (const [i, item] of (Array.isArray(v) ? v : [v]).entries())
          addImage(k, fromBase64(item, Array.isArray(v) ? `${k}[${i}]` : k));
      } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        fields.set(k, String(v));
      } else {
        throw new RequestError(400, `field '${k}': expected a string, number or boolean`);
      }
    }
  }
  return { images, fields };
}

/** The one image of a field, or a 400 naming it. */
export function oneImage(body: RequestBody, field: string): Buffer {
  const list = body.images.get(field);
  if (!list || list.length === 0) throw new RequestError(400, `missing image field '${field}'`);
  if (list.length > 1) throw new RequestError(400, `field '${field}': one image expected, got ${list.length}`);
  return list[0];
}

/** An optional numeric field within [min, max]. */
export function numberField(body: RequestBody, name: string, min: number, max: number): number | undefined {
  const raw = body.fields.get(name);
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max)
    throw new RequestError(400, `field '${name}': expected a number in [${min}, ${max}], got '${raw}'`);
  return v;
}
