// The ceiling for comparison: a bare net server writing the same status line and closing,
// with no HTTP parsing at all. Prints `PORT <n>`; run by run.ts.
import { createServer } from 'node:net';
const line = Buffer.from('HTTP/1.0 200 OK\r\n\r\n', 'latin1');
const server = createServer((socket) => {
  socket.on('error', () => undefined);
  socket.once('data', () => socket.end(line));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
