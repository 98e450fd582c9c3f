/** The yargs root of `vgg2-torch`: one command module per file in bin/commands. */
import yargs from 'yargs';
import type { CommandModule, MiddlewareFunction } from 'yargs';

/** The parts of a yargs instance a middleware gets that @types/yargs leaves out. */
interface YargsInternals {
  getOptions(): { key: Record<string, unknown>; hiddenOptions: string[] };
  getInternalMethods(): { getContext(): { commands: string[] } };
}
import bench from './commands/bench';
import checkData from './commands/check-data';
import convert from './commands/convert';
import demoData from './commands/demo-data';
import detect from './commands/detect';
import distill from './commands/distill';
import embed from './commands/embed';
import enroll from './commands/enroll';
import evalCmd from './commands/eval';
import exportCmd from './commands/export';
import info from './commands/info';
import prepare from './commands/prepare';
import prune from './commands/prune';
import quantize from './commands/quantize';
import search from './commands/search';
import serve from './commands/serve';
import verify from './commands/verify';
import train from './commands/train';
import { explainSystemError, explainUsageError, type UsageContext } from './usage-errors';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command has its own argument types
const commands: CommandModule<any, any>[] = [
  info,
  demoData,
  detect,
  prepare,
  checkData,
  evalCmd,
  embed,
  verify,
  train,
  distill,
  quantize,
  prune,
  exportCmd,
  convert,
  bench,
  enroll,
  search,
  serve,
];

export async function main(argv: string[]): Promise<void> {
  // Which command yargs got to and its visible flags, for the usage error (a before-validation middleware sees them).
  let usage: UsageContext | undefined;
  const parser = yargs(argv)
    .middleware(
      ((_: unknown, y: YargsInternals) => {
        const o = y.getOptions();
        const hidden = new Set([...o.hiddenOptions, 'help', 'version']);
        const flags = Object.keys(o.key).filter((k) => !hidden.has(k) && !/[A-Z]/.test(k));
        usage = { commands: y.getInternalMethods().getContext().commands.slice(), flags, argv };
      }) as unknown as MiddlewareFunction,
      true,
    )
    .scriptName('vgg2-torch')
    .usage('$0 <command> [options]\n\nTrain, evaluate and deploy VGGFace2 face-recognition CNNs on LibTorch.')
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, err) => {
      if (err) throw err;
      console.error(explainUsageError(message, usage));
      process.exit(1);
    });
  for (const command of commands) parser.command(command);
  try {
    await parser.parseAsync();
  } catch (err) {
    console.error(explainSystemError(err, argv) ?? `error: ${(err as Error).message}`);
    process.exit(1);
  }
}
