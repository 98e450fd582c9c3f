/** `vgg2-torch detect IMG|DIR... [--json] [--draw OUT_DIR]`: faces, their boxes and 5 points, in raw photos. */
import * as fs from 'fs';
import * as path from 'path';
import type { CommandModule } from 'yargs';
import { Issues } from '../../lib/data/issues';
import { detectFaces, haveDetection } from '../../lib/detect/detect';
import { drawFaces } from '../../lib/detect/draw';
import { emitJson, jsonOption, strictOption, type JsonArgs, type StrictArgs } from './common-flags';

interface Args extends JsonArgs, StrictArgs {
  inputs: string[];
  draw?: string;
  upsample: number;
  'max-side': number;
  'landmarks-model'?: string;
}

const IMAGE = /\.(jpe?g|png|webp|gif|tiff?|avif|bmp)$/i;

/** Files as given; folders walked (sorted) for image files. */
function listImages(inputs: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) throw new Error(`${p}: no such file or folder`);
    if (st.isDirectory())
      for (const e of fs.readdirSync(p).sort()) {
        const q = path.join(p, e);
        if (fs.statSync(q, { throwIfNoEntry: false })?.isDirectory() || IMAGE.test(e)) walk(q);
      }
    else out.push(p);
  };
  inputs.forEach(walk);
  if (out.length === 0) throw new Error(`no images in ${inputs.join(', ')}`);
  return out;
}

const cmd: CommandModule<object, Args> = {
  command: 'detect <inputs..>',
  describe: 'Find faces in photos: box, score and 5 landmarks per face (dlib HOG + 68-point model)',
  builder: (y) =>
    strictOption(jsonOption(y))
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'Images or folders' })
      .option('draw', { type: 'string', describe: 'Write each picture with its boxes and points to this folder' })
      .option('upsample', {
        type: 'number',
        default: 1,
        describe: 'Upsampling passes (0-3): each finds faces half as big',
      })
      .option('max-side', {
        type: 'number',
        default: 1600,
        describe: 'Downscale larger photos to this side first (px)',
      })
      .option('landmarks-model', {
        type: 'string',
        describe: "dlib's 68-point shape predictor (default: Debian's libdlib-data file)",
      })
      .check((a) => {
        if (!Number.isInteger(a.upsample) || a.upsample < 0 || a.upsample > 3) throw new Error('--upsample: 0 to 3');
        if (!Number.isInteger(a['max-side']) || a['max-side'] < 32 || a['max-side'] > 8192)
          throw new Error('--max-side: an integer from 32 to 8192');
        return true;
      })
      .strict(),
  handler: async (argv) => {
    if (!haveDetection())
      throw new Error(
        'this vgg2-torch was built without dlib: apt-get install libdlib-dev libdlib-data, then npm run build:native',
      );
    const files = listImages(argv.inputs);
    if (argv.draw) fs.mkdirSync(argv.draw, { recursive: true });
    const issues = new Issues({ strict: argv.strict });
    const t0 = performance.now();
    const found = await detectFaces(files, {
      upsample: argv.upsample,
      maxSide: argv['max-side'],
      landmarksModel: argv['landmarks-model'],
      issues,
    });
    const seconds = (performance.now() - t0) / 1000;
    const round = (v: number[]) => v.map((x) => Math.round(x * 10) / 10);
    const results = found
      .filter((r) => r !== null)
      .map((r) => ({
        path: r.path,
        width: r.width,
        height: r.height,
        faces: r.faces.map((f) => ({
          box: round(f.box),
          score: Math.round(f.score * 1000) / 1000,
          points: round(f.points ?? []),
        })),
      }));
    if (argv.draw)
      for (const r of found)
        if (r) {
          const name = path.basename(r.path).replace(/\.[^.]+$/, '') + '.faces.jpg';
          await drawFaces(fs.readFileSync(r.path), r, path.join(argv.draw, name));
        }
    if (emitJson(argv, results) !== 'stdout')
      for (const r of results) {
        console.log(
          `${r.path}: ${r.faces.length === 0 ? 'no face' : `${r.faces.length} face${r.faces.length > 1 ? 's' : ''}`}`,
        );
        for (const f of r.faces) console.log(`  box ${f.box.join(',')} score ${f.score} points ${f.points.join(',')}`);
      }
    const none = results.filter((r) => r.faces.length === 0).length;
    if (issues.count()) console.error(issues.summary());
    console.error(
      `detect: ${results.length} images, ${results.length - none} with a face, ${none} without, in ${seconds.toFixed(1)} s` +
        (argv.draw ? `; pictures in ${argv.draw}` : ''),
    );
  },
};

export default cmd;
