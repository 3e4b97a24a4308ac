// cluster.js - Node's own cluster module as a peer: the primary forks N
// workers that each run APP; they listen on PORT through the primary.
//   node cluster.js <app.js> <instances> <rr|none>
// rr   = cluster.SCHED_RR (primary accepts and hands connections round-robin)
// none = cluster.SCHED_NONE (workers accept on the shared socket themselves)
// The primary exits when it gets SIGINT/SIGTERM, after its workers.
'use strict';
const cluster = require('cluster');
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
