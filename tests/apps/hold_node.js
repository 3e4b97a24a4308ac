// An unmodified node HTTP app for balancing tests: GET /hold answers its
// pid in the first chunk and keeps the response (and the connection) open
// until the client closes it; any other path answers the pid and ends.
const http = require('http');
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  if (req.url === '/hold') {
    res.write(`${process.pid}\n`);
    req.socket.on('close', () => res.end());
    return;
  }
  res.end(`${process.pid}\n`);
}).listen(Number(process.env.PORT), '127.0.0.1');
