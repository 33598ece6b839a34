import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { GlobalOptions } from '../command.js';

// `init` and `schema` run before there is a deployer.yaml, so they do not go through the config
// loader and the executor: `init`'s only change is one new file, written exclusively (`wx`), and
// `--plan` prints that file instead.

const readIf = (path: string) => readFile(path, 'utf8').catch(() => undefined);

export function registerInitCommands(program: Command): void {
  program.command('init')
    .description('write a commented deployer.yaml for the repository in the current directory')
    .option('--force', 'replace an existing config file', false)
    .action(async (opts: { force: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals() as unknown as GlobalOptions;
      const target = resolve(globals.config);
      const dir = process.cwd();
      const exists = await access(target).then(() => true, () => false);
      if (exists && !opts.force && !globals.plan) {
        throw new UsageError(`${target} already exists; nothing was changed`, { hint: 'pass --force to replace it, or --config <file> to write another' });
      }
      const [{ renderInitConfig }, { parseConfigText }] = await Promise.all([import('../../core/init/render.js'), import('../../core/config/parse.js')]);
      const files = new Set(await readdir(dir));
      const text = renderInitConfig({
        dirName: basename(dir),
        files,
        ...(files.has('package.json') ? { packageJson: await readIf(join(dir, 'package.json')) ?? '' } : {}),
        ...(files.has('Dockerfile') ? { dockerfile: await readIf(join(dir, 'Dockerfile')) ?? '' } : {}),
      });
      // What init writes must load: a generated file the loader refuses would be init's bug.
      parseConfigText(text, target);
      if (globals.plan) {
        process.stdout.write(globals.json ? `${JSON.stringify({ command: 'init', file: target, content: text }, null, 2)}\n` : `deployer init: would write ${target}\n\n${text}\nNothing has been changed.\n`);
        return;
      }
      await writeFile(target, text, { flag: opts.force ? 'w' : 'wx' });
      process.stdout.write(globals.json ? `${JSON.stringify({ command: 'init', file: target, written: true }, null, 2)}\n` : `wrote ${target}; check the guesses, then run: deployer changes HEAD~1\n`);
    });

  program.command('schema')
    .description('print the JSON Schema of deployer.yaml (for editors and CI validation)')
    .action(async () => {
      const { configJsonSchema } = await import('../../core/config/json-schema.js');
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}
