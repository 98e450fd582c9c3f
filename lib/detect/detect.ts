/**
 * Faces in raw photos: dlib's HOG detector and 68-point landmarks (native/detect), on images
 * decoded here with sharp (EXIF-oriented, any format) and downscaled to `maxSide` first, so that a
 * 20-megapixel photo costs bounded memory and time; boxes and points come back in the original
 * image's pixels. Several images per native call, detected in parallel.
 */
import sharp from 'sharp';
import { DataError, Issues } from '../data/issues';
import { MAX_INPUT_PIXELS } from '../data/jpeg-header';
import { pixelLimitText, readImageFile } from '../data/transform';
import { native } from '../native';

export interface DetectOptions {
  /** Upsampling passes before detecting (each halves the smallest face found, ~80 px at 0). Default 1. */
  upsample?: number;
  /** Longer side the image is downscaled to before detection (pixels). Default 1600. */
  maxSide?: number;
  /** Find the 68 landmarks and the 5 alignment points (default true). */
  landmarks?: boolean;
  /** dlib's 68-point shape predictor; default Debian's /usr/share/dlib/shape_predictor_68_face_landmarks.dat. */
  landmarksModel?: string;
  /** Images decoded and detected per native call. Default 8. */
  batch?: number;
  /** Unusable images are counted here (and skipped) unless strict. */
  issues?: Issues;
}

export interface Face {
  /** x, y, width, height in the image's pixels (EXIF-oriented). */
  box: [number, number, number, number];
  /** The detector's confidence (an SVM margin: > 0 detected; larger is surer). */
  score: number;
  /** Left eye, right eye, nose tip, left and right mouth corners as x, y pairs (the alignment's order). */
  points?: number[];
  /** The 68 points, x, y pairs. */
  landmarks?: number[];
}

export interface ImageFaces {
  path: string;
  width: number;
  height: number;
  /** Largest first. */
  faces: Face[];
}

export const haveDetection = (): boolean => native().dlib;

const area = (f: Face) => f.box[2] * f.box[3];

/** The largest face (the one a portrait is of), or undefined. */
export function largestFace(faces: Face[]): Face | undefined {
  return faces.reduce<Face | undefined>((best, f) => (!best || area(f) > area(best) ? f : best), undefined);
}

/** An image given as bytes (a service's upload) rather than a file. */
export interface ImageBytes {
  name: string;
  data: Buffer;
}

async function decode(input: string | ImageBytes, maxSide: number) {
  const file = typeof input === 'string' ? input : input.name;
  const buf = typeof input === 'string' ? await readImageFile(input) : input.data;
  try {
    const img = sharp(buf, { failOn: 'truncated', limitInputPixels: MAX_INPUT_PIXELS }).rotate();
    const meta = await sharp(buf, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
    const width = meta.autoOrient?.width ?? meta.width ?? 0;
    const height = meta.autoOrient?.height ?? meta.height ?? 0;
    const { data, info } = await img
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), info, width, height };
  } catch (e) {
    throw new DataError('corrupt-image', `${file}: ${pixelLimitText((e as Error).message)}`);
  }
}

/**
 * Faces of every image, in order; an image that can't be read is counted in `issues` and comes
 * back as null (strict issues: the error is thrown).
 */
export async function detectFaces(
  files: (string | ImageBytes)[],
  o: DetectOptions = {},
): Promise<(ImageFaces | null)[]> {
  const maxSide = o.maxSide ?? 1600;
  const batch = o.batch ?? 8;
  if (!Number.isInteger(maxSide) || maxSide < 32 || maxSide > 8192)
    throw new RangeError(`maxSide must be an integer in [32, 8192], got ${maxSide}`);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  const issues = o.issues ?? new Issues();
  const out: (ImageFaces | null)[] = [];
  for (let start = 0; start < files.length; start += batch) {
    const chunk = files.slice(start, start + batch);
    const decoded = await Promise.all(
      chunk.map(async (f) => {
        try {
          return await decode(f, maxSide);
        } catch (e) {
          if (!(e instanceof DataError)) throw e;
          issues.add(e.kind, e.detail);
          return null;
        }
      }),
    );
    const usable = decoded.filter((d) => d !== null);
    const found = await native().detectFaces(
      usable.map((d) => ({ data: d.data, width: d.info.width, height: d.info.height })),
      { upsample: o.upsample ?? 1, landmarks: o.landmarks ?? true, landmarksModel: o.landmarksModel },
    );
    let k = 0;
    decoded.forEach((d, i) => {
      if (!d) return void out.push(null);
      const sx = d.width / d.info.width;
      const sy = d.height / d.info.height;
      const scale = (v: ArrayLike<number>) => Array.from(v, (x, j) => x * (j % 2 === 0 ? sx : sy));
      const faces = found[k++].map((f): Face => ({
        box: [f.box[0] * sx, f.box[1] * sy, f.box[2] * sx, f.box[3] * sy],
        score: f.score,
        ...(f.points ? { points: scale(f.points) } : {}),
        ...(f.landmarks ? { landmarks: scale(f.landmarks) } : {}),
      }));
      faces.sort((a, b) => area(b) - area(a));
      const c = chunk[i];
      out.push({ path: typeof c === 'string' ? c : c.name, width: d.width, height: d.height, faces });
    });
  }
  return out;
}
