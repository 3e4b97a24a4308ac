// cluster.js - Node's own cluster module as a peer: the primary forks N
// workers that each run APP; they listen on PORT through the primary.
//   node cluster.js <app.js> <instances> <rr|none>
// rr   = cluster.SCHED_RR (primary accepts and hands connections round-robin)
// none = cluster.SCHED_NONE (workers accept on the shared socket themselves)
// The primary exits when it gets SIGINT/SIGTERM, after its workers.
//
// SIGHUP: a rolling reload the way node cluster users write one. For each old
// worker in turn: fork a replacement, wait for its 'listening', then
// old.kill('SIGINT') (node's API: disconnect the worker - the primary stops
// routing to it and the worker closes its server - then send the signal),
// wait for it to exit (SIGKILL after 5 s), and go on with the next one. When
// every worker was replaced the primary appends "reloaded <n>" to the file
// in BENCH_RELOADED (if set), which is how the harness waits for it.
'use strict';
const cluster = require('cluster');
const fs = require('fs');
const path = require('path');

const [app, n, policy] = process.argv.slice(2);
cluster.schedulingPolicy = policy === 'none' ? cluster.SCHED_NONE : cluster.SCHED_RR;
cluster.setupPrimary({ exec: path.resolve(app) });
for (let i = 0; i < Number(n); i++)
    cluster.fork();

let stopping = false;
const stop = () => {
    stopping = true;
    for (const id in cluster.workers)
        cluster.workers[id].kill('SIGTERM');
    setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
cluster.on('exit', () => {
    if (stopping && Object.keys(cluster.workers).length === 0)
        process.exit(0);
});

const once = (emitter, event) => new Promise((resolve) => emitter.once(event, resolve));

async function replace(old) {
    const fresh = cluster.fork();
    await once(fresh, 'listening');
    const gone = once(old, 'exit');
    const hard = setTimeout(() => old.process.kill('SIGKILL'), 5000);
    old.kill('SIGINT');
    await gone;
    clearTimeout(hard);
}

let reloading = false;
let reloads = 0;
process.on('SIGHUP', async () => {
    if (reloading || stopping)
        return;
    reloading = true;
    for (const old of Object.values(cluster.workers))
        await replace(old);
    reloading = false;
    reloads++;
    if (process.env.BENCH_RELOADED)
        fs.appendFileSync(process.env.BENCH_RELOADED, `reloaded ${reloads}\n`);
});
