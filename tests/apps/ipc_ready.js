// Node app using Node's IPC: waits READY_AFTER_MS, then process.send('ready');
// sends a process:msg; logs 'shutdown' messages and exits on them.
const http = require('http');
const port = parseInt(process.env.PORT || '0', 10);
const after = parseInt(process.env.READY_AFTER_MS || '1000', 10);
const started = Date.now();
process.on('message', (m) => {
  console.log(`message ${JSON.stringify(m)}`);
  if (m === 'shutdown') {
    console.log('shutting down on message');
    process.exit(0);
  }
});
process.on('SIGINT', () => { console.log('got SIGINT'); process.exit(0); });
const server = http.createServer((q, r) => r.end(`${process.pid}\n`));
server.listen(port, '127.0.0.1', () => {
  setTimeout(() => {
    console.log(`ready after ${Date.now() - started} ms`);
    process.send('ready');
    process.send({ type: 'process:msg', data: { hello: 'from ' + process.pid } });
  }, after);
});
