// drover's example app: a plain Node.js HTTP server that knows nothing about
// drover. Run as a cluster (`drover start examples/hello/ecosystem.json`),
// every instance listens on the same port; reloads replace them one by one
// without dropping a request, because the app stops gracefully on SIGINT.
const http = require('http');
const os = require('os');

const port = parseInt(process.env.PORT || '8080', 10);
const instance = process.env.NODE_APP_INSTANCE;

const server = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'text/plain');
  res.end(`hello from instance ${instance} (pid ${process.pid}) on ${os.hostname()}\n`);
});

server.listen(port, () => {
  console.log(`instance ${instance} (pid ${process.pid}) listening on port ${port}`);
});

process.on('SIGINT', () => {
  console.log(`instance ${instance} (pid ${process.pid}) stopping`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
