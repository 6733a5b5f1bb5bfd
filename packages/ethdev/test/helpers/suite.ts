// What the ethdev suites share: the EthdevError a call rejects with, and a
// fresh runtime directory per test whose tables and port sets are closed after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach } from 'vitest';

import { EthdevError } from '../../src/index.js';

/** The EthdevError `promise` rejects with; anything else is rethrown, and fulfilment fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<EthdevError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EthdevError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** The errno name `promise` rejects with. */
export async function code(promise: Promise<unknown>): Promise<string> {
  return (await rejection(promise)).code;
}

export interface DirPerTest {
  /** This test's directory (set before each test). */
  readonly dir: string;
  /** Closed after each test, before the directory is removed. */
  readonly opened: { close(): Promise<unknown> }[];
}

/** Registers beforeEach/afterEach: a fresh `<tmp>/<prefix>XXXXXX` per test, removed after with everything in `opened` closed. */
export function dirPerTest(prefix: string): DirPerTest {
  const state = { dir: '', opened: [] as { close(): Promise<unknown> }[] };
  beforeEach(async () => {
    state.dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await Promise.all(state.opened.splice(0).map((item) => item.close()));
    await rm(state.dir, { recursive: true, force: true });
  });
  return state;
}
