import type { MpTrace } from '@eal-ts/mp-channel';

/** The --json line: {"dir","type","name","param","fds","peer"}, param as hex of its len_param bytes. */
export function traceToJson(trace: MpTrace): string {
  return JSON.stringify({
    dir: trace.dir,
    type: trace.type,
    name: trace.name,
    param: Buffer.from(trace.param).toString('hex'),
    fds: trace.fds,
    peer: trace.peer,
  });
}

/** One line for people: direction, type, name, sizes and peer, then the param as hex. */
export function traceToText(trace: MpTrace): string {
  const arrow = trace.dir === 'in' ? '<-' : '->';
  const fds = trace.fds > 0 ? `, ${trace.fds} fd${trace.fds === 1 ? '' : 's'}` : '';
  const layout = trace.layout === '22.11' ? '' : ` [${trace.layout} layout]`;
  const head = `${arrow} ${trace.type} ${trace.name} (${trace.param.length} bytes${fds}) ${trace.dir === 'in' ? 'from' : 'to'} ${trace.peer}${layout}`;
  return trace.param.length === 0 ? head : `${head}\n   ${Buffer.from(trace.param).toString('hex')}`;
}
