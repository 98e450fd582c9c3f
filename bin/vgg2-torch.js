#!/usr/bin/env node
// The `vgg2-torch` command: a shim over the compiled CLI (dist/bin/cli.js).
'use strict';
let cli;
try {
  cli = require('../dist/bin/cli.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && /dist[\\/]bin[\\/]cli/.test(err.message)) {
    console.error(
      'vgg2-torch: the TypeScript sources are not compiled. Run `npm run build:ts` (or `npm ci`) in the package folder.',
    );
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv.slice(2));
