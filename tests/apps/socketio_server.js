// socket.io server (tests/node/node_modules): answers "echo" with its pid.
// Its default transports start with HTTP long-polling, whose requests must
// all reach the worker that holds the session (socket.io's documented need
// for sticky sessions in a cluster).
const path = require('path');
const { Server } = require(path.join(__dirname, '..', 'node', 'node_modules', 'socket.io'));
const http = require('http');

const server = http.createServer();
const io = new Server(server);
io.on('connection', (socket) => {
  socket.on('echo', (msg, ack) => ack({ pid: process.pid, msg }));
});
server.listen(parseInt(process.env.PORT || '3000', 10), '127.0.0.1');
