/**
 * Synthetic VGGFace2-layout face data: faces drawn as SVG and rendered by sharp. Identities differ
 * in face shape, features and colours (so a small CNN can learn them); images vary in pose, age
 * look, lighting, background, scale, position and roll, with the true box and landmarks written.
 */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { Rng } from './rng';

export interface DemoOptions {
  out: string;
  /** Number of identities (default 20); about a fifth become test identities (Flag 0). */
  identities?: number;
  /** Images per identity (default 30). */
  images?: number;
  /** Image side in pixels (default 112). */
  size?: number;
  seed?: number;
}

export interface DemoResult {
  root: string;
  trainIdentities: number;
  testIdentities: number;
  images: number;
}

interface Identity {
  id: string;
  name: string;
  flag: 0 | 1;
  gender: 'm' | 'f';
  skin: string;
  hair: string;
  eye: string;
  lip: string;
  rx: number; // face half-width relative to half-height
  eyeGap: number;
  eyeSize: number;
  noseLen: number;
  mouthW: number;
  hairStyle: number;
  glasses: boolean;
  beard: boolean;
}

const POSES = [
  { name: 'front', yaw: [0, 0.12] },
  { name: 'three-quarter', yaw: [0.45, 0.65] },
  { name: 'profile', yaw: [0.95, 1.15] },
] as const;

function hsl(h: number, s: number, l: number): string {
  return `hsl(${h.toFixed(0)},${s.toFixed(0)}%,${l.toFixed(0)}%)`;
}

function makeIdentity(k: number, n: number, seed: number): Identity {
  const r = new Rng(seed, k, 0x1d);
  // Spread the hair hue over the circle by identity index: the most visible cue differs most.
  const hueStep = 360 / n;
  return {
    id: `n${String(k + 1).padStart(6, '0')}`,
    name: `Demo_Person_${k + 1}`,
    flag: 1,
    gender: r.next() < 0.5 ? 'm' : 'f',
    skin: hsl(20 + r.range(0, 25), r.range(30, 60), r.range(35, 80)),
    hair: hsl((k * hueStep + r.range(0, hueStep / 2)) % 360, r.range(45, 90), r.range(20, 55)),
    eye: hsl(r.range(0, 360), r.range(50, 90), r.range(25, 50)),
    lip: hsl(r.range(340, 380) % 360, r.range(40, 70), r.range(35, 55)),
    rx: r.range(0.68, 0.92),
    eyeGap: r.range(0.28, 0.42),
    eyeSize: r.range(0.07, 0.12),
    noseLen: r.range(0.18, 0.3),
    mouthW: r.range(0.2, 0.36),
    hairStyle: r.int(3),
    glasses: r.next() < 0.3,
    beard: r.next() < 0.25,
  };
}

/** One face image: SVG source plus the true loose box and 5 landmarks (pixel-index coordinates). */
function drawFace(
  p: Identity,
  size: number,
  r: Rng,
  pose: number,
  mature: boolean,
): { svg: string; box: number[]; landmarks: number[] } {
  const [y0, y1] = POSES[pose].yaw;
  const yaw = (r.next() < 0.5 ? -1 : 1) * r.range(y0, y1);
  const ry = size * r.range(0.26, 0.34); // face half-height
  const rx = ry * p.rx * (1 - 0.18 * Math.abs(Math.sin(yaw)));
  const cx = size / 2 + r.range(-0.12, 0.12) * size;
  const cy = size / 2 + r.range(-0.08, 0.1) * size;
  const roll = r.range(-12, 12);
  const shift = Math.sin(yaw) * rx * 0.55; // features slide towards the turned side
  const light = r.range(-0.5, 0.5);
  const bg = hsl(r.range(0, 360), r.range(0, 40), r.range(15, 85));
  // Face-local coordinates (before roll), relative to the face centre.
  const eyeY = -0.18 * ry;
  const half = p.eyeGap * rx * 2 * 0.5;
  const squeeze = (side: number) => 1 - 0.6 * Math.max(0, side * Math.sin(yaw)); // far eye narrows
  const eyes = [-1, 1].map((side) => ({
    x: shift + side * half * (1 - 0.35 * Math.abs(Math.sin(yaw))),
    y: eyeY,
    s: squeeze(side),
  }));
  const nose = { x: shift * 1.35, y: eyeY + p.noseLen * ry * 2 };
  const mouthY = nose.y + 0.22 * ry;
  const mw = p.mouthW * rx * (1 - 0.3 * Math.abs(Math.sin(yaw)));
  const mouth = [shift * 1.1 - mw, shift * 1.1 + mw];
  const hairGrey = mature ? 0.55 : 0;
  const eyeR = p.eyeSize * ry * 2 * 0.5;
  const parts: string[] = [];
  parts.push(`<rect width="${size}" height="${size}" fill="${bg}"/>`);
  parts.push(`<g transform="translate(${cx} ${cy}) rotate(${roll})">`);
  // Hair behind the head: style 0 short cap, 1 long, 2 tall.
  const hairRx = rx * (p.hairStyle === 1 ? 1.25 : 1.12);
  const hairRy = ry * (p.hairStyle === 2 ? 1.25 : 1.1);
  const hairCy = p.hairStyle === 1 ? 0.1 * ry : -0.12 * ry;
  parts.push(`<ellipse cx="${shift * -0.3}" cy="${hairCy}" rx="${hairRx}" ry="${hairRy}" fill="${p.hair}"/>`);
  if (hairGrey)
    parts.push(
      `<ellipse cx="${shift * -0.3}" cy="${hairCy}" rx="${hairRx}" ry="${hairRy}" fill="#bbb" opacity="${hairGrey}"/>`,
    );
  parts.push(`<ellipse cx="0" cy="${0.08 * ry}" rx="${rx}" ry="${ry * 0.92}" fill="${p.skin}"/>`);
  if (p.beard)
    parts.push(
      `<ellipse cx="${shift}" cy="${0.62 * ry}" rx="${rx * 0.7}" ry="${ry * 0.32}" fill="${p.hair}" opacity="0.85"/>`,
    );
  for (const e of eyes) {
    parts.push(`<ellipse cx="${e.x}" cy="${e.y}" rx="${eyeR * 1.5 * e.s}" ry="${eyeR}" fill="white"/>`);
    parts.push(
      `<circle cx="${e.x + 0.3 * eyeR * Math.sin(yaw)}" cy="${e.y}" r="${eyeR * 0.7 * Math.max(0.5, e.s)}" fill="${p.eye}"/>`,
    );
    parts.push(
      `<rect x="${e.x - eyeR * 1.6 * e.s}" y="${e.y - eyeR * 2.2}" width="${eyeR * 3.2 * e.s}" height="${eyeR * 0.6}" fill="${p.hair}"/>`,
    );
    if (p.glasses)
      parts.push(
        `<circle cx="${e.x}" cy="${e.y}" r="${eyeR * 1.9}" fill="none" stroke="#222" stroke-width="${Math.max(1, eyeR * 0.35)}"/>`,
      );
  }
  parts.push(
    `<path d="M ${shift * 0.9} ${eyeY + eyeR} L ${nose.x + 0.12 * rx * Math.sign(yaw || 1)} ${nose.y} L ${nose.x - 0.05 * rx} ${nose.y}" stroke="#734" stroke-width="${Math.max(1, ry * 0.04)}" fill="none"/>`,
  );
  parts.push(
    `<path d="M ${mouth[0]} ${mouthY} Q ${(mouth[0] + mouth[1]) / 2} ${mouthY + 0.08 * ry} ${mouth[1]} ${mouthY}" stroke="${p.lip}" stroke-width="${Math.max(1.2, ry * 0.07)}" fill="none"/>`,
  );
  if (mature)
    for (const s of [-1, 1])
      parts.push(
        `<path d="M ${shift + s * 0.55 * rx} ${0.2 * ry} q ${s * 0.1 * rx} ${0.12 * ry} 0 ${0.25 * ry}" stroke="#543" stroke-width="1" fill="none" opacity="0.6"/>`,
      );
  parts.push('</g>');
  // Lighting: a left/right gradient of light or shadow over everything.
  parts.push(
    `<defs><linearGradient id="l" x1="0" x2="1"><stop offset="0" stop-color="${light > 0 ? 'white' : 'black'}" stop-opacity="${Math.abs(light) * 0.5}"/><stop offset="1" stop-color="black" stop-opacity="0"/></linearGradient></defs>`,
  );
  parts.push(`<rect width="${size}" height="${size}" fill="url(#l)"/>`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">${parts.join('')}</svg>`;
  // Landmarks in image coordinates (roll about the face centre); SVG's pixel i is centred at i + 0.5.
  const c = Math.cos((roll * Math.PI) / 180);
  const s = Math.sin((roll * Math.PI) / 180);
  const toImg = (x: number, y: number) => [cx + c * x - s * y - 0.5, cy + s * x + c * y - 0.5];
  const landmarks = [
    ...toImg(eyes[0].x, eyes[0].y),
    ...toImg(eyes[1].x, eyes[1].y),
    ...toImg(nose.x, nose.y),
    ...toImg(mouth[0], mouthY),
    ...toImg(mouth[1], mouthY),
  ];
  // Loose box: the head's extent (like VGGFace2's detector boxes), not clipped to the image.
  const bw = 2 * rx * 1.05;
  const bh = 2 * ry * 1.05;
  const box = [Math.round(cx - bw / 2), Math.round(cy - bh / 2 + 0.04 * ry), Math.round(bw), Math.round(bh)];
  return { svg, box, landmarks };
}

/** Write the dataset; deterministic for (identities, images, size, seed). */
export async function writeDemoDataset(o: DemoOptions): Promise<DemoResult> {
  const n = o.identities ?? 20;
  const m = o.images ?? 30;
  const size = o.size ?? 112;
  const seed = o.seed ?? 0;
  if (n < 2 || m < 6) throw new Error('demo data needs at least 2 identities and 6 images per identity');
  const nTest = Math.max(1, Math.round(n / 5));
  const ids = Array.from({ length: n }, (_, k) => makeIdentity(k, n, seed));
  // Test identities spread through the file, as in identity_meta.csv.
  const step = n / nTest;
  for (let t = 0; t < nTest; t++) ids[Math.min(n - 1, Math.floor(t * step + step / 2))].flag = 0;
  fs.mkdirSync(path.join(o.out, 'meta'), { recursive: true });
  fs.mkdirSync(path.join(o.out, 'bb_landmark'), { recursive: true });
  const lists = { train: [] as string[], test: [] as string[] };
  const bb = { train: ['NAME_ID,X,Y,W,H'], test: ['NAME_ID,X,Y,W,H'] };
  const lm = {
    train: ['NAME_ID,P1X,P1Y,P2X,P2Y,P3X,P3Y,P4X,P4Y,P5X,P5Y'],
    test: ['NAME_ID,P1X,P1Y,P2X,P2Y,P3X,P3Y,P4X,P4Y,P5X,P5Y'],
  };
  const poseTemp: string[] = [];
  const ageTemp: string[] = [];
  const t = Math.max(1, Math.floor(m / 6)); // template size: 3 poses × 2 templates (ages: 2 × 2)
  let count = 0;
  for (const p of ids) {
    const split = p.flag === 1 ? 'train' : 'test';
    const dir = path.join(o.out, split, p.id);
    fs.mkdirSync(dir, { recursive: true });
    const byPose: string[][] = [[], [], []];
    const byAge: string[][] = [[], []];
    const jobs: Promise<unknown>[] = [];
    for (let j = 0; j < m; j++) {
      const r = new Rng(seed, ids.indexOf(p), j, 0xface);
      const pose = j % 3;
      const mature = Math.floor(j / 3) % 2 === 1;
      const { svg, box, landmarks } = drawFace(p, size, r, pose, mature);
      const rel = `${p.id}/${String(j + 1).padStart(4, '0')}_01.jpg`;
      jobs.push(
        sharp(Buffer.from(svg))
          .jpeg({ quality: 92 })
          .toFile(path.join(o.out, split, rel)),
      );
      lists[split].push(rel);
      const nameId = `"${rel.replace(/\.jpg$/, '')}"`;
      bb[split].push(`${nameId},${box.join(',')}`);
      lm[split].push(`${nameId},${landmarks.map((v) => v.toFixed(2)).join(',')}`);
      byPose[pose].push(rel);
      byAge[mature ? 1 : 0].push(rel);
      count++;
    }
    await Promise.all(jobs);
    if (p.flag === 0) {
      for (const g of byPose) poseTemp.push(...g.slice(0, 2 * t));
      for (const g of byAge) ageTemp.push(...g.slice(0, 2 * t));
    }
  }
  const meta = [
    'Class_ID, Name, Sample_Num, Flag, Gender',
    ...ids.map((p) => `${p.id}, "${p.name}", ${m}, ${p.flag}, ${p.gender}`),
  ];
  const write = (rel: string, lines: string[]) => fs.writeFileSync(path.join(o.out, rel), lines.join('\n') + '\n');
  write('meta/identity_meta.csv', meta);
  write('meta/train_list.txt', lists.train);
  write('meta/test_list.txt', lists.test);
  write('meta/test_posetemp_imglist.txt', poseTemp);
  write('meta/test_agetemp_imglist.txt', ageTemp);
  for (const s of ['train', 'test'] as const) {
    write(`bb_landmark/loose_bb_${s}.csv`, bb[s]);
    write(`bb_landmark/loose_landmark_${s}.csv`, lm[s]);
  }
  return { root: o.out, trainIdentities: n - nTest, testIdentities: nTest, images: count };
}
