/**
 * Runs an ONNX file with onnxruntime-node in a plain Node process: inside jest's sandbox the
 * runtime's output arrays come from another realm and its own type check rejects them.
 * Usage: node ort-run.js MODEL.onnx INPUT.f32 N,H,W,C OUTDIR — writes OUTDIR/<output>.f32 and
 * prints {"<output>": [dims]} as JSON.
 */
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main() {
  const [model, inputFile, shapeText, outDir] = process.argv.slice(2);
  const bytes = fs.readFileSync(inputFile);
  const x = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const session = await ort.InferenceSession.create(model);
  const out = await session.run({ input: new ort.Tensor('float32', x, shapeText.split(',').map(Number)) });
  const dims = {};
  for (const [name, t] of Object.entries(out)) {
    fs.writeFileSync(
      path.join(outDir, `${name}.f32`),
      new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    );
    dims[name] = t.dims;
  }
  await session.release();
  console.log(JSON.stringify(dims));
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
