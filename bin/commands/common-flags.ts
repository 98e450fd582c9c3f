/**
 * Flags that mean the same in every command (issue 18.4): `--input-size` (old name `--size` kept
 * as a hidden alias) and `--json [FILE]` (a file: write the result there; bare: print it on stdout).
 */
import type { Argv } from 'yargs';
import { writeFileAtomic } from '../../lib/io/atomic-write';

export interface InputSizeArgs {
  'input-size'?: number;
  size?: number;
}

export function inputSizeOption<T>(y: Argv<T>, describe: string, defaultDescription?: string): Argv<T & InputSizeArgs> {
  return y
    .option('input-size', { type: 'number', describe, defaultDescription })
    .option('size', { type: 'number', hidden: true, describe: 'old name of --input-size' }) as Argv<T & InputSizeArgs>;
}

/** The input size given by either name (the new one wins), else `fallback`. */
export function inputSize(a: InputSizeArgs, fallback: number): number;
export function inputSize(a: InputSizeArgs): number | undefined;
export function inputSize(a: InputSizeArgs, fallback?: number): number | undefined {
  return a['input-size'] ?? a.size ?? fallback;
}

export interface JsonArgs {
  json?: string | boolean;
}

export function jsonOption<T>(y: Argv<T>): Argv<T & JsonArgs> {
  return y.option('json', {
    type: 'string',
    describe: 'Machine-readable result: --json FILE writes it to FILE; --json - (or a bare --json last) prints it',
  }) as Argv<T & JsonArgs>;
}

/** Writes (or prints) `value` as --json asks; returns where it went, undefined when --json was not given. */
/** The file `--json` names, or undefined when it prints to stdout or is absent. */
export function jsonFile(a: JsonArgs): string | undefined {
  return typeof a.json === 'string' && a.json !== '' && a.json !== '-' ? a.json : undefined;
}

export function emitJson(a: JsonArgs, value: unknown, pretty = true): string | undefined {
  if (a.json === undefined || a.json === false) return undefined;
  const text = JSON.stringify(value, null, pretty ? 2 : undefined);
  // yargs turns a bare `--json` of type string into ''; '-' is the usual name for stdout.
  if (a.json === '' || a.json === '-' || a.json === true) {
    console.log(JSON.stringify(value));
    return 'stdout';
  }
  writeFileAtomic(a.json, text + '\n');
  return a.json;
}

export interface StrictArgs {
  strict?: boolean;
}

/**
 * `--strict`, the same in every command that reads a dataset: the first unusable image, list line,
 * box row or cache record is an error (file and line) instead of a counted skip.
 */
export function strictOption<T>(
  y: Argv<T>,
  describe = 'Fail on the first unusable image, list line, box row or cache record instead of counting and skipping it',
) {
  return y.option('strict', { type: 'boolean', describe }) as Argv<T & StrictArgs>;
}
