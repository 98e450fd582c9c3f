/**
 * Detections as VGGFace2's metadata: `NAME_ID,X,Y,W,H` (loose_bb) and `NAME_ID,P1X,...,P5Y`
 * (loose_landmark), NAME_ID the image's path below the dataset root without its extension — the
 * files `prepare` and `train` read with --boxes / --landmarks, so detection runs once per dataset.
 */
import { BOX_COLUMNS, LANDMARK_COLUMNS } from '../data/annotations';
import { writeFileAtomic } from '../io/atomic-write';
import type { DetectedDataset } from './detected-dataset';

const num = (v: number) => String(Math.round(v * 100) / 100);

export function writeDetectionCsvs(faces: DetectedDataset, boxesFile: string, landmarksFile: string): number {
  const boxes = [BOX_COLUMNS.join(',')];
  const landmarks = [LANDMARK_COLUMNS.join(',')];
  for (let i = 0; i < faces.size; i++) {
    const b = faces.boxes[i];
    const p = faces.points[i];
    if (!b || !p) continue;
    const name = `"${faces
      .relPath(i)
      .replace(/\.[^./]+$/, '')
      .replace(/"/g, '""')}"`;
    boxes.push([name, ...b.map(num)].join(','));
    landmarks.push([name, ...p.map(num)].join(','));
  }
  writeFileAtomic(boxesFile, boxes.join('\n') + '\n');
  writeFileAtomic(landmarksFile, landmarks.join('\n') + '\n');
  return boxes.length - 1;
}
