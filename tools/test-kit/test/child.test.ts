import { afterEach, describe, expect, it } from 'vitest';
import { Child, running, runToExit, stopAll } from '../src/child.js';
import { PromptSession } from '../src/prompt_session.js';
import { tempDir, uniquePrefix } from '../src/temp_dir.js';
import { existsSync } from 'node:fs';

afterEach(async () => {
  await stopAll();
});

/** A node child running `code`. */
const node = (code: string): Child => Child.spawn(process.execPath, ['-e', code], { label: 'node -e' });

describe('Child', () => {
  it('keeps stdout, stderr and both in order; waits wake on output; stop kills by pid', async () => {
    const child = node(`process.stdout.write('one\\n'); process.stderr.write('two\\n'); setTimeout(() => console.log('three'), 50); setInterval(() => {}, 1000);`);
    expect(running.has(child)).toBe(true);
    const match = await child.waitFor(/thr(ee)/, { stream: 'stdout' });
    expect(match[1]).toBe('ee');
    expect(child.stdout).toBe('one\nthree\n');
    expect(child.stderr).toBe('two\n');
    expect(child.output).toContain('two\n');
    expect(await child.stop()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(child.alive).toBe(false);
    expect(running.has(child)).toBe(false);
  });

  it('fails a wait when the child exits first, and at the deadline, naming what was awaited and showing the output', async () => {
    const quitter = node(`console.log('bye'); process.exit(3);`);
    await expect(quitter.waitFor('never')).rejects.toThrow(/no never on output: it exited \(3\); its last output:\nbye/);
    const sleeper = node(`console.log('zzz'); setInterval(() => {}, 1000);`);
    await sleeper.waitFor('zzz');
    await expect(sleeper.waitFor('never', { timeoutMs: 100 })).rejects.toThrow(/not within 100 ms; its last output:\nzzz/);
  });

  it('passes complete stdout lines to a listener, split across chunks or not', async () => {
    const child = node(`process.stdout.write('a'); setTimeout(() => process.stdout.write('b\\nc\\nd'), 20); setTimeout(() => process.stdout.write('\\n'), 40);`);
    const lines: string[] = [];
    child.onStdoutLine((l) => lines.push(l));
    await child.exited;
    expect(lines).toEqual(['ab', 'c', 'd']);
  });

  it('runToExit gives the exit code and both outputs, with stdin fed', async () => {
    const r = await runToExit(process.execPath, ['-e', `process.stdin.on('data', (d) => process.stdout.write(String(d).toUpperCase())); process.stdin.on('end', () => { console.error('done'); process.exit(4); });`], { input: 'abc' });
    expect(r).toEqual({ code: 4, signal: null, stdout: 'ABC', stderr: 'done\n' });
  });

  it('runToExit kills a child that outlives its deadline', async () => {
    const r = await runToExit(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 100 });
    expect(r.signal).toBe('SIGKILL');
  });
});

describe('PromptSession', () => {
  it('splits a batch of commands at the prompts, without echo and prompt, and leaves out what was printed before', async () => {
    const repl = `const rl = require('node:readline').createInterface({ input: process.stdin });
      process.stdout.write('> ');
      rl.on('line', (l) => process.stdout.write(l + '\\n' + (l === 'two' ? 'a\\nb\\n' : '') + '> '));
      setTimeout(() => process.stdout.write('event\\n'), 10);`;
    const session = await PromptSession.start(process.execPath, ['-e', repl], { prompt: '> ' });
    await session.proc.waitFor('event');
    expect(await session.batch(['one', 'two'])).toEqual([[], ['a', 'b']]);
    expect(await session.command('three')).toEqual([]);
    expect(session.prompts).toBe(4);
  });

  it('stops the process when no first prompt comes', async () => {
    await expect(PromptSession.start(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { prompt: '$ ', deadlineMs: 100 })).rejects.toThrow(
      /no prompt '\$ ' #1: not within 100 ms/,
    );
    expect(running.size).toBe(0);
  });
});

describe('temporary dirs', () => {
  it('makes a fresh directory per call and removes it; prefixes differ', async () => {
    const [a, b] = [await tempDir('kit'), await tempDir('kit')];
    expect(a.path).not.toBe(b.path);
    expect(a.path).toMatch(/eal-ts-kit-/);
    await a.remove();
    await b.remove();
    expect(existsSync(a.path) || existsSync(b.path)).toBe(false);
    expect(uniquePrefix('p')).not.toBe(uniquePrefix('p'));
  });
});
