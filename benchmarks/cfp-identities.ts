/**
 * An open-set split of CFP for the benchmarks that train on faces (cfp-open-set, distill): the
 * identity folders of a number range, linked (never copied) into one image folder, refused when
 * any of them occurs in the fold the trained model is then verified on.
 */
import fs from 'fs';
import path from 'path';
import { readCfp } from '../lib/eval/protocols/cfp';

/**
 * Links CFP's `Data/Images/<id>` folders numbered first..last into `dir` (emptied first). Throws
 * when none exists or when one appears in `testFold`'s pairs: the split would not be open-set.
 */
export function linkCfpIdentities(
  cfp: string,
  range: { first: number; last: number },
  testFold: string,
  dir: string,
): { dir: string; ids: string[] } {
  const images = path.join(cfp, 'Data', 'Images');
  const ids = fs
    .readdirSync(images)
    .filter((d) => /^\d+$/.test(d) && Number(d) >= range.first && Number(d) <= range.last)
    .sort();
  if (ids.length === 0) throw new Error(`${images}: no identity folder numbered ${range.first}–${range.last}`);
  const test = readCfp(cfp, [testFold]);
  const testIds = new Set(
    [...test.pairs.FF, ...test.pairs.FP]
      .flatMap((p) => [p.a, p.b])
      .map((f) => path.basename(path.dirname(path.dirname(f)))),
  );
  const overlap = ids.filter((id) => testIds.has(id));
  if (overlap.length > 0)
    throw new Error(`training identities ${overlap.join(', ')} appear in CFP fold ${testFold}: not an open-set split`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const id of ids) fs.symlinkSync(path.resolve(images, id), path.join(dir, id));
  return { dir, ids };
}
