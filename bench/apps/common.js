// common.js - the HTTP server behind every bench app (hello.js, cpu.js,
// mixed.js). handler(req) returns the body, or a Promise of it.
//
// Where it listens:
//   LISTEN_FD=3   on the inherited socket fd 3 (the no-manager baseline)
//   otherwise     on PORT (under drover cluster mode the preload shim hands
//                 the worker the shared socket; under PM2/node cluster the
//                 cluster primary does)
// Every response carries X-Pid so probes can see which worker answered.
// BENCH_STAMP=<file>  appends "listening <pid> <epoch seconds>" once listening
//                     (recovery timing).
// BENCH_STOP=graceful on SIGINT/SIGTERM: stop accepting, finish in-flight
//                     requests, then exit. Unset: node's default (exit at once).
'use strict';
const http = require('http');
const fs = require('fs');
const { performance } = require('perf_hooks');

function now() {
    return (performance.timeOrigin + performance.now()) / 1000;
}

module.exports = function serve(handler) {
    const send = (res, body) => {
        res.writeHead(200, {
            'Content-Type': 'text/plain',
            'Content-Length': Buffer.byteLength(body),
            'X-Pid': String(process.pid),
        });
        res.end(body);
    };
    const server = http.createServer((req, res) => {
        const body = handler(req);
        if (typeof body === 'string')
            send(res, body);
        else
            body.then((b) => send(res, b)); // a handler may answer later (mixed.js)
    });
    server.keepAliveTimeout = 60000;

    const onListening = () => {
        if (process.env.BENCH_STAMP)
            fs.appendFileSync(process.env.BENCH_STAMP,
                `listening ${process.pid} ${now().toFixed(6)}\n`);
        if (process.send)
            process.send('ready'); // PM2 wait_ready / node IPC readiness
    };

    if (process.env.LISTEN_FD)
        server.listen({ fd: Number(process.env.LISTEN_FD) }, onListening);
    else
        server.listen(Number(process.env.PORT || 3000), process.env.HOST || '127.0.0.1',
                      onListening);

    if (process.env.BENCH_STOP === 'graceful') {
        const stop = () => {
            server.close(() => process.exit(0));
            setTimeout(() => process.exit(0), 4000).unref();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
    }
    return server;
};
