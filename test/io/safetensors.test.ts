/** The TypeScript safetensors writer: aligned data with non-ASCII metadata, read back natively and by numpy. */
import fs from 'fs';
import path from 'path';
import { writeFileAtomic } from '../../lib/io/atomic-write';
import { encodeSafetensors, readSafetensorsHeader } from '../../lib/io/safetensors';
import { native } from '../../lib/native';
import { python, tmpDir } from '../helpers/paths';

// numpy reads the file by the spec alone: little-endian u64 length, JSON header, data at the offsets.
const READ = `import sys, json, numpy as np
b = open(sys.argv[1], 'rb').read()
n = int.from_bytes(b[:8], 'little')
h = json.loads(b[8:8 + n].decode('utf-8'))
out = {'n': n, 'meta': h.pop('__metadata__')}
for k, v in h.items():
  s, e = v['data_offsets']
  a = np.frombuffer(b[8 + n + s:8 + n + e], dtype={'F32': '<f4', 'I32': '<i4'}[v['dtype']]).reshape(v['shape'])
  out[k] = a.tolist()
print(json.dumps(out))`;

describe('encodeSafetensors', () => {
  test('non-ASCII metadata keeps the header a multiple of 8 bytes; native code and numpy read it back', async () => {
    const file = path.join(tmpDir('st'), 'e.safetensors');
    const paths = JSON.stringify(['Zoë/01.jpg', '李/02.jpg', 'a/3.jpg']);
    const embeddings = Float32Array.from([0.5, -1, 2.25, 3, 4, 5]);
    const labels = Int32Array.from([7, 8, 9]);
    const arrays = {
      embeddings: { dtype: 'F32' as const, shape: [3, 2], data: embeddings },
      labels: { dtype: 'I32' as const, shape: [3], data: labels },
    };
    writeFileAtomic(file, encodeSafetensors(arrays, { paths }));
    const n = Number(fs.readFileSync(file).readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    // The UTF-16 length differs from the byte length here: the case the old writer misaligned.
    expect(Buffer.byteLength(JSON.stringify({ paths }))).not.toBe(JSON.stringify({ paths }).length);
    expect(readSafetensorsHeader(file).__metadata__).toEqual({ paths });

    const inspected = await native().inspectWeights(file);
    expect(inspected.metadata).toEqual({ paths });
    expect(inspected.shapes).toEqual({ embeddings: [3, 2], labels: [3] });

    const py = JSON.parse(python(['-c', READ, file]));
    expect(py).toEqual({
      n,
      meta: { paths },
      embeddings: [
        [0.5, -1],
        [2.25, 3],
        [4, 5],
      ],
      labels: [7, 8, 9],
    });
  });

  test('a file too short to hold a header is an error naming it', () => {
    const file = path.join(tmpDir('st'), 'short.safetensors');
    fs.writeFileSync(file, 'abc');
    expect(() => readSafetensorsHeader(file)).toThrow(`${file}: not a safetensors file`);
  });
});
