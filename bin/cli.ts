/** The yargs root of `vgg2-torch`: one command module per file in bin/commands. */
import yargs from 'yargs';
import type { CommandModule } from 'yargs';
import bench from './commands/bench';
import checkData from './commands/check-data';
import demoData from './commands/demo-data';
import embed from './commands/embed';
import evalCmd from './commands/eval';
import info from './commands/info';
import prepare from './commands/prepare';
import verify from './commands/verify';
import train from './commands/train';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command has its own argument types
const commands: CommandModule<any, any>[] = [info, demoData, prepare, checkData, evalCmd, embed, verify, train, bench];

export async function main(argv: string[]): Promise<void> {
  const parser = yargs(argv)
    .scriptName('vgg2-torch')
    .usage('$0 <command> [options]\n\nTrain, evaluate and deploy VGGFace2 face-recognition CNNs on LibTorch.')
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, err, y) => {
      if (err) throw err;
      console.error(`${y.help() && ''}error: ${message}\n(run vgg2-torch --help for usage)`);
      process.exit(1);
    });
  for (const command of commands) parser.command(command);
  try {
    await parser.parseAsync();
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    process.exit(1);
  }
}
