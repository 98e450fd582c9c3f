/** writeFileAtomic: the whole file or the old one, never a half; failures name the target and leave no temporary. */
import fs from 'fs';
import path from 'path';
import { writeFileAtomic } from '../../lib/io/atomic-write';
import { tmpDir } from '../helpers/paths';

describe('writeFileAtomic', () => {
  test('writes text, bytes and byte chunks in order, replacing the old file; nothing else stays in the folder', () => {
    const dir = tmpDir('atomic');
    const file = path.join(dir, 'out.json');
    writeFileAtomic(file, 'first\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('first\n');
    writeFileAtomic(file, 'é second\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('é second\n');
    writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    expect([...fs.readFileSync(file)]).toEqual([1, 2, 3]);
    writeFileAtomic(file, [Buffer.from('ab'), new Uint8Array(new Float32Array([1.5]).buffer), Buffer.alloc(0)]);
    const back = fs.readFileSync(file);
    expect(back.subarray(0, 2).toString()).toBe('ab');
    expect(back.readFloatLE(2)).toBe(1.5);
    expect(fs.readdirSync(dir)).toEqual(['out.json']);
  });

  test('a target that is a directory: a clear error naming it, the directory intact, no temporary left', () => {
    const dir = tmpDir('atomic');
    const target = path.join(dir, 'report.html');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'x');
    expect(() => writeFileAtomic(target, '<html>')).toThrow(`cannot write ${target}: it is a directory`);
    expect(fs.readdirSync(dir)).toEqual(['report.html']);
    expect(fs.readdirSync(target)).toEqual(['inside']);
  });

  test('a missing folder: an error naming the target', () => {
    const dir = tmpDir('atomic');
    const target = path.join(dir, 'no', 'such', 'out.npy');
    const escaped = target.replace(/[.]/g, '\\.');
    expect(() => writeFileAtomic(target, 'x')).toThrow(new RegExp(`^cannot write ${escaped}: ENOENT`));
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
