/** CFP's frontal fiducials: points 13-18 (1-based) outline the eye on the image's left; their mean is its centre. */
import * as fs from 'fs';
import * as path from 'path';

export function cfpLeftEye(dataDir: string, person: string, image: string): [number, number] {
  const file = path.join(dataDir, 'cfp', 'Data', 'Fiducials', person, 'frontal', `${image}.txt`);
  const pts = fs
    .readFileSync(file, 'utf8')
    .trim()
    .split(/\s+/)
    .map((l) => l.split(',').map(Number));
  if (pts.length !== 30) throw new Error(`${file}: ${pts.length} points, expected 30`);
  const eye = pts.slice(12, 18);
  return [eye.reduce((s, p) => s + p[0], 0) / 6, eye.reduce((s, p) => s + p[1], 0) / 6];
}

/** Error of a detected left-eye centre against the fiducials, in inter-ocular distances (of the detection). */
export function eyeError(points: number[], truth: [number, number]): number {
  const iod = Math.hypot(points[2] - points[0], points[3] - points[1]);
  return Math.hypot(points[0] - truth[0], points[1] - truth[1]) / iod;
}
