/** The service's OpenAPI 3.1 description, served at /openapi.json. */
const imagePart = { type: 'string', format: 'binary' };
const base64 = { type: 'string', description: 'image bytes as base64 (or a data: URL)' };
const error = {
  description: 'error',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

function imageBody(fields: Record<string, object>, required: string[]) {
  const multipart: Record<string, object> = {};
  const json: Record<string, object> = {};
  for (const [k, v] of Object.entries(fields)) {
    const isImage = v === imagePart;
    multipart[k] = v;
    json[k] = isImage ? base64 : v;
  }
  return {
    required: true,
    content: {
      'multipart/form-data': { schema: { type: 'object', properties: multipart, required } },
      'application/json': { schema: { type: 'object', properties: json, required } },
    },
  };
}

const ok = (schema: object) => ({ description: 'ok', content: { 'application/json': { schema } } });
const errors = { 400: error, 413: error, 415: error, 503: { description: 'queue full; see Retry-After' } };
const hits = {
  type: 'object',
  properties: {
    hits: {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, score: { type: 'number' } } },
    },
    unknown: { type: 'boolean', description: 'no identity at or above the threshold' },
    threshold: { type: ['number', 'null'] },
  },
};

export function openApi(): object {
  return {
    openapi: '3.1.0',
    info: { title: 'vgg2-torch face service', version: '1' },
    components: {
      schemas: { Error: { type: 'object', properties: { error: { type: 'string' } } } },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    paths: {
      '/embed': {
        post: {
          summary: 'The unit embedding of one face image',
          requestBody: imageBody({ image: imagePart }, ['image']),
          responses: {
            200: ok({ type: 'object', properties: { dim: { type: 'integer' }, embedding: { type: 'array' } } }),
            ...errors,
          },
        },
      },
      '/verify': {
        post: {
          summary: 'Cosine similarity of two faces and a same/different decision',
          requestBody: imageBody({ a: imagePart, b: imagePart, threshold: { type: 'number' } }, ['a', 'b']),
          responses: {
            200: ok({
              type: 'object',
              properties: { similarity: { type: 'number' }, same: { type: ['boolean', 'null'] } },
            }),
            ...errors,
          },
        },
      },
      '/search': {
        post: {
          summary: 'The gallery identities nearest to a face',
          requestBody: imageBody({ image: imagePart, k: { type: 'integer' }, threshold: { type: 'number' } }, [
            'image',
          ]),
          responses: { 200: ok(hits), 404: error, ...errors },
        },
      },
      '/enroll': {
        post: {
          summary: 'Add (or replace) an identity from one or more images',
          security: [{ bearer: [] }],
          requestBody: imageBody({ id: { type: 'string' }, image: imagePart, replace: { type: 'boolean' } }, [
            'id',
            'image',
          ]),
          responses: { 200: ok({ type: 'object' }), 401: error, 403: error, 409: error, ...errors },
        },
      },
      '/identities/{id}': {
        delete: {
          summary: 'Remove an identity',
          security: [{ bearer: [] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: ok({ type: 'object' }), 401: error, 403: error, 404: error },
        },
      },
      '/identities/{id}/thumbnail': {
        get: {
          summary: 'A small JPEG of the person, kept when they were enrolled',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'image/jpeg' }, 404: error },
        },
      },
      '/health': { get: { summary: 'Model, gallery and queue state', responses: { 200: ok({ type: 'object' }) } } },
      '/metrics': { get: { summary: 'Prometheus text format', responses: { 200: { description: 'metrics' } } } },
    },
  };
}
