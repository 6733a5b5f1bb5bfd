// The lines of a script on a pipe, split as readline splits them (\n, \r\n or
// a lone \r; a last line without an end still counts), read straight from
// 'data' events: no readline interface and no async iterator between a typed
// command and its run (issue 11: those layers were ~20% of a primary's CPU
// per scripted attach). The source is the fd itself (@eal-ts/sys ReadableFd,
// as DPDK's cmdline reads its fd) or, where that cannot poll it (a regular
// file) and in tests, a stream.
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { ReadableFd } from '@eal-ts/sys';

const LINE_END = /\r\n|\r|\n/;

/** Where the lines come from: a stream, or an fd read with ReadableFd. */
export type LineSource = Readable | ReadableFd;

const isStream = (source: LineSource): source is Readable => 'setEncoding' in source;

export class PipeLines {
  readonly #lines: string[] = [];
  #partial = '';
  #ended = false;
  #wake: ((line: string | undefined) => void) | undefined;
  /** For a ReadableFd's Buffers: a UTF-8 sequence cut between two reads is kept for the next. */
  readonly #decoder: StringDecoder | undefined;
  readonly #onData = (chunk: string | Buffer): void => {
    let text = this.#partial + (typeof chunk === 'string' ? chunk : this.#decoder!.write(chunk));
    // A \r at the end of a chunk may be the first half of \r\n: wait for the next chunk.
    let index: number;
    while ((index = text.search(LINE_END)) !== -1 && !(text[index] === '\r' && index === text.length - 1)) {
      const end = text.startsWith('\r\n', index) ? 2 : 1;
      this.#push(text.slice(0, index));
      text = text.slice(index + end);
    }
    this.#partial = text;
  };
  /** Why the input ended early (a failed read), if it did. */
  #failure: Error | undefined;
  readonly #onError = (error: Error): void => {
    // A failed read ends the script like end of input: the whole lines already read still run.
    // Kept after the end too, so that a late error is never an uncaught one.
    if (this.#ended) return;
    this.#failure = error;
    this.#onEnd();
  };
  readonly #onEnd = (): void => {
    if (this.#decoder) this.#partial += this.#decoder.end();
    const last = this.#partial.replace(/\r$/, '');
    const hadLine = this.#partial.length > 0;
    this.#partial = '';
    if (hadLine) this.#push(last);
    this.#finish(); // the lines still queued are read first
  };

  constructor(private readonly input: LineSource) {
    if (isStream(input)) input.setEncoding('utf8');
    else this.#decoder = new StringDecoder('utf8');
    input.on('data', this.#onData);
    input.once('end', this.#onEnd);
    input.on('error', this.#onError);
  }

  /** The read error that ended the input early, once the lines before it are read; undefined otherwise. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** The next line: a string when one is waiting (no promise), else a promise of it; undefined at the end. */
  next(): string | undefined | Promise<string | undefined> {
    const line = this.#lines.shift();
    if (line !== undefined || this.#ended) return line;
    return new Promise((resolve) => (this.#wake = resolve));
  }

  /** Stops reading: pending and later lines are dropped, a waiting next() gets undefined. */
  close(): void {
    this.#lines.length = 0;
    this.#finish();
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    const input = this.input;
    input.off('data', this.#onData);
    input.off('end', this.#onEnd);
    if (isStream(input)) input.pause();
    else void input.close();
    this.#take(undefined);
  }

  #push(line: string): void {
    if (this.#ended) return;
    if (this.#wake) this.#take(line);
    else this.#lines.push(line);
  }

  #take(line: string | undefined): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.(line);
  }
}
