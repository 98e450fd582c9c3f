/**
 * The face-recognition service on fastify: embed, verify, search, enroll, delete, health,
 * Prometheus metrics, an OpenAPI description and a web page. Images go through one Batcher, so
 * concurrent requests share forward passes; a full queue is a 503 with Retry-After.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { DataError } from '../data/issues';
import type { Model } from '../model';
import { dot } from '../eval/vectors';
import { bearerMatches } from './auth';
import { Batcher, QueueFullError, type BatcherOptions } from './batcher';
import type { ServedGallery } from './gallery-port';
import { requestPixels, RequestError } from './images';
import { ServiceMetrics } from './metrics';
import { CoalescingDecoder } from './native-decode';
import { nativeDecoder } from '../data/decode-plans';
import { openApi } from './openapi';
import { PAGE_HTML } from './page';
import { numberField, oneImage, readBody } from './request-body';

export interface ServiceOptions extends BatcherOptions {
  model: Model;
  /** Bearer token for enroll and delete; without one, those endpoints are refused (403). */
  token?: string;
  /** Same-person decision threshold for /verify (e.g. the weights' verify_threshold). */
  threshold?: number;
  /** Largest request body, bytes. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Largest image, width × height from its header. Default 40 megapixels. */
  maxPixels?: number;
  /** Most images one /enroll request may carry. Default 32. */
  maxEnrollImages?: number;
  /** 'detect': each image's largest face, found (dlib) and aligned, as `--crop detect` does. */
  crop?: 'detect';
  /** Input side in pixels (default: the model's). */
  size?: number;
  /**
   * 'native' (default where the addon has TurboJPEG): JPEGs decoded natively, a batch at a time, as
   * `embed` decodes them; 'sharp': every image through sharp.
   */
  decoder?: 'native' | 'sharp';
  /** Model details for /health. */
  describe?: Record<string, unknown>;
}

const ID_PATTERN = /^[\p{L}\p{N}_.\- ]{1,128}$/u;

export function checkIdentity(id: string): string {
  if (!ID_PATTERN.test(id))
    throw new RequestError(400, `identity '${id.slice(0, 40)}': 1-128 letters, digits, spaces, '_', '.' or '-'`);
  return id;
}

/**
 * An identity named in a URL to read or remove: only looked up (never a path), so any name the
 * gallery holds — `enroll --data` takes folder names as they are — within a length bound.
 */
function lookupId(id: string): string {
  if (id.length === 0 || id.length > 256) throw new RequestError(400, 'identity: 1-256 characters');
  return id;
}

export interface Service {
  app: FastifyInstance;
  batcher: Batcher;
  close(): Promise<void>;
}

export async function createService(o: ServiceOptions): Promise<Service> {
  const maxBodyBytes = o.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxEnroll = o.maxEnrollImages ?? 32;
  const size = o.size ?? o.model.inputSize;
  if (o.decoder !== undefined && o.decoder !== 'native' && o.decoder !== 'sharp')
    throw new RangeError(`decoder must be 'native' or 'sharp', got '${String(o.decoder)}'`);
  const binding = o.decoder === 'sharp' ? undefined : nativeDecoder();
  const decoder = binding && new CoalescingDecoder(binding, size);
  const limits = { maxPixels: o.maxPixels ?? 40_000_000, crop: o.crop, decoder };
  const batcher = new Batcher(o.model, size, o);
  const metrics = new ServiceMetrics(batcher);
  // JSON carries base64 (4/3 of the bytes); the same cap holds for multipart files.
  const app = Fastify({ bodyLimit: Math.ceil((maxBodyBytes * 4) / 3) + 4096, logger: false });
  await app.register(multipart, { limits: { fileSize: maxBodyBytes, files: maxEnroll + 2, fields: 16 } });

  const started = new WeakMap<FastifyRequest, bigint>();
  app.addHook('onRequest', async (req) => {
    started.set(req, process.hrtime.bigint());
  });
  app.addHook('onResponse', async (req, reply) => {
    const t0 = started.get(req);
    const seconds = t0 === undefined ? 0 : Number(process.hrtime.bigint() - t0) / 1e9;
    metrics.observe(req.routeOptions.url ?? 'unmatched', req.method, reply.statusCode, seconds);
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof QueueFullError) return reply.code(503).header('Retry-After', '1').send({ error: err.message });
    if (err instanceof RequestError) return reply.code(err.status).send({ error: err.message });
    if (err instanceof DataError) return reply.code(415).send({ error: err.message });
    if (err.code === 'FST_REQ_FILE_TOO_LARGE' || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send({ error: `request too large (limit ${maxBodyBytes} bytes per image)` });
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return reply.code(status).send({ error: err.message });
  });

  const embedOne = (buf: Buffer, field: string) => batcher.embed(() => requestPixels(buf, field, size, limits));
  const needGallery = (): ServedGallery => {
    if (!o.gallery) throw new RequestError(404, 'this server has no gallery: start it with --gallery');
    return o.gallery;
  };
  const authorise = (req: FastifyRequest) => {
    if (!o.token)
      throw new RequestError(403, 'writing is disabled: start the server with --token (or VGG2_SERVE_TOKEN)');
    if (!bearerMatches(req.headers.authorization, o.token))
      throw new RequestError(401, 'missing or wrong bearer token (Authorization: Bearer <token>)');
  };

  app.get('/', async (_req, reply: FastifyReply) => reply.type('text/html; charset=utf-8').send(PAGE_HTML));
  app.get('/openapi.json', async () => openApi());
  app.get('/health', async () => ({
    status: 'ok',
    model: o.describe ?? {},
    inputSize: size,
    gallery: o.gallery ? { identities: o.gallery.size } : null,
    queue: { depth: batcher.depth, max: batcher.maxQueue, maxBatch: batcher.maxBatch, windowMs: batcher.windowMs },
  }));
  app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.text()));

  app.post('/embed', async (req) => {
    const body = await readBody(req, ['image']);
    const e = await embedOne(oneImage(body, 'image'), 'image');
    return { dim: e.length, embedding: Array.from(e) };
  });

  app.post('/verify', async (req) => {
    const body = await readBody(req, ['a', 'b']);
    const [a, b] = await Promise.all([embedOne(oneImage(body, 'a'), 'a'), embedOne(oneImage(body, 'b'), 'b')]);
    const threshold = numberField(body, 'threshold', -1, 1) ?? o.threshold;
    const similarity = dot(a, 0, b, 0, a.length);
    return { similarity, threshold: threshold ?? null, same: threshold === undefined ? null : similarity >= threshold };
  });

  app.post('/search', async (req) => {
    needGallery();
    const body = await readBody(req, ['image']);
    const k = numberField(body, 'k', 1, 100) ?? 5;
    const threshold = numberField(body, 'threshold', -1, 1) ?? o.threshold;
    const image = oneImage(body, 'image');
    const r = await batcher.search(() => requestPixels(image, 'image', size, limits), { k: Math.floor(k), threshold });
    return { ...r, threshold: threshold ?? null };
  });

  app.post('/enroll', async (req) => {
    authorise(req);
    const gallery = needGallery();
    const body = await readBody(req, ['image']);
    const id = checkIdentity(body.fields.get('id') ?? '');
    const images = body.images.get('image') ?? [];
    if (images.length === 0) throw new RequestError(400, "missing image field 'image' (one or more)");
    if (images.length > maxEnroll) throw new RequestError(413, `at most ${maxEnroll} images per enroll`);
    const embeddings = await batcher.embedAll(
      images.map((b, i) => () => requestPixels(b, `image[${i}]`, size, limits)),
    );
    const replace = ['1', 'true', 'yes'].includes((body.fields.get('replace') ?? '').toLowerCase());
    try {
      await gallery.enroll(id, embeddings, { replace });
    } catch (e) {
      // The gallery's refusals (exists without replace) are the client's to fix.
      throw new RequestError(409, (e as Error).message);
    }
    await gallery.setThumbnail?.(id, images[0]);
    return { id, images: images.length, identities: gallery.size };
  });

  app.get<{ Params: { id: string } }>('/identities/:id/thumbnail', async (req, reply) => {
    const jpeg = needGallery().thumbnail?.(lookupId(req.params.id));
    if (!jpeg) throw new RequestError(404, `no thumbnail for '${req.params.id}'`);
    return reply.type('image/jpeg').header('cache-control', 'no-cache').send(jpeg);
  });

  app.delete<{ Params: { id: string } }>('/identities/:id', async (req) => {
    authorise(req);
    const gallery = needGallery();
    const id = lookupId(req.params.id);
    try {
      await gallery.remove(id);
    } catch (e) {
      throw new RequestError(404, (e as Error).message);
    }
    return { removed: id, identities: gallery.size };
  });

  return {
    app,
    batcher,
    async close() {
      await app.close();
      await batcher.close();
    },
  };
}
