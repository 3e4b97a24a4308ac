// Unmodified node HTTP app: knows nothing about drover. Answers with its
// pid. On SIGINT/SIGTERM it stops accepting and exits once in-flight
// requests are done (graceful), unless UNGRACEFUL=1; with ABRUPT=1 it has
// no handler at all (node's default: killed at once). With NEVER_READY_FILE
// set and that file present, it never listens (a broken new version).
const http = require('http');
const fs = require('fs');
const port = parseInt(process.env.PORT || '3000', 10);
const host = process.env.HOST || undefined;
const delay = parseInt(process.env.DELAY_MS || '0', 10);

if (process.env.NEVER_READY_FILE && fs.existsSync(process.env.NEVER_READY_FILE)) {
  console.log(`pid ${process.pid} will never listen`);
  setInterval(() => {}, 1000);
  return;
}
const server = http.createServer((req, res) => {
  const send = () => {
    res.setHeader('Content-Type', 'text/plain');
    res.end(`${process.pid}\n`);
  };
  if (delay > 0) setTimeout(send, delay); else send();
});
server.keepAliveTimeout = 1000;
server.listen(port, host, () => {
  console.log(`pid ${process.pid} listening on ${JSON.stringify(server.address())}`);
});
function stop(sig) {
  console.log(`pid ${process.pid} got ${sig}`);
  if (process.env.UNGRACEFUL === '1') process.exit(0);
  server.close(() => process.exit(0));
  server.closeIdleConnections && server.closeIdleConnections();
}
if (process.env.ABRUPT !== '1') {
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
