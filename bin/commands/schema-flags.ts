/**
 * yargs options made from a zod object schema, so that the schema alone says which flags exist,
 * their types, choices, defaults and help text. A key becomes a kebab-case flag when it has a
 * description and a type a flag can hold (nested objects stay for config files).
 */
import type { Argv, Options } from 'yargs';
import { z } from 'zod';

export interface SchemaFlag {
  flag: string;
  key: string;
  /** How the command-line string(s) become the config value. */
  kind: 'string' | 'number' | 'boolean' | 'numbers' | 'boolean-or-choice';
  describe: string;
  choices?: readonly string[];
  /** The schema's default, shown in --help but never injected (a config file's value must survive). */
  default?: unknown;
}

interface JsonProperty {
  type?: string;
  enum?: string[];
  const?: string;
  anyOf?: JsonProperty[];
  items?: JsonProperty;
  default?: unknown;
  description?: string;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const numeric = (p?: JsonProperty) => p?.type === 'number' || p?.type === 'integer';

function flagOf(key: string, p: JsonProperty): SchemaFlag | undefined {
  if (!p.description) return undefined;
  const base = { flag: kebab(key), key, describe: p.description, default: p.default };
  if (p.enum) return { ...base, kind: 'string', choices: p.enum };
  if (numeric(p)) return { ...base, kind: 'number' };
  if (p.type === 'boolean' || p.type === 'string') return { ...base, kind: p.type };
  if (p.type === 'array' && numeric(p.items)) return { ...base, kind: 'numbers' };
  // true | false | 'auto': one string flag with the literals and 'true' / 'false' as its choices.
  const alternatives = p.anyOf ?? [];
  const booleanOrLiteral = alternatives.every((a) => a.type === 'boolean' || a.const !== undefined);
  if (alternatives.some((a) => a.type === 'boolean') && booleanOrLiteral) {
    const literals = alternatives.filter((a) => a.const !== undefined).map((a) => a.const!);
    return { ...base, kind: 'boolean-or-choice', choices: [...literals, 'true', 'false'] };
  }
  const hint = 'drop its description to leave it to config files';
  throw new Error(`config key ${key}: no flag type for ${JSON.stringify(p)} (${hint})`);
}

export function schemaFlags(schema: z.ZodObject): SchemaFlag[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, JsonProperty>;
  };
  return Object.entries(json.properties).flatMap(([key, p]) => flagOf(key, p) ?? []);
}

export function addFlags<T>(y: Argv<T>, flags: readonly SchemaFlag[]): Argv<T> {
  for (const f of flags) {
    const type = f.kind === 'numbers' ? 'array' : f.kind === 'boolean-or-choice' ? 'string' : f.kind;
    const o: Options = { type, describe: f.describe, choices: f.choices };
    if (f.default !== undefined) o.defaultDescription = JSON.stringify(f.default);
    y = y.option(f.flag, o) as Argv<T>;
  }
  return y;
}

/** The config values of the flags given on the command line, keyed by config key. */
export function flagValues(
  argv: Record<string, unknown>,
  flags: readonly SchemaFlag[],
  error: (m: string) => Error,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const v = argv[f.flag];
    if (v === undefined) continue;
    if (f.kind === 'numbers') {
      // --milestones 30 60, --milestones 30,60 and repeated flags all give [30, 60].
      const list = (v as (string | number)[]).flatMap((m) => String(m).split(',')).map(Number);
      if (list.some(Number.isNaN)) throw error(`--${f.flag}: expected numbers`);
      out[f.key] = list;
    } else if (f.kind === 'number' && Number.isNaN(v)) throw error(`--${f.flag}: expected a number`);
    else if (f.kind === 'boolean-or-choice') out[f.key] = v === 'true' ? true : v === 'false' ? false : v;
    else out[f.key] = v;
  }
  return out;
}
