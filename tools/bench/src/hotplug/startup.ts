// Start-up of a primary with no secondaries, to `quit`: wall time and peak RSS.
//
// Wall: from spawn to the exit event, `quit` already waiting on stdin (so the
// process starts, initialises, reads `quit`, cleans up and exits), measured
// by this process with hrtime. Peak RSS: a separate run under
// `/usr/bin/time -f %M`, which reports ru_maxrss from wait4 — the kernel's
// high-water mark of the resident set over the whole life of the process
// (hugetlbfs pages are not counted in RSS by Linux). Without /usr/bin/time,
// VmHWM from /proc/<pid>/status read at the ready prompt (the peak up to then).
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ealArgs, PROMPT, type Implementation } from './cluster.js';
import { removeHugepageFiles } from './dpdk_setup.js';
import { AppProcess } from './proc.js';
import { randomBytes } from 'node:crypto';

const TIME = '/usr/bin/time';

export interface StartupSample {
  readonly wallMs: number;
  readonly peakRssMiB: number;
}

export type Subject = Implementation | 'node -e 0';

interface Launch {
  readonly command: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cleanup: () => Promise<void>;
}

async function launch(subject: Subject, workDir: string): Promise<Launch> {
  if (subject === 'node -e 0') return { command: process.execPath, args: ['-e', '0'], env: process.env, cleanup: () => Promise.resolve() };
  const runtimeDir = await mkdtemp(join(workDir, 'rt-'));
  const prefix = `ealbench${randomBytes(4).toString('hex')}`;
  return {
    command: subject.command,
    args: [...subject.leadingArgs, ...ealArgs(subject, prefix, true)],
    env: { ...process.env, ...subject.env, RUNTIME_DIRECTORY: runtimeDir },
    cleanup: async () => {
      await rm(runtimeDir, { recursive: true, force: true });
      if (subject.hugeDir) await removeHugepageFiles(subject.hugeDir, prefix);
    },
  };
}

function runToExit(command: string, args: string[], env: NodeJS.ProcessEnv, deadlineMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'ignore'], env });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not exit within ${deadlineMs} ms of quit`));
    }, deadlineMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const wall = Number(process.hrtime.bigint() - start) / 1e6;
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${command} exited with ${code ?? signal}`));
      else resolve(wall);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end('quit\n');
  });
}

export async function hasTime(): Promise<boolean> {
  return access(TIME).then(
    () => true,
    () => false,
  );
}

async function peakRss(l: Launch, workDir: string, useTime: boolean): Promise<number> {
  if (useTime) {
    const out = join(await mkdtemp(join(workDir, 'time-')), 'rss');
    try {
      await runToExit(TIME, ['-f', '%M', '-o', out, l.command, ...l.args], l.env, 30_000);
      return Number((await readFile(out, 'utf8')).trim().split('\n').pop()) / 1024;
    } finally {
      await rm(join(out, '..'), { recursive: true, force: true });
    }
  }
  if (l.command === process.execPath && l.args[0] === '-e') return NaN; // exits before it can be read
  const p = new AppProcess('startup', l.command, l.args, l.env);
  try {
    await p.waitFor(PROMPT, 0, 30_000);
    const status = await readFile(`/proc/${p.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024;
  } finally {
    await p.stop();
  }
}

/** One wall-time run and one peak-RSS run of a subject. */
export async function startupSample(subject: Subject, workDir: string, useTime: boolean): Promise<StartupSample> {
  const a = await launch(subject, workDir);
  let wallMs: number;
  try {
    wallMs = await runToExit(a.command, a.args, a.env, 30_000);
  } finally {
    await a.cleanup();
  }
  const b = await launch(subject, workDir);
  try {
    return { wallMs, peakRssMiB: await peakRss(b, workDir, useTime) };
  } finally {
    await b.cleanup();
  }
}
