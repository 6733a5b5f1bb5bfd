// The lines of a script on a pipe, split as readline splits them (\n, \r\n or
// a lone \r; a last line without an end still counts), read straight from the
// stream's 'data' events: no readline interface and no async iterator between
// a typed command and its run (issue 11: those layers were ~20% of a
// primary's CPU per scripted attach).
import type { Readable } from 'node:stream';

const LINE_END = /\r\n|\r|\n/;

export class PipeLines {
  readonly #lines: string[] = [];
  #partial = '';
  #ended = false;
  #wake: ((line: string | undefined) => void) | undefined;
  readonly #onData = (chunk: string): void => {
    let text = this.#partial + chunk;
    // A \r at the end of a chunk may be the first half of \r\n: wait for the next chunk.
    let index: number;
    while ((index = text.search(LINE_END)) !== -1 && !(text[index] === '\r' && index === text.length - 1)) {
      const end = text.startsWith('\r\n', index) ? 2 : 1;
      this.#push(text.slice(0, index));
      text = text.slice(index + end);
    }
    this.#partial = text;
  };
  readonly #onEnd = (): void => {
    const last = this.#partial.replace(/\r$/, '');
    const hadLine = this.#partial.length > 0;
    this.#partial = '';
    if (hadLine) this.#push(last);
    this.#finish(); // the lines still queued are read first
  };

  constructor(private readonly input: Readable) {
    input.setEncoding('utf8');
    input.on('data', this.#onData);
    input.once('end', this.#onEnd);
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
    this.input.off('data', this.#onData);
    this.input.off('end', this.#onEnd);
    this.input.pause();
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
