// The far side of the raw-socket floor: echoes every datagram to its sender
// with @eal-ts/sys alone (no codec, no channel), until stdin closes.
import { UnixDgramSocket } from '@eal-ts/sys';

const path = process.argv[2];
if (!path) throw new Error('usage: sys_echo <socket-path>');
const socket = await UnixDgramSocket.bind(path);
socket.on('datagram', (d) => void socket.send(d.peer, d.data.subarray(0, d.size)));
process.stdout.write('ready\n');
process.stdin.resume().on('end', () => void socket.close());
