/**
 * Train config schema (zod): defaults, the lr rule, errors naming keys and types; files; schedules at
 * chosen iterations.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { ConfigError, readConfigFile, resolveConfig, trainConfigSchema } from '../../lib/train/config';
import { INITIAL_PLATEAU, lrAt, plateauUpdate, type ScheduleSpec } from '../../lib/train/schedule';
import { configFromArgs } from '../../bin/commands/train';
import { repoRoot, tmpDir } from '../helpers/paths';

describe('config', () => {
  test('recipe defaults: SGD 0.9 / 5e-4, batch 256, step ×0.1 at 30 and 60, 90 epochs, warmup, lr 0.1 × batch / 256', () => {
    const c = resolveConfig({ data: '/x' });
    expect(c).toMatchObject({
      batchSize: 256,
      lr: 0.1,
      momentum: 0.9,
      weightDecay: 5e-4,
      schedule: 'step',
      milestones: [30, 60],
      gamma: 0.1,
      epochs: 90,
      warmupEpochs: 2,
    });
    expect(c.out).toBe(path.resolve('runs/run'));
    expect(resolveConfig({ data: '/x', batchSize: 16 }).lr).toBeCloseTo(0.00625, 12);
    expect(resolveConfig({ data: '/x', batchSize: 16, accumulate: 4 }).lr).toBeCloseTo(0.025, 12);
    expect(resolveConfig({ data: '/x', batchSize: 16, lr: 0.01 }).lr).toBe(0.01);
    expect(resolveConfig({ data: '/x', loss: 'arcface' })).toMatchObject({ marginScale: 64, margin: 0.5 });
    expect(resolveConfig({ data: '/x', loss: 'cosface' }).margin).toBe(0.35);
    expect(resolveConfig({ data: '/x', out: 'abc' }).out).toBe(path.resolve('abc'));
  });

  test('unknown keys and wrong types are errors naming the key and the expected type', () => {
    expect(() => resolveConfig({ data: '/x', bogus: 1 } as never)).toThrow(/unknown key 'bogus'/);
    expect(() => resolveConfig({ data: '/x', augment: { flip: true, spin: 2 } } as never)).toThrow(
      /unknown key 'augment.spin'/,
    );
    expect(() => resolveConfig({ data: '/x', epochs: 'ten' } as never)).toThrow(
      /config\.epochs: expected number, got string "ten"/,
    );
    expect(() => resolveConfig({ data: '/x', schedule: 'linear' } as never)).toThrow(
      /config\.schedule: expected one of "step", "cosine", "plateau", got "linear"/,
    );
    expect(() => resolveConfig({ data: '/x', batchSize: 2.5 })).toThrow(/config\.batchSize/);
    expect(() => resolveConfig({ data: '/x', milestones: [60, 30] })).toThrow(/milestones: must be increasing/);
    expect(() => resolveConfig({})).toThrow(ConfigError);
    expect(() => resolveConfig({ data: '/x', cache: '/y' })).toThrow(/alternatives/);
    expect(() => resolveConfig({ data: '/x', balanced: true, batchSize: 10, imagesPerClass: 4 })).toThrow(
      /multiple of imagesPerClass/,
    );
  });

  test('JSON and YAML files; a bad file names itself', () => {
    const dir = tmpDir('cfg');
    fs.writeFileSync(
      path.join(dir, 'a.yaml'),
      'data: /d\nbatchSize: 32\nschedule: cosine\naugment:\n  grayProb: 0.1\n',
    );
    fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ data: '/d', epochs: 3 }));
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'data: [unclosed\n');
    fs.writeFileSync(path.join(dir, 'list.yaml'), '- 1\n- 2\n');
    expect(resolveConfig(readConfigFile(path.join(dir, 'a.yaml')))).toMatchObject({
      batchSize: 32,
      schedule: 'cosine',
      augment: { grayProb: 0.1 },
      lr: 0.0125,
    });
    expect(resolveConfig(readConfigFile(path.join(dir, 'b.json'))).epochs).toBe(3);
    expect(() => readConfigFile(path.join(dir, 'bad.yaml'))).toThrow(/bad\.yaml/);
    expect(() => readConfigFile(path.join(dir, 'list.yaml'))).toThrow(/mapping/);
    expect(() => readConfigFile(path.join(dir, 'none.yaml'))).toThrow(/cannot read config file .*none\.yaml: ENOENT/);
  });

  test('CLI flags map onto the config keys and override the file', () => {
    const dir = tmpDir('cfg');
    fs.writeFileSync(path.join(dir, 'c.yaml'), 'data: /d\nepochs: 5\nseed: 3\n');
    const c = configFromArgs({
      config: path.join(dir, 'c.yaml'),
      progress: 'auto',
      epochs: 7,
      'batch-size': 8,
      milestones: ['2,4'],
      'channels-last': 'false',
      'holdout-per-class': 1,
    });
    expect(c).toMatchObject({
      data: '/d',
      epochs: 7,
      seed: 3,
      batchSize: 8,
      milestones: [2, 4],
      channelsLast: false,
      holdoutPerClass: 1,
    });
  });

  test('the schema is the one list of flags: every key but augment has one, kebab-case, with its default', () => {
    const cli = path.join(repoRoot, 'bin', 'vgg2-torch.js');
    const help = spawnSync(process.execPath, [cli, 'train', '--help'], { encoding: 'utf8' }).stdout;
    const keys = Object.keys(trainConfigSchema.shape).filter((k) => k !== 'augment');
    const flag = (k: string) => k.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`);
    expect(keys.filter((k) => !new RegExp(`--${flag(k)}\\s`).test(help))).toEqual([]);
    expect(help).not.toMatch(/--augment\s/);
    const defaults = trainConfigSchema.parse({}) as Record<string, unknown>;
    for (const k of keys.filter((key) => defaults[key] !== undefined)) {
      const shown = JSON.stringify(defaults[k]).replace(/[[\]().*+?^$|\\]/g, '\\$&');
      expect([k, help]).toEqual([k, expect.stringMatching(new RegExp(`--${flag(k)}\\s[^]*?\\[default: ${shown}\\]`))]);
    }
    const args = { progress: 'auto' as const, 'channels-last': 'auto', nesterov: true, 'eval-batch-size': 8 };
    expect(configFromArgs(args)).toEqual({ channelsLast: 'auto', nesterov: true, evalBatchSize: 8 });
    expect(() => configFromArgs({ progress: 'auto', milestones: ['30,x'] })).toThrow(/--milestones: expected numbers/);
  });
});

describe('CLI (compiled)', () => {
  const train = (args: string[]) =>
    spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'vgg2-torch.js'), 'train', ...args], { encoding: 'utf8' });

  test("--help shows every flag of the issue's list, with the defaults of the schema", () => {
    const help = train(['--help']).stdout;
    const flags = [
      'config',
      'data',
      'cache',
      'demo',
      'arch',
      'epochs',
      'batch-size',
      'lr',
      'schedule',
      'loss',
      'amp',
      'device',
      'input-size',
      'crop',
      'workers',
      'out',
      'resume',
      'seed',
      'accumulate',
      'balanced',
      'threads',
      'warmup-epochs',
      'holdout-per-class',
      'init',
      'freeze-backbone',
      'backbone-lr-scale',
    ];
    expect(flags.filter((f) => !new RegExp(`--${f}\\s`).test(help))).toEqual([]);
    const defaults: [string, string][] = [
      ['epochs', '90'],
      ['batch-size', '256'],
      ['schedule', '"step"'],
      ['amp', '"auto"'],
      ['warmup-epochs', '2'],
      ['holdout-per-class', '2'],
      ['seed', '0'],
    ];
    for (const [flag, value] of defaults) expect(help).toMatch(new RegExp(`--${flag}\\s[^]*?\\[default: ${value}\\]`));
    expect(help).toMatch(/--lr\s+Peak learning rate \[default: 0\.1 × batch × accumulate \/ 256\]/);
  });

  test('an unknown flag or a wrong value is an error naming it', () => {
    const unknown = train(['--demo', '--bogus', '1']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown flag --bogus\n\(run vgg2-torch train --help for usage\)/);
    const nan = train(['--demo', '--epochs', 'ten']);
    expect(nan.status).not.toBe(0);
    expect(nan.stderr).toMatch(/--epochs: expected a number/);
    const choice = train(['--demo', '--amp', 'fp8']);
    expect(choice.stderr).toMatch(/Argument: amp, Given: "fp8"/);
    const resume = train(['--resume', '/nonexistent/run']);
    expect(resume.stderr).toMatch(/--resume \/nonexistent\/run: no such run folder or checkpoint/);
  });
});

describe('schedules (per iteration)', () => {
  const base: ScheduleSpec = {
    kind: 'step',
    lr: 0.1,
    stepsPerEpoch: 100,
    epochs: 90,
    warmupEpochs: 2,
    milestones: [30, 60],
    gamma: 0.1,
    minLr: 0,
    patience: 1,
  };

  test('linear warmup, then step decay at the milestone epochs', () => {
    expect(lrAt(base, 0)).toBeCloseTo(0.1 / 200, 12);
    expect(lrAt(base, 99)).toBeCloseTo(0.05, 12);
    expect(lrAt(base, 199)).toBeCloseTo(0.1, 12);
    expect(lrAt(base, 200)).toBeCloseTo(0.1, 12);
    expect(lrAt(base, 2999)).toBeCloseTo(0.1, 12);
    expect(lrAt(base, 3000)).toBeCloseTo(0.01, 12);
    expect(lrAt(base, 5999)).toBeCloseTo(0.01, 12);
    expect(lrAt(base, 6000)).toBeCloseTo(0.001, 12);
    expect(lrAt({ ...base, warmupEpochs: 0 }, 0)).toBe(0.1);
  });

  test('cosine: peak after warmup, half way at the middle, floor at the end (train_reference.py formula)', () => {
    const s = { ...base, kind: 'cosine' as const, epochs: 10, stepsPerEpoch: 10, warmupEpochs: 2 };
    expect(lrAt(s, 19)).toBeCloseTo(0.1, 12);
    expect(lrAt(s, 20)).toBeCloseTo(0.1, 12);
    expect(lrAt(s, 60)).toBeCloseTo(0.05, 12);
    expect(lrAt(s, 40)).toBeCloseTo(0.05 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(lrAt(s, 100)).toBeCloseTo(0, 12);
    expect(lrAt({ ...s, minLr: 0.001 }, 100)).toBeCloseTo(0.001, 12);
  });

  test('plateau: ÷10 after more than `patience` evaluations without a better validation error', () => {
    const s = { ...base, kind: 'plateau' as const };
    let p = plateauUpdate(s, INITIAL_PLATEAU, 0.5);
    p = plateauUpdate(s, p, 0.4); // better
    expect(lrAt(s, 1000, p)).toBeCloseTo(0.1, 12);
    p = plateauUpdate(s, p, 0.45); // 1 bad: within patience 1
    expect(lrAt(s, 1000, p)).toBeCloseTo(0.1, 12);
    p = plateauUpdate(s, p, 0.41); // 2 bad: decay
    expect(lrAt(s, 1000, p)).toBeCloseTo(0.01, 12);
    expect(p.bad).toBe(0);
    p = plateauUpdate(s, p, 0.3);
    expect(p).toEqual({ factor: 0.1, best: 0.3, bad: 0 });
    expect(lrAt(s, 100, p)).toBeCloseTo((0.1 * 101) / 200, 12); // warmup still rules its iterations
  });
});
