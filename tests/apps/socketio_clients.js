// socket.io clients on the polling transport only, one per source address
// 127.0.0.<2..N+1>, each sending ROUNDS echoes. Prints one JSON line:
// {ok, failed, pids: {address: [pids]}, errors: [...]}. Every client is
// bounded by TIMEOUT_MS.
const path = require('path');
const http = require('http');
const { io } = require(path.join(__dirname, '..', 'node', 'node_modules', 'socket.io-client'));

const port = parseInt(process.argv[2], 10);
const clients = parseInt(process.argv[3] || '8', 10);
const rounds = parseInt(process.argv[4] || '5', 10);
const timeoutMs = parseInt(process.env.TIMEOUT_MS || '8000', 10);

function one(addr) {
  return new Promise((resolve) => {
    const pids = [];
    const agent = new http.Agent({ localAddress: addr, keepAlive: false });
    const socket = io(`http://127.0.0.1:${port}`, {
      transports: ['polling'], agent, reconnection: false, timeout: timeoutMs,
    });
    const done = (err) => {
      clearTimeout(timer);
      socket.close();
      agent.destroy();
      resolve({ addr, pids, err });
    };
    const timer = setTimeout(() => done(`timeout after ${pids.length} echoes`), timeoutMs);
    socket.on('connect_error', (e) => done(`connect_error: ${e.message}`));
    socket.on('disconnect', (why) => { if (pids.length < rounds) done(`disconnect: ${why}`); });
    socket.on('connect', async () => {
      for (let i = 0; i < rounds; i++) {
        try {
          const r = await socket.timeout(timeoutMs).emitWithAck('echo', i);
          pids.push(r.pid);
        } catch (e) {
          return done(`echo ${i}: ${e.message}`);
        }
      }
      done(null);
    });
  });
}

(async () => {
  const all = [];
  for (let k = 0; k < clients; k++) all.push(one(`127.0.0.${k + 2}`));
  const res = await Promise.all(all);
  const out = { ok: 0, failed: 0, pids: {}, errors: [] };
  for (const r of res) {
    out.pids[r.addr] = r.pids;
    if (r.err) { out.failed++; out.errors.push(`${r.addr}: ${r.err}`); } else out.ok++;
  }
  console.log(JSON.stringify(out));
})();
